"""Pooling as functions: max/avg pooling and their adaptive forms, in 1-D and 2-D.

Arguments follow PyTorch (``stride`` defaults to ``kernel_size``; ``ceil_mode``,
``count_include_pad``, ``return_indices``). Inputs are (N, C, *spatial) or unbatched (C, *spatial).

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> F.max_pool2d(x, 2).tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
>>> F.adaptive_avg_pool2d(x, 1).tolist()
[[[[7.5]]]]
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.nn.functional.conv import _tuple
from glassnet.ops.pooling import (
    AdaptiveMaxPool,
    AvgPool,
    MaxPool,
    SeparableMap,
    adaptive_avg_matrix,
    pool_output_size,
)
from glassnet.tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]


def _check_rank(op, x, nd):
    shape = tuple(x._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        dims = "L" if nd == 1 else "H, W"
        raise ShapeError(
            f"{op}: expected a {nd + 1}-D (C, {dims}) or {nd + 2}-D (N, C, {dims}) input, got "
            f"{len(shape)}-D input of shape {shape}; reshape it to (N, C, {dims})."
        )
    return shape


def _pool_args(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    shape = _check_rank(op, x, nd)
    kernel = _tuple(kernel_size, nd, "kernel_size", op)
    stride = (
        kernel
        if stride is None or stride == [] or stride == ()
        else _tuple(stride, nd, "stride", op)
    )
    padding = _tuple(padding, nd, "padding", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    for k, p, s, d in zip(kernel, padding, stride, dilation):
        if k < 1 or s < 1 or d < 1:
            raise ValueError(
                f"{op}: kernel_size, stride and dilation must be positive, got "
                f"kernel_size={kernel}, stride={stride}, dilation={dilation}"
            )
        if p > k // 2 or p < 0:
            raise ValueError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k}; use padding <= {k // 2} or a larger kernel."
            )
    out = [
        pool_output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(shape[-nd:], kernel, stride, padding, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{op}: input of shape {shape} is too small for kernel_size={kernel} (stride="
            f"{stride}, padding={padding}, dilation={dilation}): the output would be "
            f"{tuple(out)}. Use a smaller kernel, padding, or remove a downsampling layer."
        )
    return kernel, stride, padding, dilation


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, op):
    kernel, stride, padding, dilation = _pool_args(
        op, x, nd, kernel_size, stride, padding, dilation, ceil_mode
    )
    holder = [] if return_indices else None
    out = MaxPool.apply(
        x,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        indices_out=holder,
    )
    if return_indices:
        return out, Tensor._make(holder[0].astype("int64", copy=False))
    return out


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over sliding windows of (N, C, L).

    >>> import glassnet
    >>> max_pool1d(glassnet.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    return _max_pool(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d"
    )


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over sliding windows of (N, C, H, W); ``return_indices`` also gives the flat index
    of each maximum in its H*W plane (for max_unpool).

    >>> import glassnet
    >>> out, idx = max_pool2d(glassnet.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
    >>> out.tolist(), idx.tolist()
    ([[[[3.0]]]], [[[[3]]]])
    """
    return _max_pool(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d"
    )


def _avg_pool(
    x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, op
):
    kernel, stride, padding, _ = _pool_args(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must be non-zero")
    return AvgPool.apply(
        x,
        kernel=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of (N, C, L).

    >>> import glassnet
    >>> avg_pool1d(glassnet.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    return _avg_pool(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d"
    )


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over sliding windows of (N, C, H, W).

    >>> import glassnet
    >>> avg_pool2d(glassnet.arange(4.0).reshape(1, 1, 2, 2), 2).tolist()
    [[[[1.5]]]]
    """
    return _avg_pool(
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        2,
        "avg_pool2d",
    )


def _output_size(op, output_size, spatial):
    nd = len(spatial)
    if isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise ShapeError(f"{op}: output_size must have {nd} entries, got {output_size}")
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, spatial))
    if min(out) < 1 or min(spatial) < 1:
        raise ShapeError(
            f"{op}: output_size {out} and input size {tuple(spatial)} must be positive"
        )
    return out


def _adaptive_avg(x, output_size, nd, op):
    shape = _check_rank(op, x, nd)
    out = _output_size(op, output_size, shape[-nd:])
    data = x._data
    from glassnet.backend import get_array_module

    xp = get_array_module(data)
    mats = [
        None if o == n else adaptive_avg_matrix(n, o, data.dtype, xp)
        for n, o in zip(shape[-nd:], out)
    ]
    if nd == 1:
        mats = [None] + mats
    if mats[0] is None and mats[1] is None:
        return x * 1  # identity size: a fresh tensor, as PyTorch
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


def _adaptive_max(x, output_size, return_indices, nd, op):
    shape = _check_rank(op, x, nd)
    out_size = _output_size(op, output_size, shape[-nd:])
    holder = [] if return_indices else None
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
