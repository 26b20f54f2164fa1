"""The backward of attention's softmax over the last axis, ``ds = p * (dp - sum(dp * p))``,
in one pass per row: the NumPy path (:mod:`glassnet.ops.attention`) spends an einsum and two
array passes on it. The row sums are float64.

>>> import numpy as np
>>> p = np.array([[[0.25, 0.75]]], dtype=np.float32)
>>> dp = np.array([[[1.0, 0.0]]], dtype=np.float32)
>>> ds = np.empty_like(p)
>>> softmax_rows_grad(dp, p, ds)
>>> ds.tolist()
[[[0.1875, -0.1875]]]
"""

from __future__ import annotations

import numba
import numpy as np

_KW = dict(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})


@numba.njit(**_KW)
def softmax_rows_grad(dp, p, ds):
    """``ds = p * (dp - sum(dp * p))`` over the last axis of (B, L, S) arrays (``ds`` may be
    ``dp``)."""
    batch, length, keys = p.shape
    for b in range(batch):
        for i in range(length):
            g, q, out = dp[b, i], p[b, i], ds[b, i]
            dot = 0.0
            for j in range(keys):
                dot += g[j] * q[j]
            d = np.float32(dot)
            for j in range(keys):
                out[j] = (g[j] - d) * q[j]
