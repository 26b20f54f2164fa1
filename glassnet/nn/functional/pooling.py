"""Pooling as functions: max, average and power-average (LP) pooling in 1-D, 2-D and 3-D.

Arguments follow PyTorch (``stride`` defaults to ``kernel_size``; ``ceil_mode``,
``count_include_pad``, ``divisor_override``, ``return_indices``). Inputs are (N, C, *spatial) or
unbatched (C, *spatial). Impossible settings (a zero kernel or stride, padding above half the
kernel) are refused with an error naming the setting. The adaptive pools are in
glassnet.nn.functional.pooling_adaptive.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> F.max_pool2d(x, 2).tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
>>> F.avg_pool3d(glassnet.ones(1, 1, 2, 4, 4), 2).shape
glassnet.Size([1, 1, 1, 2, 2])
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.nn.functional.window_args import (
    InvalidArgumentError,
    check_int,
    int_tuple,
    window_args,
)
from glassnet.ops.low_precision import bfloat16_in_float32
from glassnet.ops.pool_nd import AvgPoolNd, MaxPoolNd
from glassnet.ops.pooling import AvgPool, MaxPool, pool_output_size
from glassnet.tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
]

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def check_rank(op, x, nd):
    """The input's shape, after checking it is (C, *spatial) or (N, C, *spatial)."""
    shape = tuple(x._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        dims = SPATIAL[nd]
        raise ShapeError(
            f"{op}: expected a {nd + 1}-D (C, {dims}) or {nd + 2}-D (N, C, {dims}) input, got "
            f"{len(shape)}-D input of shape {shape}; reshape it to (N, C, {dims})."
        )
    return shape


def pool_settings(op, nd, kernel_size, stride, padding, dilation):
    """Checked (kernel, stride, padding, dilation) of a pool, without an input: positive
    kernel, stride and dilation, and padding at most half the kernel (PyTorch's rule: more
    would make windows of padding only)."""
    kernel, stride, padding, dilation = window_args(op, nd, kernel_size, stride, padding, dilation)
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise InvalidArgumentError(
                f"{op}: padding should be at most half of kernel size, got padding={padding} "
                f"for kernel_size={kernel}; use padding <= {k // 2} or a larger kernel."
            )
    return kernel, stride, padding, dilation


def pool_args(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pooling call against its input; returns (kernel, stride, padding, dilation)."""
    shape = check_rank(op, x, nd)
    kernel, stride, padding, dilation = pool_settings(
        op, nd, kernel_size, stride, padding, dilation
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
    kernel, stride, padding, dilation = pool_args(
        op, x, nd, kernel_size, stride, padding, dilation, ceil_mode
    )
    holder = [] if return_indices else None
    if nd == 3:
        out = MaxPoolNd.apply(x, kernel, stride, padding, dilation, bool(ceil_mode), holder)
    else:
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
    args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")
    return _max_pool(input, *args)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over sliding windows of (N, C, H, W); ``return_indices`` also gives the flat index
    of each maximum in its H*W plane (for max_unpool2d).

    >>> import glassnet
    >>> out, idx = max_pool2d(glassnet.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
    >>> out.tolist(), idx.tolist()
    ([[[[3.0]]]], [[[[3]]]])
    """
    args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")
    return _max_pool(input, *args)


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over sliding windows of volumes (N, C, D, H, W); indices are flat in D*H*W.

    >>> import glassnet
    >>> max_pool3d(glassnet.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
    [[[[[7.0]]]]]
    """
    args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")
    return _max_pool(input, *args)


@bfloat16_in_float32
def _avg_pool(
    x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, op
):
    kernel, stride, padding, _ = pool_args(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        divisor_override = check_int(divisor_override, "divisor_override", op, None)
        if divisor_override == 0:
            raise InvalidArgumentError(
                f"{op}: divisor_override must not be zero; leave it None to divide by the "
                "window size"
            )
    if nd == 3:
        return AvgPoolNd.apply(
            x, kernel, stride, padding, bool(ceil_mode), bool(count_include_pad), divisor_override
        )
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
    args = (ceil_mode, count_include_pad, None, 1, "avg_pool1d")
    return _avg_pool(input, kernel_size, stride, padding, *args)


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
    args = (ceil_mode, count_include_pad, divisor_override, 2, "avg_pool2d")
    return _avg_pool(input, kernel_size, stride, padding, *args)


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over sliding windows of volumes (N, C, D, H, W).

    >>> import glassnet
    >>> avg_pool3d(glassnet.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
    [[[[[3.5]]]]]
    """
    args = (ceil_mode, count_include_pad, divisor_override, 3, "avg_pool3d")
    return _avg_pool(input, kernel_size, stride, padding, *args)


def _lp_pool(x, norm_type, kernel_size, stride, ceil_mode, nd, op):
    # PyTorch's definition: (sum over the window of x^p)^(1/p), through the average pool
    # (times the window size), with negative window sums clamped to 0 before the root.
    from glassnet.nn.functional.activation import relu

    kernel = int_tuple(kernel_size, nd, "kernel_size", op)
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    out = pool(x.pow(norm_type), kernel, stride, 0, ceil_mode)
    size = 1
    for k in kernel:
        size *= k
    return (out.sign() * relu(out.abs())).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, L): the p-norm of each window (p = ``norm_type``; p = 1
    is sum pooling, large p approaches max pooling).

    >>> import glassnet
    >>> lp_pool1d(glassnet.tensor([[[3.0, 4.0]]]), 2, 2).tolist()
    [[[5.0]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, H, W): the p-norm of each window.

    >>> import glassnet
    >>> lp_pool2d(glassnet.ones(1, 1, 2, 2), 1, 2).tolist()
    [[[[4.0]]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of volumes (N, C, D, H, W): the p-norm of each window.

    >>> import glassnet
    >>> lp_pool3d(glassnet.ones(1, 1, 2, 2, 2), 1, 2).tolist()
    [[[[[8.0]]]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")
