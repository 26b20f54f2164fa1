"""Resize: bilinear (or nearest) resampling written with array indexing only.

Bilinear follows PyTorch's ``interpolate(mode='bilinear', align_corners=False, antialias=False)``:
output pixel ``o`` samples the input at ``(o + 0.5) * in / out - 0.5`` (clamped at 0) and mixes
the two nearest input pixels along each axis. Strong downscaling therefore aliases; blur first
or resize in steps if that matters.

>>> import numpy as np
>>> from glassnet.data.transforms import Resize
>>> Resize((1, 4))(np.array([[[0.0, 1.0]]], dtype=np.float32)).tolist()
[[[0.0, 0.25, 0.75, 1.0]]]
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import backend
from glassnet.data.transforms._base import Transform, image_array, output, pair

_INTERPOLATIONS = ("bilinear", "nearest")
_weights_cache: dict = {}


def _axis_plan(xp, n_in, n_out, mode, dtype):
    """Source indices (and bilinear weights) along one axis, cached per size pair."""
    key = (xp.__name__, n_in, n_out, mode, np.dtype(dtype).str)
    plan = _weights_cache.get(key)
    if plan is None:
        scale = n_in / n_out
        if mode == "nearest":
            lo = np.minimum(np.floor(np.arange(n_out) * scale).astype(np.int64), n_in - 1)
            plan = (xp.asarray(lo), None, None)
        else:
            src = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
            lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
            hi = np.minimum(lo + 1, n_in - 1)
            plan = (xp.asarray(lo), xp.asarray(hi), xp.asarray(src - lo, dtype=dtype))
        if len(_weights_cache) > 256:
            _weights_cache.clear()
        _weights_cache[key] = plan
    return plan


def resize(a, size, interpolation="bilinear"):
    """Resample the last two axes of array ``a`` to ``size = (height, width)``.

    >>> import numpy as np
    >>> resize(np.arange(4.0).reshape(2, 2), (1, 1)).tolist()
    [[1.5]]
    """
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
        )
    xp = backend.get_array_module(a)
    h, w = a.shape[-2:]
    out_h, out_w = size
    if (h, w) == (out_h, out_w):
        return a.copy()
    integer = a.dtype.kind in "iub"
    x = a.astype(np.float32) if integer and interpolation == "bilinear" else a
    ylo, yhi, wy = _axis_plan(xp, h, out_h, interpolation, x.dtype)
    xlo, xhi, wx = _axis_plan(xp, w, out_w, interpolation, x.dtype)
    if interpolation == "nearest":
        return x[..., ylo[:, None], xlo]
    top = x[..., ylo, :]
    rows = top + (x[..., yhi, :] - top) * wy[:, None]
    left = rows[..., xlo]
    out = left + (rows[..., xhi] - left) * wx
    if integer:
        info = np.iinfo(a.dtype) if a.dtype.kind != "b" else None
        out = xp.rint(out)
        if info is not None:
            out = out.clip(info.min, info.max)
        out = out.astype(a.dtype)
    return out


def output_size(h, w, size):
    """torchvision's rule: an int matches the shorter edge (keeping the aspect ratio), a pair
    is the exact (height, width)."""
    if isinstance(size, numbers.Integral):
        short = int(size)
    elif len(size) == 1:
        short = int(size[0])
    else:
        return pair(size, "Resize")
    if h <= w:
        return short, int(short * w / h)
    return int(short * h / w), short


class Resize(Transform):
    """Resize an image (``..., H, W``) to ``size``: an int matches the shorter edge and keeps
    the aspect ratio, ``(height, width)`` is exact. ``interpolation`` is 'bilinear' (default)
    or 'nearest'; integer images are computed in float32 and rounded back.

    >>> import numpy as np
    >>> Resize(2)(np.zeros((3, 4, 8), dtype=np.float32)).shape
    (3, 2, 4)
    """

    def __init__(self, size, interpolation="bilinear", antialias=False):
        if antialias:
            raise NotImplementedError(
                "Resize: antialias=True is not implemented; use "
                "antialias=False (PyTorch's interpolate default)"
            )
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"Resize: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
            )
        self.size, self.interpolation = size, interpolation

    def __call__(self, image):
        a, was_tensor = image_array(image, "Resize")
        target = output_size(a.shape[-2], a.shape[-1], self.size)
        if min(target) <= 0:
            raise ValueError(
                f"Resize: size {self.size} gives an empty output {target} for an "
                f"image of shape {tuple(a.shape)}"
            )
        return output(resize(a, target, self.interpolation), was_tensor)
