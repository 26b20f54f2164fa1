"""Fused recurrent networks: a whole multi-layer RNN, LSTM or GRU over a whole sequence is one op.

Composing a recurrence from per-step ops costs a dozen graph nodes per time step. Here one
Function runs every layer and direction: the input projection ``x @ W_ih^T`` of all time steps is
one big matmul, the loop over time does only the hidden-to-hidden matmul and the gate math in
place, and backward is backpropagation through time in one function, whose weight gradients are
again one big matmul each.

Sequences are laid out "packed" (PyTorch's PackedSequence layout): the rows of time step ``t`` are
``batch_sizes[t]`` consecutive rows, sorted by decreasing length, so a step touches only the
sequences still running. A padded batch is the special case where every step has all ``B`` rows.
Per layer, the hidden states live in one ``(B + N, D * H)`` array: rows ``0..B`` hold the initial
state, then one row per (step, sequence); direction ``d`` owns columns ``d*H:(d+1)*H``.

The result is one flat array [initial rows + outputs | h_n | c_n] that ``Unpack`` slices into the
output and the final states (a Function has one output).

>>> import numpy as np, glassnet
>>> x = glassnet.ones(3, 1, 2)                       # (time, batch, features)
>>> w = [glassnet.full(s, 0.1, requires_grad=True) for s in [(8, 2), (8, 2), (8,), (8,)]]
>>> flat = LSTMSequence.apply(x, None, None, *w, sizes=(1, 1, 1))
>>> Unpack.apply(flat, 2, 8, (3, 1, 2)).shape       # output rows after the initial one
glassnet.Size([3, 1, 2])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.recurrent_base import (  # noqa: F401 - the shared driver, re-exported
    _bias_grads,
    _Embedded,
    _initial,
    _project,
    _project_gates,
    _quiet,
    _restore,
    _Sequence,
)
from glassnet.ops.recurrent_gru import GRUSequence, _sigmoid_  # noqa: F401 - one file per cell
from glassnet.ops.recurrent_lstm import LSTMSequence, _most_rows  # noqa: F401
from glassnet.ops.recurrent_rnn import RNNSequence  # noqa: F401

__all__ = []


class Unpack(Function):
    """One part of a fused recurrent op's flat result, as a view: the output or a final state."""

    is_view = True
    saves_inputs = False

    def forward(self, flat, start, stop, shape, batch_first=False):
        self.size, self.start, self.stop = flat.shape[0], start, stop
        self.shape, self.batch_first = shape, batch_first
        out = flat[start:stop].reshape(shape)
        return out.swapaxes(0, 1) if batch_first else out

    def backward(self, grad):
        g = get_array_module(grad).empty(self.size, grad.dtype)
        g[: self.start] = 0  # only the rest of the flat result is zero-filled
        g[self.stop :] = 0
        g[self.start : self.stop].reshape(self.shape)[...] = (
            grad.swapaxes(0, 1) if self.batch_first else grad
        )
        return (g,)
