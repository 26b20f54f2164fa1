"""Layers refuse impossible constructor arguments where they enter, as PyTorch does or earlier.

One table row per (layer, arguments). The row says what PyTorch 2.13 does with them, and the
test checks that claim on PyTorch itself before it checks glassnet:

- SAME: PyTorch raises when the layer is made; glassnet raises too, an instance of PyTorch's
  class (a negative size is a RuntimeError in PyTorch, from ``torch.empty``; glassnet's
  ``InvalidArgumentError`` is a RuntimeError and a ValueError).
- ASSERT: PyTorch raises when the layer is made, but through a Python ``assert`` (stripped by
  ``python -O``) or an accidental ``%`` by zero; glassnet raises ValueError instead.
- LATER: PyTorch makes the layer and fails on its first forward call (the probe); glassnet
  refuses at once, with an instance of the class that call raises.
- LATER_ACCIDENT: as LATER, but the failure is PyTorch's own code tripping over the value (an
  IndexError into an empty list of layers); glassnet raises ValueError.
- SILENT: PyTorch makes the layer and the probe runs without an error, computing nonsense
  (the row's comment says which); glassnet is stricter and refuses it.

Every glassnet error names the layer, the argument and the value it got, and says what is
allowed. A last table lists edge values that both libraries must accept.
"""

import math
import re
import warnings

import pytest
import torch

import glassnet
from glassnet import nn

SAME, ASSERT, LATER, LATER_ACCIDENT, SILENT = "same", "assert", "later", "accident", "silent"


def _x(*shape):
    return torch.randn(*shape)


def _image(m):
    return m(_x(2, 4, 3, 3))


def _loss(m):
    return m(_x(3, 4), _x(3, 4))


def _ce(m):
    return m(_x(3, 4), torch.tensor([0, 1, 2]))


def _ctc(m):
    return m(_x(5, 1, 3).log_softmax(2), torch.tensor([[1]]), [5], [1])


def _mha(m):
    q = _x(3, 1, 8)
    return m(q, q, q)[0]


def _rnn_cell(m):
    return m(_x(2, 4))


def _embedding(m):
    return m(torch.tensor([1, 2]))


def _pair(m):
    return m(_x(2, 4), _x(2, 4))


def _encoder(m):
    return m(_x(3, 1, 8))


def _transformer(m):
    return m(_x(3, 1, 8), _x(2, 1, 8))


def _layer(*args, **kwargs):
    return args, kwargs


