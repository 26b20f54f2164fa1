"""Image data from local files: a folder per class, MNIST's IDX files, CIFAR-10's binary
batches. Nothing is downloaded: point these at files you already have.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "labels.idx")
>>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
>>> read_idx(path)
array([3, 1, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from glassnet._optional import require
from glassnet.creation import from_numpy
from glassnet.data.dataset import Dataset

# IDX type codes (the third byte of the header) and the big-endian dtypes they stand for.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGE_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".ppm",
    ".pgm",
    ".tif",
    ".tiff",
    ".webp",
)


def _read_bytes(path) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (by content, not by name)."""
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read_idx(path) -> np.ndarray:
    """An array from a file in the IDX format (MNIST's), plain or ``.gz``."""
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number {data[:4]!r})")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise ValueError(
            f"read_idx: {path} declares shape {shape} ({expected} bytes of data) "
            f"but holds {len(body)} bytes; the file is truncated or corrupt"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write ``array`` in the IDX format (the inverse of ``read_idx``; used to make test
    files)."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}.get(array.dtype)
    if code is None:
        raise ValueError(f"write_idx: IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(_IDX_TYPES[code]).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + body)


def read_mnist(images_path, labels_path):
    """``(images, labels)`` from MNIST-style IDX files (MNIST, Fashion-MNIST, KMNIST):
    images uint8 ``(N, 28, 28)``, labels int64 ``(N,)``. For a network, scale the images:
    ``images[:, None].astype(np.float32) / 255``."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(
            f"read_mnist: expected images (N, H, W) and labels (N,), got shapes "
            f"{images.shape} and {labels.shape}; are the two paths swapped?"
        )
    if len(images) != len(labels):
        raise ValueError(f"read_mnist: {len(images)} images but {len(labels)} labels")
    return images, labels.astype(np.int64)


def read_cifar10(batch_path):
    """``(images, labels)`` from a CIFAR-10 binary batch (``data_batch_1.bin`` ...; each record
    is 1 label byte then 3072 pixel bytes, red plane, green, blue): images uint8
    ``(N, 3, 32, 32)``, labels int64 ``(N,)``."""
    data = np.frombuffer(_read_bytes(batch_path), dtype=np.uint8)
    record = 1 + 3 * 32 * 32
    if data.size == 0 or data.size % record:
        raise ValueError(
            f"read_cifar10: {batch_path} has {data.size} bytes, not a multiple of "
            f"the {record}-byte CIFAR-10 record; is it the binary version?"
        )
    rows = data.reshape(-1, record)
    return rows[:, 1:].reshape(-1, 3, 32, 32).copy(), rows[:, 0].astype(np.int64)


class ImageFolder(Dataset):
    """Images stored one folder per class (``root/cat/1.png``, ``root/dog/7.jpg``); sample
    ``i`` is ``(image, class index)``. The image is a float32 tensor ``(C, H, W)`` in [0, 1]
    (``mode='RGB'`` gives 3 channels, ``'L'`` 1) and then goes through ``transform`` when
    given. Classes are the folder names in sorted order (``classes``, ``class_to_idx``)."""

    def __init__(
        self, root, transform=None, target_transform=None, mode="RGB", extensions=IMAGE_EXTENSIONS
    ):
        self.root, self.transform, self.target_transform, self.mode = (
            root,
            transform,
            target_transform,
            mode,
        )
        self.classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(
                f"image_folder: {root} has no class sub-folders; expected "
                "root/<class name>/<image files>"
            )
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = []
        for c in self.classes:
            folder = os.path.join(root, c)
            for dirpath, _, files in sorted(os.walk(folder)):
                for f in sorted(files):
                    if f.lower().endswith(tuple(extensions)):
                        self.samples.append((os.path.join(dirpath, f), self.class_to_idx[c]))
        self.targets = [t for _, t in self.samples]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        image_module = require("PIL.Image", "data")
        path, target = self.samples[index]
        with image_module.open(path) as img:
            array = np.asarray(img.convert(self.mode), dtype=np.float32) / np.float32(255.0)
        array = array[None] if array.ndim == 2 else np.ascontiguousarray(array.transpose(2, 0, 1))
        image = from_numpy(array)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def image_folder(root, transform=None, target_transform=None, mode="RGB") -> ImageFolder:
    """A Dataset over ``root/<class>/<image>`` files (see ImageFolder); Pillow reads them."""
    require("PIL.Image", "data")
    return ImageFolder(root, transform=transform, target_transform=target_transform, mode=mode)
