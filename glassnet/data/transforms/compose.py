"""Compose: chain transforms into one.

>>> import numpy as np
>>> from glassnet.data.transforms import Compose, ToTensor, Normalize
>>> pipeline = Compose([ToTensor(), Normalize(mean=[0.5], std=[0.5])])
>>> pipeline(np.full((2, 2), 255, dtype=np.uint8)).tolist()
[[[1.0, 1.0], [1.0, 1.0]]]
"""

from __future__ import annotations

from glassnet.data.transforms._base import Transform


class Compose(Transform):
    """Apply ``transforms`` one after another (as ``torchvision.transforms.Compose``).

    >>> from glassnet.data.transforms import RandomVerticalFlip
    >>> Compose([RandomVerticalFlip(p=1.0)] * 2)([[[1], [2]]]).tolist()
    [[[1], [2]]]
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for t in self.transforms:
            image = t(image)
        return image

    def __repr__(self):
        lines = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{lines}\n])"
