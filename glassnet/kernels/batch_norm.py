"""Batch norm's training passes over float32 activations, compiled: statistics, the affine
output, and the backward's sums and input gradient, two reads and one write each way.

The NumPy path (:class:`glassnet.ops.normalization.BatchNorm`) spends five array passes on the
forward (with a saved ``x - mean`` copy) and seven on the backward. Here:

- forward: one read for the per-channel sums, one for the squared deviations, one to write
  ``(x - mean) * scale + shift``; the input itself is what the backward reads (the op keeps it,
  and autograd's version check refuses an in-place change of it before the backward);
- backward: one read of the gradient and the input for ``sum(g)`` and ``sum(g (x - mean))``,
  one to write ``dx = a g - k (x - mean) - b`` with the per-channel ``a, k, b`` of the formula.

Sums are float64 (no less accurate than the NumPy path's float32 BLAS sums). Two layouts, each
with the channel where the vectorised inner loop wants it: ``rows`` for channels-last (R, C)
matrices (the loop runs along the channels) and ``planes`` for NCHW (N, C, S) arrays (along a
channel's S positions, ``fastmath={"reassoc"}`` letting LLVM reorder that sum).

>>> import numpy as np
>>> x = np.arange(8, dtype=np.float32).reshape(4, 2)          # 4 positions, 2 channels
>>> total, squares = np.zeros(2), np.zeros(2)
>>> rows_moments(x, total, squares)
>>> (total / 4).tolist(), (squares / 4).tolist()              # mean, biased variance
([3.0, 4.0], [5.0, 5.0])
"""

from __future__ import annotations

import numba

_FAST = {"reassoc"}
_KW = dict(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)


@numba.njit(**_KW)
def rows_moments(x, total, squares):
    """Per-column sums of ``x`` (R, C) into ``total`` and of squared deviations from the mean
    into ``squares`` (float64 (C,) arrays, zeroed by the caller)."""
    rows, channels = x.shape
    for r in range(rows):
        row = x[r]
        for c in range(channels):
            total[c] += row[c]
    mean = total / rows
    for r in range(rows):
        row = x[r]
        for c in range(channels):
            d = row[c] - mean[c]
            squares[c] += d * d


@numba.njit(**_KW)
def planes_moments(x, total, squares):
    """:func:`rows_moments` for ``x`` (N, C, S), the channel axis in the middle."""
    n, channels, size = x.shape
    for i in range(n):
        for c in range(channels):
            plane = x[i, c]
            s = 0.0
            for j in range(size):
                s += plane[j]
            total[c] += s
    mean = total / (n * size)
    for i in range(n):
        for c in range(channels):
            plane = x[i, c]
            m = mean[c]
            s = 0.0
            for j in range(size):
                d = plane[j] - m
                s += d * d
            squares[c] += s


@numba.njit(**_KW)
def rows_affine(x, mean, scale, shift, out):
    """``out = (x - mean) * scale + shift`` per column (float32 (C,) coefficients)."""
    rows, channels = x.shape
    for r in range(rows):
        row, result = x[r], out[r]
        for c in range(channels):
            result[c] = (row[c] - mean[c]) * scale[c] + shift[c]


@numba.njit(**_KW)
def planes_affine(x, mean, scale, shift, out):
    """:func:`rows_affine` for (N, C, S) arrays."""
    n, channels, size = x.shape
    for i in range(n):
        for c in range(channels):
            plane, result = x[i, c], out[i, c]
            m, a, b = mean[c], scale[c], shift[c]
            for j in range(size):
                result[j] = (plane[j] - m) * a + b


@numba.njit(**_KW)
def rows_grad_sums(g, x, mean, grad_sum, grad_dot):
    """Per-column ``sum(g)`` and ``sum(g * (x - mean))`` (float64 (C,), zeroed by the caller)."""
    rows, channels = g.shape
    for r in range(rows):
        gr, xr = g[r], x[r]
        for c in range(channels):
            grad_sum[c] += gr[c]
            grad_dot[c] += gr[c] * (xr[c] - mean[c])


@numba.njit(**_KW)
def planes_grad_sums(g, x, mean, grad_sum, grad_dot):
    """:func:`rows_grad_sums` for (N, C, S) arrays."""
    n, channels, size = g.shape
    for i in range(n):
        for c in range(channels):
            gp, xp_ = g[i, c], x[i, c]
            m = mean[c]
            s = 0.0
            sd = 0.0
            for j in range(size):
                s += gp[j]
                sd += gp[j] * (xp_[j] - m)
            grad_sum[c] += s
            grad_dot[c] += sd


@numba.njit(**_KW)
def rows_input_grad(g, x, mean, a, k, b, out):
    """``out = a * g - k * (x - mean) - b`` per column."""
    rows, channels = g.shape
    for r in range(rows):
        gr, xr, result = g[r], x[r], out[r]
        for c in range(channels):
            result[c] = a[c] * gr[c] - k[c] * (xr[c] - mean[c]) - b[c]


@numba.njit(**_KW)
def planes_input_grad(g, x, mean, a, k, b, out):
    """:func:`rows_input_grad` for (N, C, S) arrays."""
    n, channels, size = g.shape
    for i in range(n):
        for c in range(channels):
            gp, xp_, result = g[i, c], x[i, c], out[i, c]
            m, ac, kc, bc = mean[c], a[c], k[c], b[c]
            for j in range(size):
                result[j] = ac * gp[j] - kc * (xp_[j] - m) - bc
