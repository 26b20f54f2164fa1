"""repeat_interleave: each element (or slice along a dim) repeated in place, ``[a, a, b, b]``
rather than repeat's ``[a, b, a, b]``.

It is an index_select with the repeated positions, so repeated elements send their gradients
back to the one they copy, summed.

>>> import glassnet
>>> glassnet.tensor([1, 2]).repeat_interleave(2)
tensor([1, 1, 2, 2])
>>> glassnet.repeat_interleave(glassnet.tensor([2, 0, 1]))  # the positions, repeated
tensor([0, 0, 2])
"""

from __future__ import annotations

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


def _counts(xp, repeats, n):
    """The repeat count of each of ``n`` positions, as an int64 array."""
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.dtype.kind not in "iu":
            raise TypeError(
                f"repeat_interleave: repeats must be an integer tensor, got {repeats.dtype}"
            )
        if counts.ndim > 1:
            raise ShapeError(
                f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got {counts.ndim}-dim"
            )
        counts = counts.reshape(-1)
        if counts.size == 1:
            counts = xp.full(n, int(counts[0]), dtype=xp.int64)
        elif counts.size != n:
            raise ShapeError(
                f"repeat_interleave: repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {counts.size} and input.size(dim) = {n}"
            )
    else:
        counts = xp.full(n, int(repeats), dtype=xp.int64)
    if counts.size and int(counts.min()) < 0:
        raise ValueError("repeat_interleave: repeats can not be negative")
    return counts.astype(xp.int64)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times (a number, or one count per element along
    ``dim``); with ``dim=None`` the input is flattened first. Given only a tensor of counts,
    the positions 0, 1, ... each repeated that often.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).repeat_interleave(glassnet.tensor([1, 2]), dim=0)
    tensor([[1, 2],
            [3, 4],
            [3, 4]])
    """
    xp = get_array_module(input._data)
    if repeats is None:  # repeat_interleave(counts)
        counts = _counts(xp, input, input._data.reshape(-1).shape[0])
        return Tensor._make(xp.repeat(xp.arange(counts.shape[0], dtype=xp.int64), counts))
    if dim is None:
        input, axis = input.reshape(-1), 0
    else:
        axis = normalize_dim(dim, input._data.ndim, "repeat_interleave")
        if input._data.ndim == 0:
            input = input.reshape(1)
    n = input.shape[axis]
    counts = _counts(xp, repeats, n)
    index = xp.repeat(xp.arange(n, dtype=xp.int64), counts)
    if output_size is not None and index.shape[0] != output_size:
        raise ValueError(
            f"repeat_interleave: output_size={output_size} does not match the repeats' sum "
            f"{index.shape[0]}"
        )
    return input.index_select(axis, Tensor._make(index))


__all__ = ["repeat_interleave"]
TENSOR_METHODS = {"repeat_interleave": repeat_interleave}
