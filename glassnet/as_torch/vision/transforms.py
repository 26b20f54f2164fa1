"""``torchvision.transforms`` under as-torch: glassnet's transforms, plus ``Lambda`` and
``Grayscale`` in torchvision's form.

>>> import numpy as np
>>> t = Compose([ToTensor(), Lambda(lambda x: x * 2), Normalize((0.5,), (0.5,))])
>>> t(np.full((2, 2), 255, dtype=np.uint8)).flatten().tolist()
[3.0, 3.0, 3.0, 3.0]
"""

from __future__ import annotations

import numpy as np

from glassnet.data.transforms import *  # noqa: F403 - the torchvision names glassnet has
from glassnet.data.transforms import __all__ as _glassnet_names
from glassnet.data.transforms.color import grayscale
from glassnet.tensor import Tensor


class Lambda:
    """Apply a user function, as torchvision's ``Lambda``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: the argument must be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Grayscale:
    """Convert a CHW image (or a PIL image) to ``num_output_channels`` gray channels."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(
                f"Grayscale: num_output_channels must be 1 or 3, got {num_output_channels}"
            )
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        if hasattr(img, "convert"):  # a PIL image stays one, as torchvision does
            gray = img.convert("L")
            return gray if self.num_output_channels == 1 else gray.convert("RGB")
        was_tensor = isinstance(img, Tensor)
        out = grayscale(img.numpy() if was_tensor else np.asarray(img))
        if self.num_output_channels == 3:
            out = np.repeat(out, 3, axis=-3)
        return Tensor._make(np.ascontiguousarray(out)) if was_tensor else out


__all__ = [*_glassnet_names, "Grayscale", "Lambda"]
