"""PixelShuffle and PixelUnshuffle: trade channels for resolution and back (super-resolution's
sub-pixel convolution: a Conv2d to C * r^2 channels, then PixelShuffle(r)).

>>> import glassnet
>>> from glassnet import nn
>>> up = nn.PixelShuffle(2)
>>> up
PixelShuffle(upscale_factor=2)
>>> up(glassnet.zeros(1, 8, 3, 3)).shape
glassnet.Size([1, 2, 6, 6])
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn.functional import pixel_shuffling as F
from glassnet.nn.module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r) with r = ``upscale_factor``.

    >>> PixelShuffle(3)
    PixelShuffle(upscale_factor=3)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = arg.check_size(
            "PixelShuffle", "upscale_factor", upscale_factor, positive=True
        )

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W) with r = ``downscale_factor``.

    >>> import glassnet
    >>> PixelUnshuffle(2)(glassnet.zeros(1, 1, 4, 4)).shape
    glassnet.Size([1, 4, 2, 2])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = arg.check_size(
            "PixelUnshuffle", "downscale_factor", downscale_factor, positive=True
        )

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
