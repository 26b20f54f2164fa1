"""Train, validation and test parts of a bundled data set: the validation part is held out of
the bundle's training part (stratified for classification, seeded), so the test part stays
untouched until the end.

>>> parts = split_bundle("iris", val_fraction=0.2, seed=0)
>>> len(parts.train), len(parts.val), len(parts.test)
(96, 24, 30)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from glassnet.creation import from_numpy
from glassnet.data.dataset import TensorDataset


class Splits(NamedTuple):
    """Three TensorDatasets (``val`` is None with ``val_fraction=0``)."""

    train: TensorDataset
    val: TensorDataset | None
    test: TensorDataset | None


def _dataset(x, y):
    return TensorDataset(from_numpy(np.ascontiguousarray(x)), from_numpy(np.ascontiguousarray(y)))


def split_bundle(bundle, val_fraction=0.1, seed=0, **load_kwargs) -> Splits:
    """``(train, val, test)`` TensorDatasets of ``bundle`` (a DatasetBundle, or a data set name
    loaded with ``load_kwargs``): ``val_fraction`` of the training part becomes validation."""
    from glassnet.data import train_val_test_split

    if isinstance(bundle, str):
        from glassnet.datasets import load

        bundle = load(bundle, **load_kwargs)
    if not 0 <= val_fraction < 1:
        raise ValueError(f"split_bundle: val_fraction must be in [0, 1), got {val_fraction}")
    x, y = bundle.x_train, bundle.y_train
    test = None if bundle.x_test is None else _dataset(bundle.x_test, bundle.y_test)
    if val_fraction == 0:
        return Splits(_dataset(x, y), None, test)
    stratify = y if bundle.task == "classification" and y.ndim == 1 else None
    x_tr, x_val, _, y_tr, y_val, _ = train_val_test_split(
        x, y, val_size=val_fraction, test_size=0, stratify=stratify, seed=seed
    )
    return Splits(_dataset(x_tr, y_tr), _dataset(x_val, y_val), test)
