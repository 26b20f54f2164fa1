"""``F.pdist``: the distances between every pair of rows of an (N, M) matrix, the upper
triangle of ``cdist(x, x)`` read row by row (N (N - 1) / 2 values).

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.pdist(glassnet.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
tensor([ 5., 10.,  5.])
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.errors import ShapeError

__all__ = ["pdist"]


def pdist(input, p=2):
    """p-norm distances of the row pairs (i, j), i < j, in row-major order."""
    if input.ndim != 2:
        raise ShapeError(f"pdist: expected a 2-D (N, M) input, got shape {tuple(input.shape)}")
    if p < 0:
        raise ValueError(f"pdist: only supports non-negative p values, got {p}")
    n = input.shape[0]
    i, j = np.triu_indices(n, k=1)
    dev = input.device
    diff = input[glassnet.tensor(i, device=dev)] - input[glassnet.tensor(j, device=dev)]
    if p == 0:
        return (diff != 0).to(input.dtype).sum(dim=1)
    if p == float("inf"):
        return diff.abs().max(dim=1).values
    return glassnet.linalg.vector_norm(diff, ord=p, dim=1)
