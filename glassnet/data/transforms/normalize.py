"""Normalize: per-channel ``(x - mean) / std`` for CHW images and NCHW batches.

>>> import glassnet
>>> from glassnet.data.transforms import Normalize
>>> Normalize(mean=[0.5, 0.0], std=[0.25, 2.0])(glassnet.ones(2, 1, 1)).flatten().tolist()
[2.0, 0.5]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.data.transforms._base import Transform, float_array, image_array, output
from glassnet.errors import ShapeError


class Normalize(Transform):
    """Subtract ``mean`` and divide by ``std``, one value per channel (channel axis -3), in the
    image's dtype. ``inplace=True`` overwrites the input array instead of allocating.

    >>> import numpy as np
    >>> Normalize([1.0], [2.0])(np.full((1, 1, 2), 3.0, dtype=np.float32)).tolist()
    [[[1.0, 1.0]]]
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = [float(m) for m in np.atleast_1d(mean)]
        self.std = [float(s) for s in np.atleast_1d(std)]
        if len(self.mean) != len(self.std):
            raise ValueError(
                f"Normalize: mean has {len(self.mean)} values but std has {len(self.std)}"
            )
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std {self.std} contains 0, which would divide by zero")
        self.inplace = inplace
        self._cache = {}

    def _constants(self, a):
        xp = backend.get_array_module(a)
        key = (xp.__name__, a.dtype)
        if key not in self._cache:
            shape = (-1, 1, 1)
            self._cache[key] = (
                xp.asarray(self.mean, dtype=a.dtype).reshape(shape),
                xp.asarray(self.std, dtype=a.dtype).reshape(shape),
            )
        return self._cache[key]

    def __call__(self, image):
        a, was_tensor = image_array(image, "Normalize", min_ndim=3)
        float_array(a, "Normalize")
        channels = a.shape[-3]
        if len(self.mean) not in (1, channels):
            raise ShapeError(
                f"Normalize: {len(self.mean)} mean/std values for an image with "
                f"{channels} channels (shape {tuple(a.shape)}); give one value per "
                "channel"
            )
        mean, std = self._constants(a)
        if self.inplace:
            a -= mean
            a /= std
            return image
        return output((a - mean) / std, was_tensor)
