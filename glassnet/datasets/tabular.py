"""Small real data sets read from the files that ship inside scikit-learn (no download).

Inputs are float32; class labels int64; regression targets float32 of shape ``(N, 1)`` (what a
model with one output predicts). ``standardize=True`` scales features with the training part's
mean and std.

>>> from glassnet import datasets
>>> b = datasets.load("iris")
>>> b.x_train.shape, b.x_test.shape, b.num_classes
((120, 4), (30, 4), 3)
>>> datasets.load("digits").input_shape
(1, 8, 8)
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require
from glassnet.datasets.bundle import DatasetBundle, from_arrays
from glassnet.datasets.bundle import standardize as _standardize


def _sklearn_data():
    return require("sklearn.datasets", "data")


def _first_line(descr: str) -> str:
    lines = [ln.strip() for ln in descr.splitlines() if ln.strip() and not ln.startswith("..")]
    title = next((ln for ln in lines if not set(ln) <= set("=-*")), "")
    return title.strip("* ")


def _classification(name, raw, x, test_size, seed, standardize, extra_text=""):
    b = from_arrays(
        x,
        raw.target.astype(np.int64),
        test_size=test_size,
        seed=seed,
        name=name,
        task="classification",
        description=f"{_first_line(raw.DESCR)} (scikit-learn bundled copy){extra_text}",
        feature_names=getattr(raw, "feature_names", None),
        class_names=[str(c) for c in raw.target_names],
    )
    return _standardize(b) if standardize else b


def digits(test_size=0.2, seed=0, flat=False, standardize=False) -> DatasetBundle:
    """1797 handwritten digits, 8x8 grey images scaled to [0, 1]: ``(N, 1, 8, 8)`` float32,
    or ``(N, 64)`` with ``flat=True``; 10 classes."""
    raw = _sklearn_data().load_digits()
    x = raw.images.astype(np.float32) / np.float32(16.0)
    x = x.reshape(len(x), 64) if flat else x[:, None, :, :]
    b = _classification(
        "digits",
        raw,
        np.ascontiguousarray(x),
        test_size,
        seed,
        standardize,
        "; 8x8 images of the digits 0-9",
    )
    b.class_names = [str(i) for i in range(10)]
    return b


def iris(test_size=0.2, seed=0, standardize=False) -> DatasetBundle:
    """150 iris flowers, 4 measurements (cm), 3 species."""
    raw = _sklearn_data().load_iris()
    return _classification("iris", raw, raw.data.astype(np.float32), test_size, seed, standardize)


def wine(test_size=0.2, seed=0, standardize=False) -> DatasetBundle:
    """178 wines, 13 chemical measurements, 3 cultivars (features differ widely in scale:
    ``standardize=True`` helps a network)."""
    raw = _sklearn_data().load_wine()
    return _classification("wine", raw, raw.data.astype(np.float32), test_size, seed, standardize)


def breast_cancer(test_size=0.2, seed=0, standardize=False) -> DatasetBundle:
    """569 breast tumour biopsies, 30 features, 2 classes (0 malignant, 1 benign)."""
    raw = _sklearn_data().load_breast_cancer()
    return _classification(
        "breast_cancer", raw, raw.data.astype(np.float32), test_size, seed, standardize
    )


def diabetes(test_size=0.2, seed=0, standardize=False, scaled=True) -> DatasetBundle:
    """442 diabetes patients, 10 baseline variables, target: disease progression after one
    year (a regression, targets ``(N, 1)`` float32). ``scaled=False`` gives the raw features."""
    raw = _sklearn_data().load_diabetes(scaled=scaled)
    b = from_arrays(
        raw.data.astype(np.float32),
        raw.target.astype(np.float32)[:, None],
        test_size=test_size,
        seed=seed,
        name="diabetes",
        task="regression",
        description=f"{_first_line(raw.DESCR)} (scikit-learn bundled copy)",
        feature_names=raw.feature_names,
    )
    return _standardize(b) if standardize else b
