"""Weights move both ways between PyTorch and glassnet through state_dict (as NumPy arrays):
an MLP, a CNN with BatchNorm, an LSTM and a Transformer encoder give the same outputs after the
exchange in either direction."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(6, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3))


def _cnn(lib):
    m = lib.nn
    return m.Sequential(
        m.Conv2d(3, 8, 3, padding=1), m.BatchNorm2d(8), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(8, 16, 3, stride=2), m.BatchNorm2d(16), m.ReLU(), m.AdaptiveAvgPool2d(1),
        m.Flatten(), m.Linear(16, 5),
    )  # fmt: skip


def _lstm(lib):
    base = torch.nn.Module if lib is torch else nn.Module

    class LSTMHead(base):
        def __init__(self):
            super().__init__()
            self.lstm = lib.nn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True)
            self.head = lib.nn.Linear(16, 2)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out)

    return LSTMHead()


def _encoder(lib):
    layer = lib.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
    return lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


MODELS = {
    "mlp": (_mlp, (5, 6)),
    "cnn_batchnorm": (_cnn, (4, 3, 12, 12)),
    "lstm": (_lstm, (3, 7, 4)),
    "transformer_encoder": (_encoder, (2, 5, 16)),
}


def _warm_batchnorm(model, lib, shape):
    # A training forward gives BatchNorm running statistics that are not the defaults.
    model.train()
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    with torch.no_grad() if lib is torch else glassnet.no_grad():
        model(lib.tensor(x))
    model.eval()


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("direction", ["torch_to_glassnet", "glassnet_to_torch"])
def test_weights_move_between_libraries(name, direction):
    build, shape = MODELS[name]
    torch.manual_seed(0)
    glassnet.manual_seed(0)
    t_model, g_model = build(torch), build(glassnet)
    source, source_lib = (
        (t_model, torch) if direction == "torch_to_glassnet" else (g_model, glassnet)
    )
    _warm_batchnorm(source, source_lib, shape)
    state = {k: np.array(v.detach().numpy()) for k, v in source.state_dict().items()}
    if direction == "torch_to_glassnet":
        result = g_model.load_state_dict({k: glassnet.tensor(v) for k, v in state.items()})
    else:
        result = t_model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    t_model.eval()
    g_model.eval()
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    with torch.no_grad():
        expected = t_model(torch.tensor(x)).numpy()
    with glassnet.no_grad():
        actual = g_model(glassnet.tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
