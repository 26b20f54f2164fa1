"""Distances and normalisation along a dim: normalize, cosine_similarity, pairwise_distance.

Written from existing ops (norm, clamp, division), so they need no backward of their own.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.normalize(glassnet.tensor([[3.0, 4.0]]))
tensor([[0.6000, 0.8000]])
"""

from __future__ import annotations

from glassnet.ops.norm import norm

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``: unit-length vectors (embeddings).

    >>> import glassnet
    >>> normalize(glassnet.tensor([0.0, 2.0]), dim=0)
    tensor([0., 1.])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    denom = norm(input, p, dim, keepdim=True).clamp(min=eps)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos of the angle between x1 and x2 along ``dim`` (broadcasting), in [-1, 1].

    >>> import glassnet
    >>> cosine_similarity(glassnet.tensor([[1.0, 0.0]]), glassnet.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    # Dividing each vector by its norm first keeps the result within [-1, 1] (as PyTorch).
    n1 = norm(x1, 2, dim, keepdim=True).clamp(min=eps)
    n2 = norm(x2, 2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dim, row by row (broadcasting).

    >>> import glassnet
    >>> pairwise_distance(glassnet.tensor([[0.0, 0.0]]), glassnet.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    dim = max(x1._data.ndim, x2._data.ndim) - 1
    return norm(x1 - x2 + eps, p, dim, keepdim=keepdim)
