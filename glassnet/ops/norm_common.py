"""What the normalisation ops share: which inputs want a gradient, per-channel sums by BLAS
and the spreading of a per-channel vector along contiguous rows, and the size of a shape.

>>> import numpy as np
>>> _spread(np, np.array([1.0, 2.0]), 3).tolist()
[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations


def _wants(fn, i):
    """Whether input ``i`` needs a gradient (the caller says so in ``needs``; skip the work
    otherwise: a frozen weight, or the input of the first layer)."""
    return fn.needs[i]


def needs_grad(*tensors):
    """The ``needs`` argument of the Functions here: which of the tensors require grad."""
    return tuple(t is not None and t.requires_grad for t in tensors)


def _channel_sum(xp, a, c, s, channels_last=False):
    """Per-channel sums of an (N, C*S) array (channels-last: (N, S*C)): two BLAS matrix-vector
    products, several times faster than ``sum(axis=(0, 2))`` on (N, C, S)."""
    col = xp.ones(a.shape[0], dtype=a.dtype) @ a
    return _fold(xp, col, c, s, channels_last)


def _channel_dot(xp, a, b, c, s, channels_last=False):
    """Per-channel sums of ``a * b`` over (N, C*S) arrays, without an (N, C*S) temporary."""
    return _fold(xp, xp.einsum("nk,nk->k", a, b), c, s, channels_last)


def _fold(xp, col, c, s, channels_last):
    """The (C*S,) column sums of an (N, C*S) array (channels-last: (S*C,)) summed per channel."""
    if s == 1:
        return col
    if channels_last:
        return xp.ones(s, dtype=col.dtype) @ col.reshape(s, c)
    return col.reshape(c, s) @ xp.ones(s, dtype=col.dtype)


def _spread(xp, v, s, channels_last=False):
    """A per-channel vector repeated to (C*S,) (channels-last: tiled to (S*C,)), so it
    broadcasts along the rows of an (N, C*S) array: NumPy's contiguous inner loop there is a
    few times faster than broadcasting a (C, 1) column over (N, C, S)."""
    if s == 1:
        return v
    return xp.tile(v, s) if channels_last else xp.repeat(v, s)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n