# (layer, (args, kwargs), argument named in the error, its value, what PyTorch does, probe)
CASES = [
    # dense
    ("Linear", _layer(-1, 3), "in_features", -1, SAME, None),
    ("Linear", _layer(3, -2), "out_features", -2, SAME, None),
    ("Linear", _layer(2.5, 3), "in_features", 2.5, SAME, None),
    ("Linear", _layer("3", 3), "in_features", "3", SAME, None),
    ("Bilinear", _layer(-1, 2, 3), "in1_features", -1, SAME, None),
    ("Bilinear", _layer(0, 2, 3), "in1_features", 0, SAME, None),
    ("Bilinear", _layer(2, -2, 3), "in2_features", -2, SAME, None),
    # dropout
    ("Dropout", _layer(-0.1), "p", -0.1, SAME, None),
    ("Dropout", _layer(1.5), "p", 1.5, SAME, None),
    ("Dropout", _layer("0.5"), "p", "0.5", SAME, None),
    ("Dropout", _layer(math.nan), "p", "nan", LATER, _image),
    ("Dropout2d", _layer(2), "p", 2, SAME, None),
    ("Dropout1d", _layer(-1), "p", -1, SAME, None),
    ("AlphaDropout", _layer(-1), "p", -1, SAME, None),
    ("FeatureAlphaDropout", _layer(2), "p", 2, SAME, None),
    # embedding
    ("Embedding", _layer(-1, 3), "num_embeddings", -1, SAME, None),
    ("Embedding", _layer(10, -3), "embedding_dim", -3, SAME, None),
    ("Embedding", _layer(10.0, 3), "num_embeddings", 10.0, SAME, None),
    ("Embedding", _layer(10, 3, padding_idx=10), "padding_idx", 10, ASSERT, None),
    ("Embedding", _layer(10, 3, padding_idx=-11), "padding_idx", -11, ASSERT, None),
    # PyTorch renormalises looked-up rows to a negative norm: it flips their sign
    ("Embedding", _layer(10, 3, max_norm=-1.0), "max_norm", -1.0, SILENT, _embedding),
    # normalisation
    ("BatchNorm1d", _layer(-1), "num_features", -1, SAME, None),
    ("BatchNorm2d", _layer(3.0), "num_features", 3.0, SAME, None),
    ("BatchNorm2d", _layer(4, eps=-1.0), "eps", -1.0, LATER, _image),
    # a running average with weight outside [0, 1] over- or under-shoots the batch statistics
    ("BatchNorm2d", _layer(4, momentum=1.5), "momentum", 1.5, SILENT, _image),
    ("BatchNorm2d", _layer(4, momentum=-0.5), "momentum", -0.5, SILENT, _image),
    ("LayerNorm", _layer(-1), "normalized_shape", -1, SAME, None),
    ("LayerNorm", _layer((3, -2)), "normalized_shape", "(3, -2)", SAME, None),
    ("LayerNorm", _layer([3.0]), "normalized_shape", "[3.0]", SAME, None),
    # var + eps < 0 for features of small variance: NaN outputs
    ("LayerNorm", _layer(3, eps=-1.0), "eps", -1.0, SILENT, _image),
    ("GroupNorm", _layer(3, 4), "num_channels", 4, SAME, None),
    ("GroupNorm", _layer(0, 4), "num_groups", 0, ASSERT, None),
    ("GroupNorm", _layer(-2, 4), "num_groups", -2, LATER, _image),
    ("GroupNorm", _layer(2, -4), "num_channels", -4, SAME, None),
    ("GroupNorm", _layer(2.0, 4), "num_groups", 2.0, LATER, _image),
    ("RMSNorm", _layer(-3), "normalized_shape", -3, SAME, None),
    ("LocalResponseNorm", _layer(0), "size", 0, LATER, _image),
    ("LocalResponseNorm", _layer(-1), "size", -1, LATER, _image),
    # recurrent
    ("RNN", _layer(4, 0), "hidden_size", 0, SAME, None),
    ("RNN", _layer(4, -1), "hidden_size", -1, SAME, None),
    ("RNN", _layer(4, 3.0), "hidden_size", 3.0, SAME, None),
    ("RNN", _layer(-4, 3), "input_size", -4, SAME, None),
    ("RNN", _layer(0, 3), "input_size", 0, SAME, None),
    ("RNN", _layer(4.0, 3), "input_size", 4.0, SAME, None),
    ("RNN", _layer(4, 3, num_layers=0), "num_layers", 0, SAME, None),
    ("RNN", _layer(4, 3, num_layers=2.0), "num_layers", 2.0, SAME, None),
    ("RNN", _layer(4, 3, dropout=1.5), "dropout", 1.5, SAME, None),
    ("RNN", _layer(4, 3, nonlinearity="sigmoid"), "nonlinearity", "sigmoid", SAME, None),
    ("LSTM", _layer(4, 0), "hidden_size", 0, SAME, None),
    ("LSTM", _layer(4, 3, num_layers=-1), "num_layers", -1, SAME, None),
    ("LSTM", _layer(4, 3, dropout=-0.1), "dropout", -0.1, SAME, None),
    ("LSTM", _layer(4, 3, dropout="0.1"), "dropout", "0.1", SAME, None),
    ("LSTM", _layer(4, 3, proj_size=-1), "proj_size", -1, SAME, None),
    ("LSTM", _layer(4, 3, proj_size=3), "proj_size", 3, SAME, None),
    ("GRU", _layer(4, -3), "hidden_size", -3, SAME, None),
    ("GRU", _layer(4, 3, 2, dropout=2), "dropout", 2, SAME, None),
    ("GRU", _layer(4, 3, proj_size=1), "proj_size", 1, SAME, None),
    ("RNNCell", _layer(4, -1), "hidden_size", -1, SAME, None),
    ("RNNCell", _layer(-4, 3), "input_size", -4, SAME, None),
    ("RNNCell", _layer(4, 3, nonlinearity="gelu"), "nonlinearity", "gelu", LATER, _rnn_cell),
    ("LSTMCell", _layer(4, -1), "hidden_size", -1, SAME, None),
    ("GRUCell", _layer(-1, 3), "input_size", -1, SAME, None),
    # attention and transformers
    ("MultiheadAttention", _layer(10, 3), "embed_dim", 10, ASSERT, None),
    ("MultiheadAttention", _layer(0, 1), "embed_dim", 0, SAME, None),
    ("MultiheadAttention", _layer(8, -2), "num_heads", -2, SAME, None),
    ("MultiheadAttention", _layer(8, 2, dropout=1.5), "dropout", 1.5, LATER, _mha),
    ("MultiheadAttention", _layer(8, 2, kdim=-1), "kdim", -1, SAME, None),
    ("MultiheadAttention", _layer(8.0, 2), "embed_dim", 8.0, SAME, None),
    ("TransformerEncoderLayer", _layer(8, 2, activation="tanh"), "activation", "tanh", SAME, None),
    ("TransformerEncoderLayer", _layer(8, 3), "d_model", 8, ASSERT, None),
    ("TransformerEncoderLayer", _layer(8, 2, dropout=1.5), "dropout", 1.5, SAME, None),
    ("TransformerEncoderLayer", _layer(8, 2, 2048, -0.1), "dropout", -0.1, SAME, None),
    ("TransformerEncoderLayer", _layer(8, 2, -1), "dim_feedforward", -1, SAME, None),
    # LayerNorm with a negative eps: NaN for small-variance inputs
    (
        "TransformerEncoderLayer",
        _layer(8, 2, layer_norm_eps=-1.0),
        "layer_norm_eps",
        -1.0,
        SILENT,
        _encoder,
    ),
    (
        "TransformerDecoderLayer",
        _layer(8, 2, activation="swish"),
        "activation",
        "swish",
        SAME,
        None,
    ),
    ("TransformerDecoderLayer", _layer(8, 3), "d_model", 8, ASSERT, None),
    ("Transformer", _layer(8, 2, 1, 1, 8, activation="bad"), "activation", "bad", SAME, None),
    ("Transformer", _layer(8, 3), "d_model", 8, ASSERT, None),
    # range(-1) is empty: PyTorch builds a transformer without encoder layers, then indexes it
    ("Transformer", _layer(8, 2, -1, 1, 8), "num_encoder_layers", -1, LATER_ACCIDENT, _transformer),
    # losses
    ("MSELoss", _layer(reduction="avg"), "reduction", "avg", LATER, _loss),
    ("L1Loss", _layer(reduction="bad"), "reduction", "bad", LATER, _loss),
    ("NLLLoss", _layer(reduction="Mean"), "reduction", "Mean", LATER, _ce),
    ("CrossEntropyLoss", _layer(reduction="batchmean"), "reduction", "batchmean", LATER, _ce),
    ("KLDivLoss", _layer(reduction="avg"), "reduction", "avg", LATER, _loss),
    (
        "BCELoss",
        _layer(reduction=None),
        "reduction",
        "None",
        LATER,
        lambda m: m(_x(3).sigmoid(), _x(3).sigmoid()),
    ),
    ("CrossEntropyLoss", _layer(label_smoothing=1.5), "label_smoothing", 1.5, LATER, _ce),
    # a negative smoothing rewards putting probability on the wrong classes
    ("CrossEntropyLoss", _layer(label_smoothing=-0.1), "label_smoothing", -0.1, SILENT, _ce),
    ("SmoothL1Loss", _layer(beta=-1.0), "beta", -1.0, LATER, _loss),
    ("HuberLoss", _layer(delta=-1.0), "delta", -1.0, LATER, _loss),
    ("HuberLoss", _layer(delta=0.0), "delta", 0.0, LATER, _loss),
    ("CTCLoss", _layer(blank=-1), "blank", -1, LATER, _ctc),
    ("CTCLoss", _layer(reduction="x"), "reduction", "x", LATER, _ctc),
    # activations
    ("Hardtanh", _layer(2.0, 1.0), "min_val", 2.0, ASSERT, None),
    ("GELU", _layer(approximate="fast"), "approximate", "fast", LATER, _image),
    ("CELU", _layer(0.0), "alpha", 0.0, LATER, _image),
    ("PReLU", _layer(0), "num_parameters", 0, LATER, _image),
    ("PReLU", _layer(-1), "num_parameters", -1, SAME, None),
    ("RReLU", _layer(0.5, 0.1), "lower", 0.5, LATER, _image),
    ("Softshrink", _layer(-1.0), "lambd", -1.0, LATER, _image),
    ("PixelShuffle", _layer(0), "upscale_factor", 0, LATER, _image),
    ("PixelShuffle", _layer(-2), "upscale_factor", -2, LATER, _image),
    ("PixelUnshuffle", _layer(0), "downscale_factor", 0, LATER, _image),
    ("CosineSimilarity", _layer(eps=-1.0), "eps", -1.0, LATER, _pair),
]


