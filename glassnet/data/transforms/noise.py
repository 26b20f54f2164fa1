"""GaussianNoise: add random normal noise to a float image.

>>> import glassnet
>>> from glassnet.data.transforms import GaussianNoise
>>> _ = glassnet.manual_seed(0)
>>> GaussianNoise(std=0.0)(glassnet.ones(1, 2, 2)).tolist()
[[[1.0, 1.0], [1.0, 1.0]]]
"""

from __future__ import annotations

from glassnet import backend
from glassnet import random as grandom
from glassnet.data.transforms._base import Transform, float_array, image_array, output


class GaussianNoise(Transform):
    """Add noise drawn from ``Normal(mean, std)`` to every pixel, in the image's dtype and on
    its device (from glassnet's seeded generator). ``clip=True`` clips the result to [0, 1].

    >>> import numpy as np
    >>> bool(GaussianNoise(std=5.0, clip=True)(np.zeros((1, 8, 8))).max() <= 1.0)
    True
    """

    def __init__(self, mean=0.0, std=0.1, clip=False):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.mean, self.std, self.clip = float(mean), float(std), clip

    def __call__(self, image):
        a, was_tensor = image_array(image, "GaussianNoise", min_ndim=1)
        float_array(a, "GaussianNoise")
        g = grandom.rng(backend.device_of(a))
        dtype = a.dtype if a.dtype.itemsize >= 4 else "float32"
        noise = g.standard_normal(a.shape, dtype=dtype).astype(a.dtype, copy=False)
        out = a + (noise * a.dtype.type(self.std) + a.dtype.type(self.mean))
        if self.clip:
            out = out.clip(0, 1)
        return output(out, was_tensor)
