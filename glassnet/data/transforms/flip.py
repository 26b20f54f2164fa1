"""Random flips: mirror an image left-right or top-bottom with probability ``p``.

>>> import numpy as np
>>> from glassnet.data.transforms import RandomHorizontalFlip
>>> RandomHorizontalFlip(p=1.0)(np.array([[[1, 2, 3]]])).tolist()
[[[3, 2, 1]]]
"""

from __future__ import annotations

from glassnet.data.transforms._base import Transform, image_array, output, rng


class _RandomFlip(Transform):
    _axis = -1

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p}")
        self.p = p

    def __call__(self, image):
        a, was_tensor = image_array(image, type(self).__name__)
        # Always draw, so the random stream does not depend on p.
        if rng().random() >= self.p:
            return image
        index = (Ellipsis, slice(None, None, -1)) + (slice(None),) * (-1 - self._axis)
        return output(a[index].copy(), was_tensor)


class RandomHorizontalFlip(_RandomFlip):
    """Mirror the image left-right (the last axis) with probability ``p``.

    >>> import numpy as np
    >>> RandomHorizontalFlip(p=0.0)(np.array([[[1, 2]]])).tolist()
    [[[1, 2]]]
    """

    _axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror the image top-bottom (the second-to-last axis) with probability ``p``.

    >>> import numpy as np
    >>> RandomVerticalFlip(p=1.0)(np.array([[[1], [2]]])).tolist()
    [[[2], [1]]]
    """

    _axis = -2
