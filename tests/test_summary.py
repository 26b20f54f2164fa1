"""glassnet.summary: output shapes and parameter counts checked against the PyTorch twin's
(forward hooks there), totals, nesting, failing layers, and no side effects on the model."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn
from glassnet.train import ModelSummary, summary


def cnn(lib):
    return lib.Sequential(
        lib.Conv2d(1, 4, 3, padding=1),
        lib.BatchNorm2d(4),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(64, 10),
    )


def torch_rows(model, x):
    rows = []
    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(
                lambda m, i, o, name=name: rows.append(
                    (
                        name,
                        type(m).__name__,
                        str(list(o.shape)),
                        sum(p.numel() for p in m.parameters()),
                    )
                )
            )
    model(x)
    return rows


def test_rows_match_the_pytorch_twin(device):
    model = cnn(nn)
    s = summary(model, (2, 1, 8, 8), device=device)
    expected = torch_rows(cnn(torch.nn), torch.zeros(2, 1, 8, 8))
    assert [(r.path, r.type, r.output_shape, r.params) for r in s.rows] == expected
    total = sum(p.numel() for p in cnn(torch.nn).parameters())
    assert s.total_params == s.trainable_params == total == 698
    text = str(s)
    assert "Total params: 698" in text and "Non-trainable params: 0" in text
    assert "MaxPool2d" in text and "[2, 4, 4, 4]" in text


def test_nesting_frozen_parameters_and_tuple_outputs():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 6)
            self.body = nn.Sequential(nn.LSTM(6, 8, batch_first=True))
            self.head = nn.Linear(8, 3)

        def forward(self, tokens):
            out, _ = self.body(self.emb(tokens))
            return self.head(out[:, -1])

    model = Net()
    model.emb.requires_grad_(False)
    s = summary(model, (2, 5), dtype=glassnet.int64)
    assert [(r.path, r.depth, r.output_shape) for r in s.rows] == [
        ("emb", 1, "[2, 5, 6]"),
        ("body", 1, "([2, 5, 8], ([1, 2, 8], [1, 2, 8]))"),
        ("body.0", 2, "([2, 5, 8], ([1, 2, 8], [1, 2, 8]))"),
        ("head", 1, "[2, 3]"),
    ]
    lstm_params = 4 * 8 * (6 + 8) + 2 * 4 * 8  # two weight matrices and two biases per gate
    assert s.rows[1].params == s.rows[2].params == lstm_params
    assert s.total_params == 60 + lstm_params + 27
    assert (s.trainable_params, s.non_trainable_params) == (lstm_params + 27, 60)
    assert "\n  body.0 " in str(s)


def test_several_inputs_and_given_input_data():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 4), nn.Linear(5, 4)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    s = summary(Pair(), [(2, 3), (2, 5)])
    assert [r.output_shape for r in s.rows] == ["[2, 4]", "[2, 4]"]
    assert s.input_shapes == [(2, 3), (2, 5)]
    s = summary(Pair(), input_data=(glassnet.ones(7, 3), glassnet.ones(7, 5)))
    assert s.rows[0].output_shape == "[7, 4]"


def test_a_failing_layer_shows_the_table_so_far_and_its_own_error():
    model = nn.Sequential(
        nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Flatten(), nn.Linear(7, 2), nn.Linear(2, 2)
    )
    with pytest.raises(glassnet.ShapeError) as err:
        summary(model, (3, 4))
    message = str(err.value)
    assert message.startswith("glassnet.summary: layer '2' (Linear) failed on the example input")
    table = message[message.index("Layer (path)") :]
    assert "0.1" in table and "Flatten" in table and "FAILED" in table
    assert "[3, 8]" in table and "\n3 " not in table  # rows stop at the failing layer
    assert "the last dimension must be 7" in message.split("The error from")[-1]
    assert not model[0][0]._forward_hooks and not model[2]._forward_pre_hooks  # hooks removed


def test_summary_leaves_model_and_random_state_alone():
    model = cnn(nn)
    model.train()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    glassnet.manual_seed(4)
    expected = glassnet.rand(3).numpy()
    glassnet.manual_seed(4)
    s = summary(model, (2, 1, 8, 8))
    np.testing.assert_array_equal(glassnet.rand(3).numpy(), expected)
    assert model.training and all(m.training for m in model.modules())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert isinstance(s, ModelSummary) and repr(s) == str(s)
    assert glassnet.train.summary is summary


def test_missing_input_size_is_a_clear_error():
    with pytest.raises(ValueError, match="input_size"):
        summary(nn.Linear(2, 2))
