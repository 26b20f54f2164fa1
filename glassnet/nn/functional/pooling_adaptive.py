"""Adaptive pooling as functions: average or max down to a fixed output size, whatever the
input size, in 1-D, 2-D and 3-D (``adaptive_avg_pool2d(x, 1)`` is global average pooling).

Window i of a dim of size n pooled to o spans [floor(i*n/o), ceil((i+1)*n/o)), as in PyTorch.
``output_size`` is an int or a tuple with one entry per spatial dim (None keeps that dim);
an output size of 0 gives an empty output, as in PyTorch.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> F.adaptive_avg_pool2d(x, 1).tolist()
[[[[7.5]]]]
>>> F.adaptive_max_pool3d(glassnet.ones(1, 2, 5, 6, 7), (2, None, 3)).shape
glassnet.Size([1, 2, 2, 6, 3])
"""

from __future__ import annotations

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.nn.functional.pooling import check_rank
from glassnet.nn.functional.window_args import InvalidArgumentError, int_tuple
from glassnet.ops.axis_maps import AxisMaps
from glassnet.ops.pool_nd import AdaptiveMaxPoolNd
from glassnet.ops.pooling import AdaptiveMaxPool, SeparableMap, adaptive_avg_matrix
from glassnet.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
]


def output_size(op, size, spatial):
    """The checked output size per spatial dim (None entries keep the input's size)."""
    nd = len(spatial)
    if isinstance(size, (tuple, list)):
        given = tuple(size)
        if len(given) != nd:
            raise InvalidArgumentError(
                f"{op}: output_size must be an int or a tuple of {nd} sizes (one per spatial "
                f"dim), got output_size={given}"
            )
        known = int_tuple(tuple(0 if g is None else g for g in given), nd, "output_size", op)
        out = tuple(n if g is None else k for g, k, n in zip(given, known, spatial))
    else:
        out = int_tuple(size, nd, "output_size", op)
    if min(out) < 0:
        raise InvalidArgumentError(
            f"{op}: elements of output_size must be non-negative, got output_size={out}"
        )
    if min(spatial) < 1:
        raise ShapeError(
            f"{op}: every spatial dim of the input must be non-empty, got spatial size "
            f"{tuple(spatial)}"
        )
    return out


def _adaptive_avg(x, size, nd, op):
    shape = check_rank(op, x, nd)
    out = output_size(op, size, shape[-nd:])
    xp = get_array_module(x._data)
    mats = [
        None if o == n else adaptive_avg_matrix(n, o, x._data.dtype, xp)
        for n, o in zip(shape[-nd:], out)
    ]
    if all(m is None for m in mats):
        return x * 1  # identity size: a fresh tensor, as PyTorch
    if nd == 3:
        return AxisMaps.apply(x, tuple(mats))
    if nd == 1:
        mats = [None] + mats
    return SeparableMap.apply(x, mats[0], mats[1])


def adaptive_avg_pool1d(input, output_size):
    """Average (N, C, L) down to ``output_size`` evenly spread windows.

    >>> import glassnet
    >>> adaptive_avg_pool1d(glassnet.tensor([[[1.0, 3.0, 2.0]]]), 1).tolist()
    [[[2.0]]]
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """Average (N, C, H, W) down to ``output_size`` (an int, or (h, w) with None = keep).

    >>> import glassnet
    >>> adaptive_avg_pool2d(glassnet.ones(2, 3, 7, 5), (1, None)).shape
    glassnet.Size([2, 3, 1, 5])
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    """Average volumes (N, C, D, H, W) down to ``output_size`` (an int or (d, h, w)).

    >>> import glassnet
    >>> adaptive_avg_pool3d(glassnet.ones(2, 3, 4, 7, 5), 1).shape
    glassnet.Size([2, 3, 1, 1, 1])
    """
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(x, size, return_indices, nd, op):
    shape = check_rank(op, x, nd)
    out_size = output_size(op, size, shape[-nd:])
    if min(out_size) == 0:
        # No windows: an empty output (its gradient is the zero gradient of the average's).
        empty = _adaptive_avg(x, out_size, nd, op)
        if return_indices:
            xp = get_array_module(x._data)
            return empty, Tensor._make(xp.zeros(tuple(empty.shape), dtype=xp.int64))
        return empty
    holder = [] if return_indices else None
    if nd == 3:
        out = AdaptiveMaxPoolNd.apply(x, out_size, holder)
    else:
        out = AdaptiveMaxPool.apply(x, output_size=out_size, indices_out=holder)
    if return_indices:
        return out, Tensor._make(holder[0].astype("int64", copy=False))
    return out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max of (N, C, L) over ``output_size`` evenly spread windows.

    >>> import glassnet
    >>> adaptive_max_pool1d(glassnet.tensor([[[1.0, 3.0, 2.0]]]), 1).tolist()
    [[[3.0]]]
    """
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max of (N, C, H, W) over ``output_size`` evenly spread windows.

    >>> import glassnet
    >>> adaptive_max_pool2d(glassnet.arange(9.0).reshape(1, 1, 3, 3), 2).tolist()
    [[[[4.0, 5.0], [7.0, 8.0]]]]
    """
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max of volumes (N, C, D, H, W) over ``output_size`` evenly spread windows; indices are
    flat in D*H*W.

    >>> import glassnet
    >>> adaptive_max_pool3d(glassnet.arange(8.0).reshape(1, 1, 2, 2, 2), 1).tolist()
    [[[[[7.0]]]]]
    """
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")
