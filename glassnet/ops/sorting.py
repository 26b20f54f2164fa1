"""Sorting and selecting the k largest: ``sort``, ``argsort``, ``topk``.

The indices come from NumPy's sort; the values are gathered with ``take_along_dim``, so
gradients flow back to the elements that were picked.

>>> import glassnet
>>> x = glassnet.tensor([3.0, 1.0, 2.0])
>>> x.sort().values.tolist(), x.topk(2).indices.tolist()
([1.0, 2.0, 3.0], [0, 2])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.backend import get_array_module
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor

SortResult = namedtuple("sort", ["values", "indices"])
TopKResult = namedtuple("topk", ["values", "indices"])


def argsort(input: Tensor, dim=-1, descending=False, stable=False) -> Tensor:
    """Indices that sort ``input`` along ``dim`` (ties keep their order when ascending)."""
    xp = get_array_module(input._data)
    if input._data.ndim == 0:
        return Tensor._make(xp.zeros((), dtype=xp.int64))
    axis = normalize_dim(dim, input._data.ndim, "argsort")
    data = input._data
    if descending:
        # Sorting the negation keeps ties in order; booleans and unsigned ints can't be negated.
        key = -data.astype(xp.float64) if data.dtype.kind in "bu" else -data
    else:
        key = data
    return Tensor._make(xp.argsort(key, axis=axis, kind="stable").astype(xp.int64))


def sort(input: Tensor, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; values carry gradients."""
    from glassnet.ops.index_gather import take_along_dim

    indices = argsort(input, dim, descending, stable)
    if input._data.ndim == 0:
        return SortResult(input, indices)
    return SortResult(take_along_dim(input, indices, dim), indices)


def topk(input: Tensor, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    from glassnet.ops.index_gather import take_along_dim

    axis = normalize_dim(dim, input._data.ndim, "topk")
    size = input._data.shape[axis] if input._data.ndim else 1
    if not 0 <= k <= size:
        raise IndexError(
            f"topk: k ({k}) is out of range for dimension {dim} of size {size}; "
            f"choose 0 <= k <= {size}"
        )
    order = argsort(input, axis, descending=largest)
    xp = get_array_module(order._data)
    idx = Tensor._make(xp.ascontiguousarray(xp.take(order._data, xp.arange(k), axis=axis)))
    return TopKResult(take_along_dim(input, idx, axis), idx)


TENSOR_METHODS = {"sort": sort, "argsort": argsort, "topk": topk}
__all__ = ["sort", "argsort", "topk"]
