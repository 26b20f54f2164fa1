"""What the image transforms share: take a CHW (or NCHW) NumPy/CuPy array or Tensor, hand back
the same kind, and draw random parameters from glassnet's seeded generator.

>>> import glassnet
>>> from glassnet.data.transforms import RandomHorizontalFlip
>>> RandomHorizontalFlip(p=0.5)
RandomHorizontalFlip(p=0.5)
"""

from __future__ import annotations

import numbers

from glassnet import random as grandom
from glassnet.data._arrays import unwrap, wrap
from glassnet.errors import DTypeError, ShapeError


class Transform:
    """Base class: a callable that maps an image (or a batch of images) to a new one.

    Geometric transforms work on the last two dimensions (height, width), so a batch ``N, C, H,
    W`` gets the same random parameters for every image in it; call the transform per sample
    (as a Dataset does) to draw new parameters for each image.
    """

    def __call__(self, image):
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def image_array(image, name, min_ndim=2):
    """``(array, was_tensor)`` for an image of at least ``min_ndim`` dimensions."""
    a, was_tensor = unwrap(image)
    if a.ndim < min_ndim:
        layout = "(C, H, W)" if min_ndim == 3 else "(H, W) or (C, H, W)"
        raise ShapeError(
            f"{name}: expected an image of shape {layout} (or a batch with leading "
            f"dimensions), got shape {tuple(a.shape)}; convert HWC images with "
            "ToTensor() first"
        )
    return a, was_tensor


def float_array(a, name):
    """Transforms that compute in floating point refuse integer images with a clear message."""
    if a.dtype.kind != "f":
        raise DTypeError(
            f"{name}: expected a floating-point image, got dtype {a.dtype}; "
            "convert it with ToTensor() (uint8 -> float32 in [0, 1]) first"
        )
    return a


def output(array, was_tensor):
    return wrap(array, was_tensor)


def rng():
    """glassnet's CPU generator: parameters are drawn on the CPU whatever the image's device."""
    return grandom.rng("cpu")


def pair(value, name):
    """``size`` given as one number or a (height, width) pair."""
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value[0], value[0]
    if len(value) != 2:
        raise ValueError(f"{name}: size must be an int or a (height, width) pair, got {value}")
    return value


def as_range(value, name, center=1.0, low=0.0):
    """A jitter amount ``v`` as the range ``[max(low, center - v), center + v]``, or a given
    ``(min, max)`` pair; ``None`` when it asks for no jitter."""
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{name}: must be non-negative, got {value}")
        value = (max(low, center - value), center + value)
    value = tuple(float(v) for v in value)
    if len(value) != 2 or not low <= value[0] <= value[1]:
        raise ValueError(
            f"{name}: expected a number or a (min, max) pair with {low} <= min <= max, got {value}"
        )
    return None if value == (center, center) else value
