"""ToTensor: an HWC image (NumPy array or PIL image) as a CHW float32 Tensor in [0, 1].

>>> import numpy as np
>>> from glassnet.data.transforms import ToTensor
>>> t = ToTensor()(np.array([[[0, 255, 51]]], dtype=np.uint8))  # one RGB pixel
>>> tuple(t.shape), t.flatten().tolist()
((3, 1, 1), [0.0, 1.0, 0.20000000298023224])
"""

from __future__ import annotations

import numpy as np

from glassnet.data.transforms._base import Transform
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor


class ToTensor(Transform):
    """Convert an ``H, W, C`` (or ``H, W``) image into a ``C, H, W`` float32 Tensor.

    uint8 values are divided by 255 and booleans become 0/1, so pixels land in [0, 1]; float
    images are assumed to be in [0, 1] already and are only cast and transposed. PIL images
    are read through ``numpy.asarray`` (no Pillow import is needed here).

    >>> import numpy as np
    >>> ToTensor()(np.zeros((4, 5, 3), dtype=np.uint8)).shape
    glassnet.Size([3, 4, 5])
    """

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            raise TypeError(
                "ToTensor: got a Tensor, which is already converted; ToTensor takes "
                "an HWC NumPy array or a PIL image"
            )
        a = np.asarray(pic)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3:
            raise ShapeError(
                f"ToTensor: expected an (H, W) or (H, W, C) image, got shape {a.shape}"
            )
        out = np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)
        if a.dtype == np.uint8:
            out /= np.float32(255)  # not * (1/255), which can land one ulp away
        return Tensor._make(out)
