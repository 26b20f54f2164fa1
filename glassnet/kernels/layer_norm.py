"""Layer norm over the rows of a 2-D float32 array, forward and backward, one pass per row.

The NumPy path (:class:`glassnet.ops.normalization.LayerNorm`) makes about eight passes over
the (rows, d) arrays each way, with BLAS for the row sums; at GPT sizes (1024 rows of 128) each
pass is a few tens of microseconds and the step has nine layer norms. Here each row is read
once for its statistics and once to write, with the sums kept in float64 (so they are no less
accurate than the NumPy path's BLAS sums), and the backward's column sums for the weight and
bias gradients accumulate in float64 too. ``fastmath={"reassoc"}`` lets LLVM vectorise the
row sums by reordering them; nothing else is relaxed (NaN and inf behave as in NumPy).

>>> import numpy as np
>>> x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
>>> out, xhat, invstd = np.empty_like(x), np.empty_like(x), np.empty(1, np.float32)
>>> ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
>>> layer_norm_forward(x, ones, zeros, np.float32(1e-5), out, xhat, invstd)
>>> [round(float(v), 3) for v in out[0]]
[-1.225, 0.0, 1.225]
"""

from __future__ import annotations

import numba
import numpy as np

_FAST = {"reassoc"}


@numba.njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def layer_norm_forward(x, weight, bias, eps, out, xhat, invstd):
    """Rows of ``x`` normalised into ``xhat``, then ``out = xhat * weight + bias``; ``invstd``
    (rows,) gets each row's 1 / sqrt(var + eps) (the biased variance, as PyTorch)."""
    rows, d = x.shape
    for r in range(rows):
        row = x[r]
        total = 0.0
        for j in range(d):
            total += row[j]
        mean = total / d
        spread = 0.0
        for j in range(d):
            centred = row[j] - mean
            spread += centred * centred
        inv = np.float32(1.0 / np.sqrt(spread / d + eps))
        invstd[r] = inv
        mean32 = np.float32(mean)
        normed, result = xhat[r], out[r]
        for j in range(d):
            h = (row[j] - mean32) * inv
            normed[j] = h
            result[j] = h * weight[j] + bias[j]


@numba.njit(cache=True, error_model="numpy", nogil=True, fastmath=_FAST)
def layer_norm_backward(grad, xhat, invstd, weight, grad_x, grad_weight, grad_bias):
    """From the output gradient: ``grad_x = invstd * (g w - mean(g w) - xhat mean(g w xhat))``
    per row, and the column sums ``grad_weight = sum(g xhat)``, ``grad_bias = sum(g)`` (float64
    arrays of length d, added to)."""
    rows, d = grad.shape
    for r in range(rows):
        g, h = grad[r], xhat[r]
        sum_d = 0.0
        sum_dh = 0.0
        for j in range(d):
            dh = g[j] * weight[j]
            sum_d += dh
            sum_dh += dh * h[j]
            grad_weight[j] += g[j] * h[j]
            grad_bias[j] += g[j]
        mean_d = np.float32(sum_d / d)
        mean_dh = np.float32(sum_dh / d)
        inv = invstd[r]
        out = grad_x[r]
        for j in range(d):
            out[j] = (g[j] * weight[j] - mean_d - h[j] * mean_dh) * inv
