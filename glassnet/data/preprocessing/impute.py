"""SimpleImputer: fill missing values with a statistic learned from the training split.

>>> import numpy as np
>>> from glassnet.data import SimpleImputer
>>> train = np.array([[1.0, np.nan], [3.0, 4.0]])
>>> SimpleImputer(strategy="mean").fit(train).transform(np.array([[np.nan, np.nan]]))
array([[2., 4.]])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet import backend
from glassnet.data.preprocessing._base import Preprocessor

_STRATEGIES = ("mean", "median", "most_frequent", "constant")


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _most_frequent(column):
    """The most common value (the smallest one on a tie, as scikit-learn); NaN if none."""
    if column.size == 0:
        return np.nan
    values, counts = np.unique(column, return_counts=True)
    return values[np.argmax(counts)]


class SimpleImputer(Preprocessor):
    """Replace ``missing_values`` (NaN by default) column by column with the training split's
    ``strategy``: 'mean', 'median', 'most_frequent' or 'constant' (``fill_value``, 0 by default).

    As in scikit-learn, a column with no observed value in the training split is dropped by
    ``transform`` (with a warning) unless ``keep_empty_features=True``, which fills it with 0
    (with ``fill_value`` for 'constant').

    >>> import glassnet
    >>> imp = SimpleImputer(missing_values=-1.0, strategy="most_frequent")
    >>> imp.fit_transform(glassnet.tensor([[5.0], [-1.0], [5.0], [2.0]]))
    tensor([[5.],
            [5.],
            [5.],
            [2.]])
    """

    _params = ("missing_values", "strategy", "fill_value", "keep_empty_features")
    _fitted = ("statistics_",)

    def __init__(
        self, missing_values=np.nan, strategy="mean", fill_value=None, keep_empty_features=False
    ):
        if strategy not in _STRATEGIES:
            raise ValueError(
                f"SimpleImputer: strategy must be one of {_STRATEGIES}, got {strategy!r}"
            )
        self.missing_values = float(missing_values)
        self.strategy, self.fill_value = strategy, fill_value
        self.keep_empty_features = keep_empty_features
        self.statistics_ = None

    def _mask(self, a):
        xp = backend.get_array_module(a)
        if _is_nan(self.missing_values):
            return xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool)
        return a == self.missing_values

    def fit(self, x, y=None):
        """Learn each column's fill value from ``x`` (the training split)."""
        a = self._fit_array(x)
        if a.ndim != 2:
            raise ValueError(
                f"SimpleImputer.fit: expected 2-d (n_samples, n_features) data, got shape {a.shape}"
            )
        observed = ~self._mask(a)
        fill = 0.0 if self.fill_value is None else float(self.fill_value)
        if self.strategy == "constant":
            stats = np.where(observed.any(axis=0), fill, np.nan)
        elif self.strategy == "most_frequent":
            stats = np.array(
                [_most_frequent(a[observed[:, j], j]) for j in range(a.shape[1])], dtype=np.float64
            )
        else:
            with warnings.catch_warnings():  # an empty column gives NaN; handled below
                warnings.simplefilter("ignore", RuntimeWarning)
                stat = np.nanmean if self.strategy == "mean" else np.nanmedian
                stats = stat(np.where(observed, a, np.nan), axis=0)
        if self.keep_empty_features:
            empty_fill = fill if self.strategy == "constant" else 0.0
            stats = np.where(np.isnan(stats), empty_fill, stats)
        self.statistics_ = stats
        return self

    def transform(self, x):
        """Fill the missing entries of ``x`` with the fitted statistics."""
        self._check_fitted("transform")
        present = self.statistics_[~np.isnan(self.statistics_)]
        # Integer data stays integer when every fill value is a whole number.
        whole = bool(np.all(present == np.round(present)))
        a, was_tensor = self._input(x, "transform", keep_ints=whole)
        xp = backend.get_array_module(a)
        stats = xp.asarray(np.nan_to_num(self.statistics_), dtype=a.dtype)
        out = xp.where(self._mask(a), stats, a)
        empty = np.isnan(self.statistics_)
        if empty.any() and not self.keep_empty_features:
            warnings.warn(
                f"SimpleImputer: dropping columns {np.flatnonzero(empty).tolist()}, "
                "which had no observed value in the training data",
                UserWarning,
                stacklevel=2,
            )
            out = out[:, xp.asarray(np.flatnonzero(~empty))]
        return self._output(out, was_tensor)
