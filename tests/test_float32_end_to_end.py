"""Float32 end to end: a training step of each bundled model computes, differentiates and
updates in float32 only. An accidental float64 temporary (a Python float turned into a
float64 array, a NumPy default) would double memory traffic and silently change results.

The check walks the recorded graph before backward (every node's output dtype), then looks at
every gradient and every optimizer state array after the step.
"""

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.models import GPT, MLP, DigitsCNN, LeNet5, LSTMLanguageModel, ResNet


def _graph_dtypes(output):
    """The output dtype of every node in the graph that produced ``output``."""
    seen, stack, dtypes = set(), [output.grad_fn], {}
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not getattr(node, "_is_node", False):
            continue
        seen.add(id(node))
        dtypes.setdefault(str(node._out_dtype), []).append(node.name())
        stack.extend(node._next)
    return dtypes


def _images(batch, channels, size):
    return glassnet.randn(batch, channels, size, size)


def _labels(batch, classes):
    return glassnet.randint(0, classes, (batch,))


CASES = {
    "mlp": lambda: (MLP(20, hidden=(32, 32), out_features=5), glassnet.randn(8, 20), _labels(8, 5)),
    "lenet": lambda: (LeNet5(), _images(4, 1, 28), _labels(4, 10)),
    "digits-cnn": lambda: (DigitsCNN(width=8), _images(4, 1, 8), _labels(4, 10)),
    "resnet": lambda: (ResNet(blocks=(1, 1), widths=(4, 8)), _images(2, 3, 16), _labels(2, 10)),
}


def _sequence_case(model_cls, **kwargs):
    model = model_cls(11, **kwargs)
    tokens = glassnet.randint(0, 11, (2, 6))
    return model, tokens, glassnet.randint(0, 11, (2, 6))


CASES["lstm-lm"] = lambda: _sequence_case(LSTMLanguageModel, hidden_size=8, num_layers=2)
CASES["gpt"] = lambda: _sequence_case(GPT, block_size=6, d_model=8, n_layer=1, n_head=2)


@pytest.mark.parametrize("optimizer", ["sgd-momentum", "adamw"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_training_step_stays_float32(name, optimizer):
    glassnet.manual_seed(0)
    model, x, y = CASES[name]()
    if optimizer == "adamw":
        opt = glassnet.optim.AdamW(model.parameters(), lr=1e-3)
    else:
        opt = glassnet.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    out = model(x)
    if isinstance(out, tuple):  # the LSTM language model also returns its state
        out = out[0]
    loss = nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    assert loss.dtype == glassnet.float32

    dtypes = _graph_dtypes(loss)
    float_kinds = {k: v for k, v in dtypes.items() if np.dtype(k).kind == "f"}
    assert set(float_kinds) == {"float32"}, f"{name}: nodes outside float32: {float_kinds}"

    loss.backward()
    opt.step()
    for pname, p in model.named_parameters():
        assert p.dtype == glassnet.float32, f"{name}: parameter {pname} became {p.dtype}"
        assert p.grad.dtype == glassnet.float32, f"{name}: grad of {pname} is {p.grad.dtype}"
    for state in opt.state.values():
        for key, value in state.items():
            array = getattr(value, "data", value)
            if hasattr(array, "dtype") and np.asarray(array).size > 1:
                assert array.dtype == np.float32, f"{name}: optimizer state {key} {array.dtype}"
