"""Upsampling layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d.

>>> import glassnet
>>> from glassnet import nn
>>> up = nn.Upsample(scale_factor=2)
>>> up
Upsample(scale_factor=2.0, mode='nearest')
>>> up(glassnet.ones(1, 3, 4, 4)).shape
glassnet.Size([1, 3, 8, 8])
"""

from __future__ import annotations

from glassnet.nn.functional.interpolation import interpolate
from glassnet.nn.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by ``scale_factor``
    with ``mode`` ('nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear',
    'area'), as F.interpolate.

    >>> import glassnet
    >>> Upsample(size=(5, 6), mode="bilinear")(glassnet.ones(1, 1, 2, 3)).shape
    glassnet.Size([1, 1, 5, 6])
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode="nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of images (the older name for Upsample(mode='nearest')).

    >>> import glassnet
    >>> UpsamplingNearest2d(scale_factor=2)(glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of images with align_corners=True (the older name).

    >>> import glassnet
    >>> UpsamplingBilinear2d(size=3)(glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 3, 3])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
