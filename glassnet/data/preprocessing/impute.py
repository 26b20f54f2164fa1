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
from glassnet.data._arrays import unwrap
from glassnet.data.preprocessing._base import Preprocessor
from glassnet.data.preprocessing.missing import MissingIndicator, is_missing

_STRATEGIES = ("mean", "median", "most_frequent", "constant")


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _as_numbers(a):
    """An object array of numbers (and None) as float64, or None when it holds text."""
    if a.dtype.kind != "O":
        return None
    flat = a.ravel()
    if not all(
        v is None or (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
        for v in flat
    ):
        return None
    return np.array([np.nan if v is None else float(v) for v in flat]).reshape(a.shape)


def _most_frequent(column):
    """The most common value (the smallest one on a tie, as scikit-learn); NaN if none."""
    if column.size == 0:
        return np.nan
    values, counts = np.unique(column, return_counts=True)
    return values[np.argmax(counts)]


class SimpleImputer(Preprocessor):
    """Replace ``missing_values`` (NaN by default) column by column with the training split's
    ``strategy``: 'mean', 'median', 'most_frequent' or 'constant' (``fill_value``, 0 by default).

    Text (object) columns take 'most_frequent' and 'constant' (``fill_value``, 'missing_value'
    by default); None and NaN count as missing there. ``add_indicator=True`` appends one
    boolean column per feature that had missing values in training (see MissingIndicator).

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

    _params = ("missing_values", "strategy", "fill_value", "keep_empty_features", "add_indicator")
    _fitted = ("statistics_",)

    def __init__(
        self,
        missing_values=np.nan,
        strategy="mean",
        fill_value=None,
        keep_empty_features=False,
        add_indicator=False,
    ):
        if strategy not in _STRATEGIES:
            raise ValueError(
                f"SimpleImputer: strategy must be one of {_STRATEGIES}, got {strategy!r}"
            )
        self.missing_values = (
            missing_values if isinstance(missing_values, str) else float(missing_values)
        )
        self.strategy, self.fill_value = strategy, fill_value
        self.keep_empty_features = keep_empty_features
        self.add_indicator = add_indicator
        self.statistics_ = None
        self.indicator_ = None
        self._text = False

    def _mask(self, a):
        return is_missing(a, self.missing_values)

    def fit(self, x, y=None):
        """Learn each column's fill value from ``x`` (the training split)."""
        raw = unwrap(x)[0]
        self.indicator_ = (
            MissingIndicator(self.missing_values).fit(x) if self.add_indicator else None
        )
        if not backend.is_cuda_array(raw) and raw.dtype.kind in "OUS":
            numbers = _as_numbers(raw)
            if numbers is None:
                return self._fit_text(raw.astype(object))
            x = numbers
        self._text = False
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

    def _fit_text(self, a):
        if self.strategy in ("mean", "median"):
            raise ValueError(
                f"SimpleImputer: strategy {self.strategy!r} needs numbers, but the data holds "
                "text; use strategy='most_frequent' or 'constant' for text columns"
            )
        self._text = True
        missing = is_missing(a, self.missing_values)
        stats = []
        for j in range(a.shape[1]):
            seen = [v for v, m in zip(a[:, j], missing[:, j]) if not m]
            if self.strategy == "constant":
                stats.append("missing_value" if self.fill_value is None else self.fill_value)
            elif seen:
                values, counts = np.unique(np.array(seen, dtype=object), return_counts=True)
                stats.append(values[np.argmax(counts)])
            else:
                stats.append(None)
        self.statistics_ = np.array(stats, dtype=object)
        return self

    def _indicate(self, x, out, was_tensor):
        if self.indicator_ is None:
            return out
        flags = self.indicator_.transform(x)
        if out.dtype.kind == "O":
            return np.concatenate([out, flags.astype(object)], axis=1)
        xp = backend.get_array_module(out)
        joined = xp.concatenate([out, xp.asarray(flags, dtype=out.dtype)], axis=1)
        return joined

    def transform(self, x):
        """Fill the missing entries of ``x`` with the fitted statistics (and append the
        indicator columns when ``add_indicator``)."""
        self._check_fitted("transform")
        raw = unwrap(x)[0]
        if not self._text and not backend.is_cuda_array(raw) and raw.dtype.kind in "OUS":
            x = _as_numbers(raw)
            if x is None:
                raise ValueError(
                    "SimpleImputer.transform: fitted on numbers, got text data; give the "
                    "same columns as in fit"
                )
        if self._text:
            a = np.asarray(unwrap(x)[0]).astype(object)
            if a.ndim != 2 or a.shape[1] != len(self.statistics_):
                raise ValueError(
                    f"SimpleImputer.transform: fitted on {len(self.statistics_)} columns, got "
                    f"data of shape {a.shape}"
                )
            out = np.where(is_missing(a, self.missing_values), self.statistics_[None, :], a)
            return self._indicate(a, out, False)
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
        return self._output(self._indicate(x, out, was_tensor), was_tensor)

    def state_dict(self) -> dict:
        """Settings and fitted fill values as JSON (text fill values stay strings)."""
        self._check_fitted("state_dict")
        state = {name: getattr(self, name) for name in self._params}
        state["missing_values"] = None if _is_nan(self.missing_values) else self.missing_values
        state["text"] = self._text
        stats = self.statistics_.tolist()
        state["statistics_"] = [None if _is_nan(v) else v for v in stats]
        state["indicator"] = None if self.indicator_ is None else self.indicator_.state_dict()
        return state

    def load_state_dict(self, state: dict):
        for name in self._params:
            setattr(self, name, state[name])
        mv = state["missing_values"]
        self.missing_values = np.nan if mv is None else mv
        self._text = bool(state.get("text", False))
        if self._text:
            self.statistics_ = np.array(state["statistics_"], dtype=object)
        else:
            stats = [np.nan if v is None else v for v in state["statistics_"]]
            self.statistics_ = np.asarray(stats, dtype=np.float64)
        ind = state.get("indicator")
        self.indicator_ = None if ind is None else MissingIndicator().load_state_dict(ind)
        self._cache = {}
        return self
