"""glassnet.datasets: ready-made data sets by name, and readers for your own files.

``load(name, **kwargs)`` returns a DatasetBundle: ``.train`` and ``.test`` TensorDatasets (the
arrays behind them as ``x_train``, ``y_train``, ``x_test``, ``y_test``), ``.description``,
``.task`` ('classification', 'regression' or 'sequence'), ``.num_classes`` and
``.feature_names`` where known. Splits are seeded (``seed=0``), so they repeat run after run.

Real (scikit-learn's bundled files, no download): digits, iris, wine, breast_cancer, diabetes.
Generated 2-D: xor, moons, circles, spirals, blobs. Sequences: sine, copy, reverse, addition.
Text: python_source (the standard library's own source code). Your files: from_csv,
from_numpy, image_folder, read_mnist, read_cifar10.

>>> from glassnet import datasets
>>> from glassnet.data import DataLoader
>>> b = datasets.load("xor", n_samples=100)
>>> b
DatasetBundle('xor', task='classification', train=80, test=20, input_shape=(2,), num_classes=2)
>>> x, y = next(iter(DataLoader(b.train, batch_size=16)))
>>> x.shape, y.shape
(glassnet.Size([16, 2]), glassnet.Size([16]))
"""

from __future__ import annotations

from glassnet.datasets.bundle import DatasetBundle, split_indices, standardize
from glassnet.datasets.files import from_csv, from_numpy
from glassnet.datasets.images import (
    ImageFolder,
    image_folder,
    read_cifar10,
    read_idx,
    read_mnist,
    write_idx,
)
from glassnet.datasets.sequence import addition, copy, reverse, sine
from glassnet.datasets.shapes import shapes_boxes, shapes_masks
from glassnet.datasets.tabular import breast_cancer, diabetes, digits, iris, wine
from glassnet.datasets.text import python_source
from glassnet.datasets.toy import blobs, circles, moons, spirals, xor

_LOADERS = {
    "digits": digits,
    "iris": iris,
    "wine": wine,
    "breast_cancer": breast_cancer,
    "diabetes": diabetes,
    "xor": xor,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "blobs": blobs,
    "sine": sine,
    "copy": copy,
    "reverse": reverse,
    "addition": addition,
    "python_source": python_source,
}


def available() -> list[str]:
    """The names ``load`` understands.

    >>> available()[:3]
    ['digits', 'iris', 'wine']
    """
    return list(_LOADERS)


def load(name: str, **kwargs) -> DatasetBundle:
    """The data set called ``name`` as a DatasetBundle; keyword arguments go to its loader
    (``test_size``, ``seed``, ``noise``, ``n_samples``, ``flat``, ``standardize`` ...).

    >>> load("digits", flat=True).x_train.shape
    (1437, 64)
    """
    key = name.lower().replace("-", "_")
    if key not in _LOADERS:
        raise ValueError(
            f"unknown data set {name!r}; available: {', '.join(_LOADERS)}. For "
            "your own data use from_csv, from_numpy, image_folder or read_mnist."
        )
    return _LOADERS[key](**kwargs)


__all__ = [
    "load",
    "available",
    "DatasetBundle",
    "split_indices",
    "standardize",
    "digits",
    "iris",
    "wine",
    "breast_cancer",
    "diabetes",
    "xor",
    "moons",
    "circles",
    "spirals",
    "blobs",
    "sine",
    "copy",
    "reverse",
    "addition",
    "python_source",
    "from_csv",
    "from_numpy",
    "image_folder",
    "ImageFolder",
    "read_mnist",
    "read_cifar10",
    "read_idx",
    "write_idx",
    "shapes_masks",
    "shapes_boxes",
]
