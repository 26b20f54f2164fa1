"""Unfold and Fold layers: an image batch's sliding windows as columns (im2col) and back.

>>> import glassnet
>>> from glassnet import nn
>>> unfold = nn.Unfold(kernel_size=(2, 3))
>>> cols = unfold(glassnet.ones(2, 5, 3, 4))
>>> cols.shape                                     # (N, C*2*3, number of windows)
glassnet.Size([2, 30, 4])
>>> nn.Fold(output_size=(3, 4), kernel_size=(2, 3))(cols).shape
glassnet.Size([2, 5, 3, 4])
"""

from __future__ import annotations

from glassnet.nn import functional as F
from glassnet.nn.functional.window_args import window_args
from glassnet.nn.module import Module

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Extract sliding windows of (N, C, H, W) as columns (N, C*kh*kw, L).

    >>> Unfold(2, padding=1)
    Unfold(kernel_size=2, dilation=1, padding=1, stride=1)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        window_args("Unfold", 2, kernel_size, stride, padding, dilation)
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Sum columns (N, C*kh*kw, L) back into images (N, C, *output_size).

    >>> Fold((4, 5), 2)
    Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        window_args("Fold", 2, kernel_size, stride, padding, dilation)
        window_args("Fold", 2, output_size, 1, 0, 1)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self):
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation="
            f"{self.dilation}, padding={self.padding}, stride={self.stride}"
        )
