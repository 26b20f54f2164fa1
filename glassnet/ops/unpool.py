"""MaxUnpool: the partial inverse of a max pool, forward and backward.

Each value of x goes to the flat position its index names in its (N, C) plane of a zero output
(the indices a max pool returned with ``return_indices=True``); every other output is zero. The
gradient of x is the output gradient gathered at those positions.

>>> import glassnet
>>> x = glassnet.tensor([[[5.0, 7.0]]], requires_grad=True)
>>> idx = glassnet.tensor([[[1, 2]]])
>>> MaxUnpool.apply(x, idx, (4,)).tolist()
[[[0.0, 5.0, 7.0, 0.0]]]
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module


class MaxUnpool(Function):
    """x (*lead, *in_size) scattered to ``indices`` (same shape, flat within each plane) of a
    zero (*lead, *out_size) output."""

    saves_inputs = False

    def forward(self, x, indices, out_size):
        xp = get_array_module(x)
        nd = len(out_size)
        lead = x.shape[: x.ndim - nd]
        planes, volume = math.prod(lead), math.prod(out_size)
        self.rows = xp.arange(planes).reshape(-1, 1)
        self.index = indices.reshape(planes, -1)
        self.x_shape, self.volume = x.shape, volume
        out = xp.zeros((planes, volume), dtype=x.dtype)
        out[self.rows, self.index] = x.reshape(planes, -1)
        return out.reshape(lead + tuple(out_size))

    def backward(self, grad):
        flat = grad.reshape(-1, self.volume)
        return flat[self.rows, self.index].reshape(self.x_shape), None, None