def _torch_outcome(make, probe):
    """What PyTorch does: ('init', error), ('later', error) or ('ok', None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = make()
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            return "init", error
        try:
            probe(module.train())
        except Exception as error:  # noqa: BLE001
            return "later", error
    return "ok", None


def _case_id(case):
    name, (args, kwargs), arg, value, _, _ = case
    return f"{name}-{arg}={value}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_constructor_refuses_impossible_arguments_as_torch_does(case):
    name, (args, kwargs), argument, value, torch_does, probe = case
    stage, torch_error = _torch_outcome(
        lambda: getattr(torch.nn, name)(*args, **kwargs), probe or (lambda m: None)
    )
    # first the table's claim about PyTorch
    if torch_does in (SAME, ASSERT):
        assert stage == "init", f"torch.nn.{name} did not refuse at construction"
        assert isinstance(torch_error, (AssertionError, ZeroDivisionError)) == (
            torch_does == ASSERT
        ), f"torch raised {type(torch_error).__name__}"
    elif torch_does in (LATER, LATER_ACCIDENT):
        assert stage == "later", f"torch.nn.{name}: expected a failure on the first call: {stage}"
        accidental = isinstance(torch_error, (AssertionError, ZeroDivisionError, IndexError))
        assert accidental == (torch_does == LATER_ACCIDENT), repr(torch_error)
    else:
        assert stage == "ok", f"torch.nn.{name} now refuses it: {torch_error!r}; update the row"
    # then glassnet: it refuses at construction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            getattr(nn, name)(*args, **kwargs)
    error = info.value
    if torch_does in (SAME, LATER):
        assert isinstance(error, type(torch_error)), (
            f"glassnet raised {type(error).__name__}, torch {type(torch_error).__name__}"
        )
    else:  # ASSERT, LATER_ACCIDENT, SILENT: a ValueError for a wrong value
        assert isinstance(error, (ValueError, TypeError))
    message = str(error)
    assert message.startswith(name) or message.startswith(f"{name}"[:11]), message
    assert argument in message and str(value) in message, message
    assert re.search(r"must|has to|one of|cannot|not a valid", message), message


def test_glassnet_errors_are_plain_python_classes():
    # InvalidArgumentError is what a ValueError or a RuntimeError clause catches
    with pytest.raises(ValueError):
        nn.Linear(-1, 2)
    with pytest.raises(RuntimeError):
        nn.Linear(-1, 2)
    assert issubclass(glassnet.nn._arguments.InvalidArgumentError, glassnet.GlassnetError)


# Edge values that are allowed: both libraries make these layers.
ACCEPTED = [
    ("Linear", _layer(0, 3)),
    ("Linear", _layer(3, 0)),
    ("Linear", _layer(True, 3)),
    ("Bilinear", _layer(2, 0, 3)),
    ("Embedding", _layer(0, 3)),
    ("Embedding", _layer(10, 3, padding_idx=-10)),
    ("Embedding", _layer(10, 3, padding_idx=9)),
    ("BatchNorm1d", _layer(0)),
    ("BatchNorm1d", _layer(3, momentum=None)),
    ("BatchNorm1d", _layer(3, momentum=1.0, eps=0.0)),
    ("LayerNorm", _layer(())),
    ("LayerNorm", _layer(0)),
    ("LayerNorm", _layer([2, 3])),
    ("GroupNorm", _layer(2, 0)),
    ("Dropout", _layer(0)),
    ("Dropout", _layer(1.0)),
    ("RNNCell", _layer(4, 0)),
    ("LSTM", _layer(4, 3, proj_size=0)),
    ("RNN", _layer(4, 3, dropout=0.5, num_layers=2)),
    ("RReLU", _layer(-0.5, 0.1)),
    ("Hardshrink", _layer(-1.0)),
    ("KLDivLoss", _layer(reduction="batchmean")),
    ("CrossEntropyLoss", _layer(label_smoothing=1.0)),
    ("HuberLoss", _layer(delta=1e-3)),
    ("SmoothL1Loss", _layer(beta=0.0)),
    ("CTCLoss", _layer(blank=0)),
    ("MultiheadAttention", _layer(8, 8, dropout=1.0)),
    ("TransformerEncoderLayer", _layer(8, 2, dim_feedforward=0)),
    ("Transformer", _layer(8, 2, 0, 1, 8)),
    ("PixelShuffle", _layer(1)),
    ("LocalResponseNorm", _layer(1)),
    ("PReLU", _layer(1)),
    ("CELU", _layer(-1.0)),
]


@pytest.mark.parametrize("name, layer", ACCEPTED, ids=[f"{n}-{a}-{k}" for n, (a, k) in ACCEPTED])
def test_edge_values_both_libraries_accept(name, layer):
    args, kwargs = layer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(torch.nn, name)(*args, **kwargs)
        getattr(nn, name)(*args, **kwargs)


def test_transformer_encoder_refuses_a_negative_layer_count():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=8)
    with pytest.raises(ValueError, match="TransformerEncoder: num_layers must be a non-negative"):
        nn.TransformerEncoder(layer, -1)
    # PyTorch builds an encoder without layers from range(-1): an identity with a final norm
    torch_layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(torch.nn.TransformerEncoder(torch_layer, -1).layers) == 0
