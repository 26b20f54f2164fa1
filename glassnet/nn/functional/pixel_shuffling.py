"""pixel_shuffle and pixel_unshuffle: move values between the channel dim and the spatial dims.

``pixel_shuffle`` turns (*, C * r * r, H, W) into (*, C, H * r, W * r) (the sub-pixel
convolution of super-resolution networks); ``pixel_unshuffle`` is its inverse. Both are a
reshape, a permute and a reshape, so autograd derives their backward.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(8.0).reshape(1, 4, 1, 2)
>>> F.pixel_shuffle(x, 2)
tensor([[[[0., 2., 1., 3.],
          [4., 6., 5., 7.]]]])
>>> F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).equal(x)
True
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.nn._arguments import InvalidArgumentError
from glassnet.tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _check(name, input, factor, what):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
    if isinstance(factor, bool) or not isinstance(factor, int):
        raise TypeError(f"{name}: {what} must be an int, got {factor!r}")
    if factor <= 0:
        raise InvalidArgumentError(f"{name}: {what} must be a positive int, got {factor}")
    if input.ndim < 3:
        raise ShapeError(
            f"{name}: expected an input of at least 3 dims (*, C, H, W), got shape "
            f"{tuple(input.shape)}."
        )


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r) with r = ``upscale_factor``.

    >>> import glassnet
    >>> pixel_shuffle(glassnet.zeros(2, 9, 4, 4), 3).shape
    glassnet.Size([2, 1, 12, 12])
    """
    r = upscale_factor
    _check("pixel_shuffle", input, r, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle: the channel dim (-3) of the input of shape {tuple(input.shape)} "
            f"has size {c}, which is not divisible by upscale_factor^2 = {r * r}."
        )
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    # (*, C, r_h, r_w, H, W) -> (*, C, H, r_h, W, r_w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W) with r = ``downscale_factor``.

    >>> import glassnet
    >>> pixel_unshuffle(glassnet.zeros(2, 1, 12, 12), 3).shape
    glassnet.Size([2, 9, 4, 4])
    """
    r = downscale_factor
    _check("pixel_unshuffle", input, r, "downscale_factor")
    *lead, c, h, w = input.shape
    for what, size in (("height (dim -2)", h), ("width (dim -1)", w)):
        if size % r:
            raise ShapeError(
                f"pixel_unshuffle: the {what} of the input of shape {tuple(input.shape)} is "
                f"{size}, which is not divisible by downscale_factor = {r}."
            )
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    # (*, C, H, r_h, W, r_w) -> (*, C, r_h, r_w, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
