"""Missing values as data: which entries are missing (``is_missing``) and MissingIndicator, the
boolean "was this value missing?" columns a model can learn from.

>>> import numpy as np
>>> MissingIndicator().fit_transform(np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]]))
array([[False,  True],
       [ True, False],
       [False, False]])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.data._arrays import unwrap


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def is_missing(a, missing_values=np.nan):
    """Boolean mask of the missing entries of array ``a``: NaN (and None in text columns) when
    ``missing_values`` is NaN, else the entries equal to it."""
    a = np.asarray(a) if not backend.is_cuda_array(a) else a
    if a.dtype.kind == "O":
        if _is_nan(missing_values) or missing_values is None:
            flat = [v is None or (isinstance(v, float) and math.isnan(v)) for v in a.ravel()]
            return np.array(flat, dtype=bool).reshape(a.shape)
        return np.array([v == missing_values for v in a.ravel()], dtype=bool).reshape(a.shape)
    xp = backend.get_array_module(a)
    if _is_nan(missing_values):
        return xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool)
    return a == missing_values


class MissingIndicator:
    """One boolean column per feature that had missing values in the training split
    (``features='missing-only'``, scikit-learn's default) or per feature (``'all'``).
    ``features_`` holds the chosen column indices; ``state_dict()`` is JSON."""

    def __init__(self, missing_values=np.nan, features="missing-only"):
        if features not in ("missing-only", "all"):
            raise ValueError(
                f"MissingIndicator: features must be 'missing-only' or 'all', got {features!r}"
            )
        self.missing_values, self.features = missing_values, features
        self.features_ = None
        self.n_features_in_ = None

    def fit(self, x, y=None):
        """Remember which columns of the training data ``x`` have missing values."""
        a = backend.to_numpy(unwrap(x)[0])
        mask = is_missing(a, self.missing_values)
        self.n_features_in_ = int(a.shape[1])
        if self.features == "all":
            self.features_ = np.arange(a.shape[1])
        else:
            self.features_ = np.flatnonzero(mask.any(axis=0))
        return self

    def transform(self, x):
        """The (n_samples, len(features_)) boolean mask of missing entries of ``x``."""
        if self.features_ is None:
            raise RuntimeError("MissingIndicator.transform: call fit(train_data) first")
        a = backend.to_numpy(unwrap(x)[0])
        if a.ndim != 2 or a.shape[1] != self.n_features_in_:
            raise ValueError(
                f"MissingIndicator.transform: fitted on {self.n_features_in_} columns, got data "
                f"of shape {a.shape}"
            )
        return is_missing(a, self.missing_values)[:, self.features_]

    def fit_transform(self, x, y=None):
        return self.fit(x).transform(x)

    def state_dict(self) -> dict:
        mv = self.missing_values
        return {
            "missing_values": None if _is_nan(mv) else mv,
            "features": self.features,
            "features_": [int(i) for i in self.features_],
            "n_features_in_": self.n_features_in_,
        }

    def load_state_dict(self, state: dict):
        mv = state["missing_values"]
        self.missing_values = np.nan if mv is None else mv
        self.features = state["features"]
        self.features_ = np.asarray(state["features_"], dtype=np.int64)
        self.n_features_in_ = state["n_features_in_"]
        return self

    def __repr__(self):
        return f"MissingIndicator(features={self.features!r})"
