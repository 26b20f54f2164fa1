"""ColorJitter: random brightness, contrast and saturation changes, applied in random order.

Each change blends the image with a reference and clips to the valid range ([0, 1] for floats,
[0, 255] for uint8): brightness with black, contrast with the mean grey level of the image,
saturation with the image's greyscale version. A factor of 1 leaves the image unchanged.

>>> import numpy as np
>>> from glassnet.data.transforms import adjust_brightness
>>> adjust_brightness(np.array([[[0.2, 0.8]]], dtype=np.float32), 1.5).tolist()
[[[0.30000001192092896, 1.0]]]
"""

from __future__ import annotations

from glassnet import backend
from glassnet.data.transforms._base import Transform, as_range, image_array, output, rng
from glassnet.errors import ShapeError

# ITU-R 601-2 luma weights, as PIL and torchvision use for greyscale.
_LUMA = (0.299, 0.587, 0.114)


def _bound(a):
    return 1.0 if a.dtype.kind == "f" else 255.0


def _blend(a, other, factor):
    """``factor * a + (1 - factor) * other`` clipped to the valid range, in a's dtype."""
    if a.dtype.kind == "f":
        out = a * a.dtype.type(factor) + other * a.dtype.type(1 - factor)
        return out.clip(0, 1)
    xp = backend.get_array_module(a)
    out = a.astype("float32") * factor + other * (1 - factor)
    return xp.rint(out.clip(0, 255)).astype(a.dtype)


def grayscale(a):
    """The luma of an RGB image (or the single channel of a grey one), keeping the channel
    axis: shape ``(..., 1, H, W)``, float."""
    channels = a.shape[-3]
    x = a if a.dtype.kind == "f" else a.astype("float32")
    if channels == 1:
        return x
    if channels != 3:
        raise ShapeError(
            f"ColorJitter: contrast and saturation need 1 or 3 channels (RGB), got "
            f"{channels} (shape {tuple(a.shape)})"
        )
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    dtype = x.dtype.type
    return r * dtype(_LUMA[0]) + g * dtype(_LUMA[1]) + b * dtype(_LUMA[2])


def adjust_brightness(a, factor):
    """Scale every pixel by ``factor`` (0 gives black)."""
    return _blend(a, 0, factor)


def adjust_contrast(a, factor):
    """Pull pixels towards (factor < 1) or push them away from (> 1) the mean grey level."""
    mean = grayscale(a).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(a, mean, factor)


def adjust_saturation(a, factor):
    """Blend with the greyscale image: 0 gives grey, 1 the original, >1 more vivid colours."""
    if a.shape[-3] == 1:
        return a.copy()
    return _blend(a, grayscale(a), factor)


class ColorJitter(Transform):
    """Randomly change brightness, contrast and saturation of a ``(..., C, H, W)`` image.

    Each argument is a jitter amount ``v`` (the factor is drawn uniformly from
    ``[max(0, 1 - v), 1 + v]``) or an explicit ``(min, max)`` range; 0 or None disables it.
    The enabled changes are applied in a random order, as torchvision does. ``hue`` is not
    supported.

    >>> import numpy as np
    >>> jitter = ColorJitter(brightness=0.5, contrast=(0.8, 1.2))
    >>> jitter.brightness, jitter.contrast
    ((0.5, 1.5), (0.8, 1.2))
    """

    def __init__(self, brightness=0, contrast=0, saturation=0):
        self.brightness = as_range(brightness, "ColorJitter brightness")
        self.contrast = as_range(contrast, "ColorJitter contrast")
        self.saturation = as_range(saturation, "ColorJitter saturation")

    def get_params(self):
        """``(order, factors)``: the order to apply brightness (0), contrast (1) and saturation
        (2) in, and each one's factor (None when disabled)."""
        g = rng()
        order = g.permutation(3).tolist()
        factors = [
            None if r is None else float(g.uniform(r[0], r[1]))
            for r in (self.brightness, self.contrast, self.saturation)
        ]
        return order, factors

    def __call__(self, image):
        a, was_tensor = image_array(image, "ColorJitter", min_ndim=3)
        order, factors = self.get_params()
        adjust = (adjust_brightness, adjust_contrast, adjust_saturation)
        for i in order:
            if factors[i] is not None:
                a = adjust[i](a, factors[i])
        return output(a, was_tensor)
