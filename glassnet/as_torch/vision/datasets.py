"""``torchvision.datasets`` under as-torch: MNIST, FashionMNIST and CIFAR10 read from files the
user already has, in torchvision's folder layout. Nothing is downloaded (no network here), and
CIFAR-10 is read from its binary version: glassnet never unpickles (the python version is pickle).

>>> import numpy as np, pathlib, tempfile
>>> from glassnet.datasets.images import write_idx
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> raw = root / "MNIST" / "raw"
>>> raw.mkdir(parents=True)
>>> write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))
>>> write_idx(raw / "t10k-labels-idx1-ubyte", np.array([3, 1], dtype=np.uint8))
>>> test = MNIST(str(root), train=False)
>>> len(test), test[0][1], np.asarray(test[0][0]).shape
(2, 3, (28, 28))
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.data import Dataset
from glassnet.datasets.images import read_cifar10, read_mnist


def _as_image(array):
    """A PIL image when Pillow is installed (what torchvision hands out), else the uint8 array
    (HW or HWC); glassnet's ToTensor takes either."""
    try:
        from PIL import Image
    except ImportError:
        return array
    return Image.fromarray(array)


class VisionDataset(Dataset):
    """Images and integer targets in memory, with torchvision's ``transform`` and
    ``target_transform`` hooks."""

    classes: list[str] = []

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(str(root))
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        image, target = _as_image(self.data[index]), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def _missing(name, folder, files, download):
    why = " (download=True cannot fetch it: glassnet reaches no network)" if download else ""
    return FileNotFoundError(
        f"{name}: the data files are not at {folder}{why}. Put {', '.join(files)} there "
        f"(plain or .gz), in torchvision's layout, then run again."
    )


def _existing(folder, filename):
    for candidate in (filename, filename + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


class MNIST(VisionDataset):
    """MNIST from ``root/MNIST/raw`` (torchvision's layout): ``(PIL image 28x28 'L', label)``."""

    classes = [
        f"{d} - {w}"
        for d, w in enumerate("zero one two three four five six seven eight nine".split())
    ]
    _files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        folder = os.path.join(self.root, type(self).__name__, "raw")
        names = self._files[bool(train)]
        paths = [_existing(folder, n) for n in names]
        if None in paths:
            raise _missing(type(self).__name__, folder, names, download)
        self.data, self.targets = read_mnist(*paths)


class FashionMNIST(MNIST):
    """Fashion-MNIST from ``root/FashionMNIST/raw``, the same file format as MNIST."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]  # fmt: skip


class CIFAR10(VisionDataset):
    """CIFAR-10 from its binary version, ``root/cifar-10-batches-bin/data_batch_{1..5}.bin`` and
    ``test_batch.bin``: ``(PIL image 32x32 RGB, label)``."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]  # fmt: skip

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        folder = os.path.join(self.root, "cifar-10-batches-bin")
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
        paths = [os.path.join(folder, n) for n in names]
        if not all(os.path.isfile(p) for p in paths):
            if os.path.isdir(os.path.join(self.root, "cifar-10-batches-py")):
                raise FileNotFoundError(
                    f"CIFAR10: found the python (pickle) version in {self.root}; glassnet never "
                    f"unpickles. Use the binary version (cifar-10-binary), unpacked as {folder}."
                )
            raise _missing("CIFAR10", folder, names, download)
        parts = [read_cifar10(p) for p in paths]
        images = np.concatenate([p[0] for p in parts])
        self.data = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # HWC, as torchvision's
        self.targets = np.concatenate([p[1] for p in parts]).tolist()


__all__ = ["CIFAR10", "MNIST", "FashionMNIST", "VisionDataset"]
