"""RandomRotation: rotate by a random angle, sampling the source image by inverse mapping.

Each output pixel asks which input point rotates onto it, then reads that point with nearest
or bilinear interpolation; points outside the image read ``fill``. Positive angles turn the
picture counter-clockwise (as torchvision and ``numpy.rot90``).

>>> import numpy as np
>>> from glassnet.data.transforms import rotate
>>> rotate(np.array([[[1, 2], [3, 4]]]), 90).tolist()
[[[2, 4], [1, 3]]]
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet import backend
from glassnet.data.transforms._base import Transform, image_array, output, rng

_INTERPOLATIONS = ("nearest", "bilinear")


def rotate(a, angle, interpolation="nearest", fill=0, center=None):
    """Rotate the last two axes of array ``a`` by ``angle`` degrees counter-clockwise about
    ``center = (x, y)`` in pixel indices (default: the middle of the image)."""
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"rotate: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
        )
    xp = backend.get_array_module(a)
    h, w = a.shape[-2:]
    cx, cy = ((w - 1) / 2, (h - 1) / 2) if center is None else (float(c) for c in center)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    # Source coordinates in float64 on the CPU: small, and exact enough that a 90-degree
    # turn lands on whole pixels.
    dy, dx = np.mgrid[0:h, 0:w].astype(np.float64)
    dx -= cx
    dy -= cy
    src_x = xp.asarray(cos * dx - sin * dy + cx)
    src_y = xp.asarray(sin * dx + cos * dy + cy)
    integer = a.dtype.kind in "iub"
    work_dtype = np.float32 if integer else a.dtype
    fill_value = _fill(xp, fill, a, work_dtype if interpolation == "bilinear" else a.dtype)
    if interpolation == "nearest":
        return _sample(
            xp, a, xp.rint(src_y).astype(np.int64), xp.rint(src_x).astype(np.int64), fill_value
        )
    x = a.astype(work_dtype) if integer else a
    x0, y0 = xp.floor(src_x), xp.floor(src_y)
    fx, fy = (src_x - x0).astype(work_dtype), (src_y - y0).astype(work_dtype)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = None
    for oy, ox, weight in (
        (0, 0, (1 - fy) * (1 - fx)),
        (0, 1, (1 - fy) * fx),
        (1, 0, fy * (1 - fx)),
        (1, 1, fy * fx),
    ):
        term = _sample(xp, x, y0 + oy, x0 + ox, fill_value) * weight
        out = term if out is None else out + term
    if integer:
        out = xp.rint(out).astype(a.dtype)
    return out


def _fill(xp, fill, a, dtype):
    """``fill`` as a value broadcastable against the image: a number, or one per channel."""
    if isinstance(fill, numbers.Number):
        return xp.asarray(fill, dtype=dtype)
    return xp.asarray(fill, dtype=dtype).reshape(-1, 1, 1)


def _sample(xp, a, yi, xi, fill_value):
    h, w = a.shape[-2:]
    inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
    values = a[..., yi.clip(0, h - 1), xi.clip(0, w - 1)]
    return xp.where(inside, values, fill_value)


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (a number ``d`` means ``(-d, d)``).

    ``interpolation`` is 'nearest' (default, as torchvision) or 'bilinear'; ``fill`` (a number
    or one value per channel) fills the corners that rotate in from outside; ``center`` is the
    ``(x, y)`` pixel to turn about.

    >>> import numpy as np
    >>> RandomRotation((180, 180))(np.array([[[1, 2], [3, 4]]])).tolist()
    [[[4, 3], [2, 1]]]
    """

    def __init__(self, degrees, interpolation="nearest", fill=0, center=None):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(
                    f"RandomRotation: degrees must be non-negative when a single "
                    f"number, got {degrees}"
                )
            degrees = (-degrees, degrees)
        if len(degrees) != 2:
            raise ValueError(
                f"RandomRotation: degrees must be a number or a (min, max) pair, got {degrees}"
            )
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"RandomRotation: interpolation must be one of {_INTERPOLATIONS}, "
                f"got {interpolation!r}"
            )
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.fill, self.center = interpolation, fill, center

    def __call__(self, image):
        a, was_tensor = image_array(image, "RandomRotation")
        angle = float(rng().uniform(self.degrees[0], self.degrees[1]))
        return output(rotate(a, angle, self.interpolation, self.fill, self.center), was_tensor)
