"""Image transforms for data augmentation and preparation, shaped like torchvision's.

They work on CHW float images (NumPy/CuPy arrays or glassnet Tensors, returning the same kind)
and on NCHW batches, where one random draw applies to the whole batch. Random parameters come
from glassnet's generator, so ``glassnet.manual_seed`` makes augmentation repeat.

>>> import numpy as np, glassnet
>>> from glassnet.data import transforms as T
>>> augment = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(), T.RandomCrop(28, padding=2),
...                      T.Normalize([0.5], [0.5])])
>>> _ = glassnet.manual_seed(0)
>>> x = augment(np.zeros((28, 28), dtype=np.uint8))
>>> type(x).__name__, tuple(x.shape)
('Tensor', (1, 28, 28))
"""

from glassnet.data.transforms._base import Transform
from glassnet.data.transforms.color import (
    ColorJitter,
    adjust_brightness,
    adjust_contrast,
    adjust_saturation,
)
from glassnet.data.transforms.compose import Compose
from glassnet.data.transforms.crop import CenterCrop, RandomCrop, RandomResizedCrop, pad
from glassnet.data.transforms.flip import RandomHorizontalFlip, RandomVerticalFlip
from glassnet.data.transforms.noise import GaussianNoise
from glassnet.data.transforms.normalize import Normalize
from glassnet.data.transforms.resize import Resize, resize
from glassnet.data.transforms.rotation import RandomRotation, rotate
from glassnet.data.transforms.to_tensor import ToTensor

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "GaussianNoise",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToTensor",
    "Transform",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "pad",
    "resize",
    "rotate",
]
