"""Crops: RandomCrop (with optional padding), CenterCrop and RandomResizedCrop.

>>> import numpy as np, glassnet
>>> from glassnet.data.transforms import RandomCrop
>>> _ = glassnet.manual_seed(0)
>>> RandomCrop(24, padding=4)(np.zeros((3, 24, 24), dtype=np.float32)).shape
(3, 24, 24)
"""

from __future__ import annotations

import math
import numbers

from glassnet import backend
from glassnet.data.transforms._base import Transform, image_array, output, pair, rng
from glassnet.data.transforms.resize import _INTERPOLATIONS, resize

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding(padding):
    """torchvision's forms: n (all sides), (left/right, top/bottom), (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        return padding * 2
    if len(padding) != 4:
        raise ValueError(
            f"RandomCrop: padding must be an int or a sequence of 2 or 4 ints, got {padding}"
        )
    return padding


def pad(a, left, top, right, bottom, fill=0, padding_mode="constant"):
    """Pad the last two axes of array ``a``.

    >>> import numpy as np
    >>> pad(np.ones((1, 1, 1)), 1, 0, 0, 0).tolist()
    [[[0.0, 1.0]]]
    """
    xp = backend.get_array_module(a)
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        return xp.pad(a, widths, mode="constant", constant_values=fill)
    return xp.pad(a, widths, mode=padding_mode)


def _check_fits(name, a, th, tw):
    h, w = a.shape[-2:]
    if th > h or tw > w:
        raise ValueError(
            f"{name}: crop size {(th, tw)} is larger than the image ({h}, {w}) "
            f"(shape {tuple(a.shape)}); use padding or pad_if_needed=True, or a "
            "smaller size"
        )


class RandomCrop(Transform):
    """Crop a random ``size`` window (an int for a square, or ``(height, width)``).

    ``padding`` pads the image first (an int, ``(left/right, top/bottom)`` or ``(left, top,
    right, bottom)``), the usual CIFAR augmentation; ``pad_if_needed`` pads images smaller than
    the crop; ``fill`` and ``padding_mode`` ('constant', 'edge', 'reflect', 'symmetric') say
    what the border holds. Every window position is equally likely.

    >>> import numpy as np
    >>> RandomCrop((2, 3), pad_if_needed=True)(np.ones((1, 1, 3))).shape
    (1, 2, 3)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.size = pair(size, "RandomCrop")
        self.padding = padding
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self._pads = _padding(padding) if padding is not None else None

    def __call__(self, image):
        a, was_tensor = image_array(image, "RandomCrop")
        if self._pads is not None:
            a = pad(a, *self._pads, fill=self.fill, padding_mode=self.padding_mode)
        th, tw = self.size
        h, w = a.shape[-2:]
        if self.pad_if_needed and (h < th or w < tw):
            # As torchvision: each short side is padded on both ends by the shortfall.
            dw, dh = max(tw - w, 0), max(th - h, 0)
            a = pad(a, dw, dh, dw, dh, fill=self.fill, padding_mode=self.padding_mode)
            h, w = a.shape[-2:]
        _check_fits("RandomCrop", a, th, tw)
        top = int(rng().integers(0, h - th + 1))
        left = int(rng().integers(0, w - tw + 1))
        return output(a[..., top : top + th, left : left + tw].copy(), was_tensor)


class CenterCrop(Transform):
    """Crop the central ``size`` window (rounding the offsets as torchvision does).

    >>> import numpy as np
    >>> CenterCrop(2)(np.arange(16).reshape(1, 4, 4)).tolist()
    [[[5, 6], [9, 10]]]
    """

    def __init__(self, size):
        self.size = pair(size, "CenterCrop")

    def __call__(self, image):
        a, was_tensor = image_array(image, "CenterCrop")
        th, tw = self.size
        _check_fits("CenterCrop", a, th, tw)
        h, w = a.shape[-2:]
        top, left = int(round((h - th) / 2)), int(round((w - tw) / 2))
        return output(a[..., top : top + th, left : left + tw].copy(), was_tensor)


class RandomResizedCrop(Transform):
    """Crop a random window covering a ``scale`` fraction of the image's area with an aspect
    ratio (width / height) in ``ratio``, then resize it to ``size``: the standard ImageNet
    augmentation. Like torchvision, it tries 10 random windows and falls back to a central crop
    with the ratio clamped into range.

    >>> import numpy as np
    >>> RandomResizedCrop(8)(np.zeros((3, 32, 20), dtype=np.float32)).shape
    (3, 8, 8)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation="bilinear"):
        if not (0 < scale[0] <= scale[1]) or not (0 < ratio[0] <= ratio[1]):
            raise ValueError(
                f"RandomResizedCrop: scale and ratio must be (min, max) with "
                f"0 < min <= max, got scale={scale}, ratio={ratio}"
            )
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"RandomResizedCrop: interpolation must be one of "
                f"{_INTERPOLATIONS}, got {interpolation!r}"
            )
        self.size = pair(size, "RandomResizedCrop")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation = interpolation

    def get_params(self, height, width):
        """``(top, left, h, w)`` of a random window for an image of ``height x width``."""
        g = rng()
        area = height * width
        log_low, log_high = math.log(self.ratio[0]), math.log(self.ratio[1])
        for _ in range(10):
            target = area * g.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(g.uniform(log_low, log_high))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(g.integers(0, height - h + 1))
                left = int(g.integers(0, width - w + 1))
                return top, left, h, w
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, image):
        a, was_tensor = image_array(image, "RandomResizedCrop")
        top, left, h, w = self.get_params(*a.shape[-2:])
        window = a[..., top : top + h, left : left + w]
        return output(resize(window, self.size, self.interpolation), was_tensor)
