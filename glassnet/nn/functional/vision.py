"""Padding and the older resizing names: pad, upsample, upsample_nearest, upsample_bilinear.

``interpolate`` itself, with every mode, is in glassnet.nn.functional.interpolation.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([[1.0, 2.0, 3.0, 4.0]])
>>> F.pad(x, (1, -1), mode="replicate").tolist()
[[1.0, 1.0, 2.0, 3.0]]
>>> F.upsample_nearest(x[None], scale_factor=2).shape
glassnet.Size([1, 1, 8])
"""

from __future__ import annotations

from glassnet.nn.functional.interpolation import interpolate
from glassnet.ops.shape_pad import pad as _pad

__all__ = ["pad", "upsample", "upsample_nearest", "upsample_bilinear"]


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims of ``input``: ``pad`` lists (before, after) pairs from the last dim
    backwards; ``mode`` is 'constant', 'reflect', 'replicate' or 'circular'. Negative amounts
    crop, in every mode, as in PyTorch.

    >>> import glassnet
    >>> pad(glassnet.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    return _pad(input, pad, mode=mode, value=value)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Older name of :func:`interpolate`.

    >>> import glassnet
    >>> upsample(glassnet.ones(1, 1, 2), scale_factor=2).shape
    glassnet.Size([1, 1, 4])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Nearest-neighbour upsampling (older name).

    >>> import glassnet
    >>> upsample_nearest(glassnet.ones(1, 1, 2, 2), scale_factor=2).shape
    glassnet.Size([1, 1, 4, 4])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with align_corners=True (older name).

    >>> import glassnet
    >>> upsample_bilinear(glassnet.ones(1, 1, 2, 2), size=3).shape
    glassnet.Size([1, 1, 3, 3])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
