"""Max unpooling as functions: max_unpool1d/2d/3d, the partial inverse of max pooling.

``max_unpool2d(y, indices, kernel_size)`` puts each pooled value back where the max pool took it
from (``indices`` from ``max_pool2d(..., return_indices=True)``) and zeros elsewhere, as in
PyTorch; ``output_size`` picks among the input sizes that pool to the same size.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
>>> y, idx = F.max_pool2d(x, 2, return_indices=True)
>>> F.max_unpool2d(y, idx, 2).tolist()
[[[[0.0, 0.0], [0.0, 4.0]]]]
"""

from __future__ import annotations

import math

from glassnet.backend import get_array_module, to_numpy
from glassnet.errors import DTypeError, ShapeError
from glassnet.nn.functional.pooling import check_rank
from glassnet.nn.functional.window_args import InvalidArgumentError, int_tuple
from glassnet.ops.unpool import MaxUnpool

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def unpool_output_size(op, in_size, kernel, stride, padding, output_size):
    """PyTorch's rule: (in - 1) * stride - 2 * padding + kernel per dim, or ``output_size``
    (its last entries) when it lies strictly within one stride of that."""
    default = tuple((n - 1) * s + k - 2 * p for n, k, s, p in zip(in_size, kernel, stride, padding))
    if output_size is None:
        return default
    nd = len(kernel)
    want = tuple(int(v) for v in output_size)
    if len(want) == nd + 2:
        want = want[2:]
    if len(want) != nd:
        raise ValueError(
            f"{op}: output_size should have {nd} or {nd + 2} entries, but it has "
            f"{len(want)}: {tuple(output_size)}"
        )
    for d, (w, base, s) in enumerate(zip(want, default, stride)):
        if not base - s < w < base + s:
            raise ValueError(
                f'{op}: invalid output_size "{want}" (dim {d} must be between {base - s} and '
                f"{base + s}, exclusive); the input of size {tuple(in_size)} unpools to {default}."
            )
    return want


def _max_unpool(x, indices, kernel_size, stride, padding, output_size, nd, op):
    shape = check_rank(op, x, nd)
    kernel = int_tuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else int_tuple(stride, nd, "stride", op)
    padding = int_tuple(padding, nd, "padding", op)
    index = indices._data
    if index.dtype.kind not in "iu" or index.dtype.itemsize != 8:
        raise DTypeError(
            f"{op}: indices must be int64 (as max_pool{nd}d(..., return_indices=True) gives), "
            f"got {index.dtype}"
        )
    if tuple(index.shape) != shape:
        raise ShapeError(
            f"{op}: indices must have the input's shape {shape}, got {tuple(index.shape)}"
        )
    size = unpool_output_size(op, shape[-nd:], kernel, stride, padding, output_size)
    volume = math.prod(size)
    if index.size:
        xp = get_array_module(index)
        low, high = (int(to_numpy(v)) for v in (xp.min(index), xp.max(index)))
        if low < 0 or high >= volume:
            bad = low if low < 0 else high
            raise InvalidArgumentError(
                f"{op}: found an invalid max index {bad}: the output volumes have "
                f"{'x'.join(map(str, size))} = {volume} positions; were the indices made by a "
                "pool with the same kernel_size, stride and padding?"
            )
    return MaxUnpool.apply(x, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo max_pool1d: values back at their indices of a zero (N, C, L_out).

    >>> import glassnet
    >>> y, idx = glassnet.nn.functional.max_pool1d(glassnet.tensor([[[1.0, 3.0]]]), 2,
    ...                                            return_indices=True)
    >>> max_unpool1d(y, idx, 2).tolist()
    [[[0.0, 3.0]]]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo max_pool2d: values back at their indices of a zero (N, C, H_out, W_out).

    >>> import glassnet
    >>> y, idx = glassnet.nn.functional.max_pool2d(glassnet.ones(1, 1, 4, 4), 2,
    ...                                            return_indices=True)
    >>> max_unpool2d(y, idx, 2, output_size=(5, 5)).shape
    glassnet.Size([1, 1, 5, 5])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo max_pool3d: values back at their indices of a zero (N, C, D_out, H_out, W_out).

    >>> import glassnet
    >>> y, idx = glassnet.nn.functional.max_pool3d(glassnet.ones(1, 1, 2, 2, 2), 2,
    ...                                            return_indices=True)
    >>> max_unpool3d(y, idx, 2).sum().item()
    1.0
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")
