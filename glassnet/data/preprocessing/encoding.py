"""Turning labels into numbers: LabelEncoder (any labels -> 0..n_classes-1) and one_hot.

>>> from glassnet.data import LabelEncoder
>>> enc = LabelEncoder().fit(["cat", "dog", "cat", "bird"])
>>> enc.classes_.tolist(), enc.transform(["dog", "bird"]).tolist()
(['bird', 'cat', 'dog'], [2, 0])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, dtypes
from glassnet.data._arrays import unwrap, wrap
from glassnet.data.preprocessing._base import Preprocessor
from glassnet.errors import DTypeError


def _labels(y):
    """``(numpy labels, device, was_tensor)``: labels always travel through the CPU."""
    a, was_tensor = unwrap(y)
    return backend.to_numpy(a).reshape(-1), backend.device_of(a), was_tensor


class LabelEncoder(Preprocessor):
    """Map class labels (strings, ints, floats) to integers ``0 .. n_classes - 1`` in sorted
    label order, and back. ``fit`` on the training labels; unseen labels are an error.

    >>> import glassnet
    >>> enc = LabelEncoder().fit(glassnet.tensor([10, 30, 20]))
    >>> enc.transform(glassnet.tensor([30, 10]))
    tensor([2, 0])
    >>> enc.inverse_transform([1, 1]).tolist()
    [20, 20]
    """

    _fitted = ("classes_",)

    def __init__(self):
        self.classes_ = None

    def fit(self, y):
        """Learn the set of classes from the training labels ``y``."""
        labels, _, _ = _labels(y)
        self.classes_ = np.unique(labels)
        return self

    def transform(self, y):
        """Labels -> int64 class indices (a Tensor on the labels' device if ``y`` is one)."""
        self._check_fitted("transform")
        labels, device, was_tensor = _labels(y)
        index = np.searchsorted(self.classes_, labels)
        known = index < len(self.classes_)
        known[known] = self.classes_[index[known]] == labels[known]
        if not known.all():
            unseen = np.unique(labels[~known])[:10].tolist()
            raise ValueError(
                f"LabelEncoder.transform: labels {unseen} were not seen in fit "
                f"(known classes: {self.classes_[:10].tolist()}"
                f"{' ...' if len(self.classes_) > 10 else ''}); fit on data "
                "containing every class, or drop those samples"
            )
        return wrap(backend.to_device(index.astype(np.int64), device), was_tensor)

    def inverse_transform(self, y):
        """Class indices -> the original labels (always a NumPy array: labels may be strings)."""
        self._check_fitted("inverse_transform")
        index, _, _ = _labels(y)
        if index.dtype.kind not in "iu":
            raise DTypeError(
                f"LabelEncoder.inverse_transform: expected integer class indices, "
                f"got dtype {index.dtype}"
            )
        bad = (index < 0) | (index >= len(self.classes_))
        if bad.any():
            raise ValueError(
                f"LabelEncoder.inverse_transform: indices {index[bad][:10].tolist()}"
                f" are outside 0..{len(self.classes_) - 1}"
            )
        return self.classes_[index]

    def _from_json(self, name, value):
        return np.asarray(value)

    def _feature_shape(self):
        return ()


def one_hot(labels, num_classes=-1, dtype=None):
    """Integer class labels as one-hot rows of shape ``(*labels.shape, num_classes)``; int64 by
    default (as PyTorch's ``F.one_hot``), or ``dtype`` (say ``glassnet.float32`` for targets of a
    regression-style loss). Takes a list, a NumPy array or a Tensor, and returns the same kind.

    >>> one_hot([0, 2], 3, dtype="float32")
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    a, was_tensor = unwrap(labels)
    if a.size == 0:  # an empty list comes in as float64
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise DTypeError(
            f"one_hot: labels must be integer class indices, got dtype {a.dtype}; "
            "encode other labels with LabelEncoder first"
        )
    xp = backend.get_array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass it")
        num_classes = int(a.max()) + 1
    if a.size and (int(a.min()) < 0 or int(a.max()) >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in 0..{num_classes - 1} for "
            f"num_classes={num_classes}, got values from {int(a.min())} to "
            f"{int(a.max())}"
        )
    out = (a[..., None] == xp.arange(num_classes)).astype(dtypes.as_dtype(dtype) or np.int64)
    return wrap(out, was_tensor)
