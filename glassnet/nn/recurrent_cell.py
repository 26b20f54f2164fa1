"""Recurrent cells: one time step of an RNN, LSTM or GRU, for loops you write yourself.

Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` and their initialisation
(uniform in +-1/sqrt(hidden_size)) are PyTorch's. A step runs the same fused op as the sequence
layers (``glassnet.ops.recurrent``) over a sequence of length one.

>>> import glassnet
>>> cell = LSTMCell(4, 8)
>>> h = c = glassnet.zeros(2, 8)
>>> for x in glassnet.ones(5, 2, 4):                   # five steps of a batch of two
...     h, c = cell(x, (h, c))
>>> h.shape
glassnet.Size([2, 8])
"""

from __future__ import annotations

import math

from glassnet import creation, dtypes
from glassnet.errors import DTypeError, ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn import init
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence, Unpack

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _param(shape, device, dtype):
    return Parameter(
        creation.empty(*shape, device=device, dtype=dtype or dtypes.get_default_dtype())
    )


def initial_state(hx, lstm, who, expected, dtype, layout, advice=""):
    """``(h_0, c_0)`` from ``hx`` (c_0 is None but for an LSTM), each checked against the
    ``expected`` shape and the input's ``dtype``; ``layout`` and ``advice`` go into the error."""
    if hx is None:
        return None, None
    if lstm:
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"{who} expects hx as a tuple (h_0, c_0)")
        h0, c0 = hx
    else:
        h0, c0 = hx, None
    _check_state("h_0", h0, expected, dtype, layout, advice)
    if c0 is not None:
        _check_state("c_0", c0, expected, dtype, layout, advice)
    return h0, c0


def _check_state(name, h, expected, dtype, layout, advice):
    if tuple(h._data.shape) != expected:
        raise ShapeError(
            f"expected {name} of shape {expected} ({layout}), got {tuple(h.shape)}{advice}"
        )
    if h._data.dtype != dtype:
        raise DTypeError(f"expected {name} of dtype {dtype} (the input's), got {h._data.dtype}")


def _check_dtype(x, weight):
    if x._data.dtype != weight._data.dtype:
        raise DTypeError(
            f"expected input of dtype {weight._data.dtype} (the parameters' dtype), got "
            f"{x._data.dtype}; convert the input (x.to({weight._data.dtype})) or the layer "
            f"(layer.to({x._data.dtype}))."
        )


class RNNCellBase(Module):
    """One time step of a recurrent layer: weights ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` as in PyTorch. Call it in your own loop over time."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        input_size = arg.check_size(name, "input_size", input_size)
        hidden_size = arg.check_size(name, "hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _step(self, op, input, hx, nonlinearity=None):
        shape = tuple(input._data.shape)
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ShapeError(
                f"expected input of shape (batch, {self.input_size}) or ({self.input_size},) "
                f"(input_size={self.input_size}), got {shape}"
            )
        _check_dtype(input, self.weight_ih)
        B = shape[0] if len(shape) == 2 else 1
        h_shape = (B, self.hidden_size) if len(shape) == 2 else (self.hidden_size,)
        h0, c0 = initial_state(
            hx,
            op is LSTMSequence,
            "LSTMCell",
            h_shape,
            input._data.dtype,
            "batch, hidden_size; no batch dim for an unbatched input",
        )
        weights = [self.weight_ih, self.weight_hh]
        if self.bias:
            weights += [self.bias_ih, self.bias_hh]
        flat = op.apply(input, h0, c0, *weights, sizes=(B,), nonlinearity=nonlinearity)
        n_ext, n = 2 * B * self.hidden_size, B * self.hidden_size
        h = Unpack.apply(flat, n_ext, n_ext + n, h_shape)
        if op is LSTMSequence:
            return h, Unpack.apply(flat, n_ext + n, n_ext + 2 * n, h_shape)
        return h

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    >>> import glassnet
    >>> RNNCell(3, 5)(glassnet.ones(2, 3)).shape
    glassnet.Size([2, 5])
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        # PyTorch only notices on the first step (a RuntimeError): check it here instead
        arg.check_choice(
            "RNNCell",
            "nonlinearity",
            nonlinearity,
            ("tanh", "relu"),
            error=arg.InvalidArgumentError,
        )
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(RNNSequence, input, hx, self.nonlinearity)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    >>> import glassnet
    >>> h, c = LSTMCell(3, 5)(glassnet.ones(3))            # unbatched
    >>> h.shape, c.shape
    (glassnet.Size([5]), glassnet.Size([5]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._step(LSTMSequence, input, hx)


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``.

    >>> import glassnet
    >>> GRUCell(3, 5)(glassnet.ones(2, 3), glassnet.zeros(2, 5)).shape
    glassnet.Size([2, 5])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(GRUSequence, input, hx)
