"""Sliding windows as columns: ``unfold`` (im2col) and its adjoint ``fold`` (col2im).

``unfold(x, kernel_size)`` turns (N, C, H, W) into (N, C*kh*kw, L): one column per window, L
windows in raster order, as PyTorch's ``F.unfold``; a convolution is then one matrix product.
``fold(cols, output_size, kernel_size)`` sums columns back into (N, C, H, W), adding where
windows overlap, so ``fold(unfold(x))`` multiplies each pixel by the number of windows over it.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> F.unfold(x, kernel_size=2, stride=2)[0].tolist()
[[0.0, 2.0, 8.0, 10.0], [1.0, 3.0, 9.0, 11.0], [4.0, 6.0, 12.0, 14.0], [5.0, 7.0, 13.0, 15.0]]
>>> bool((F.fold(F.unfold(x, 2, stride=2), (4, 4), 2, stride=2) == x).all())
True
"""

from __future__ import annotations

import math

from glassnet.errors import ShapeError
from glassnet.nn.functional.window_args import window_args
from glassnet.ops.fold import Fold, Unfold

__all__ = ["unfold", "fold"]


def _blocks(op, spatial, kernel, stride, padding, dilation):
    """The number of windows along each dim (each must be at least 1)."""
    blocks = tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
    )
    if min(blocks) < 1:
        raise ShapeError(
            f"{op}: input with spatial size {tuple(spatial)}, kernel_size={kernel}, dilation="
            f"{dilation}, padding={padding}, stride={stride} has {blocks} sliding blocks; "
            "every dim needs at least one: use a smaller kernel or more padding."
        )
    return blocks


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of (N, C, H, W) (or (C, H, W)) as columns (N, C*kh*kw, L).

    >>> import glassnet
    >>> unfold(glassnet.ones(2, 3, 5, 5), 3, padding=1).shape
    glassnet.Size([2, 27, 25])
    """
    shape = tuple(input._data.shape)
    if len(shape) not in (3, 4) or min(shape[-3:]) < 1:
        raise ShapeError(
            f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input with non-empty C, H "
            f"and W, got shape {shape}"
        )
    kernel, stride, padding, dilation = window_args(
        "unfold", 2, kernel_size, stride, padding, dilation
    )
    _blocks("unfold", shape[-2:], kernel, stride, padding, dilation)
    return Unfold.apply(input, kernel, stride, padding, dilation)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C*kh*kw, L) (or (C*kh*kw, L)) back into (N, C, *output_size), the
    adjoint of :func:`unfold`.

    >>> import glassnet
    >>> fold(glassnet.ones(1, 4, 9), (4, 4), 2)[0, 0].tolist()[1]
    [2.0, 4.0, 4.0, 2.0]
    """
    shape = tuple(input._data.shape)
    if len(shape) not in (2, 3) or min(shape[-2:]) < 1:
        raise ShapeError(
            f"fold: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input with non-empty "
            f"dims, got shape {shape}"
        )
    kernel, stride, padding, dilation = window_args(
        "fold", 2, kernel_size, stride, padding, dilation
    )
    size = window_args("fold", 2, output_size, 1, 0, 1)[0]  # positive ints, one per dim
    window = math.prod(kernel)
    if shape[-2] % window:
        raise ShapeError(
            f"fold: dim {len(shape) - 2} of the input ({shape[-2]}) must be divisible by the "
            f"kernel's size {kernel[0]}x{kernel[1]} = {window} (it holds C*kh*kw rows)"
        )
    blocks = _blocks("fold", size, kernel, stride, padding, dilation)
    if shape[-1] != math.prod(blocks):
        raise ShapeError(
            f"fold: given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, the input's last dim must be the number of "
            f"sliding blocks {blocks[0]}*{blocks[1]} = {math.prod(blocks)}, got {shape[-1]}"
        )
    return Fold.apply(input, size, kernel, stride, padding, dilation)
