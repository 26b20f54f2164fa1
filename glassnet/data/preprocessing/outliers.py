"""Outliers: find them with statistics outliers do not move (the median and the IQR or the
MAD), then clip them to the fences or remove their rows. Fitted on the training split.

``method='iqr'``: the fences are ``Q1 - k*IQR`` and ``Q3 + k*IQR`` (Tukey's rule, ``k=1.5``).
``method='zscore'``: the robust z-score ``0.6745 * (x - median) / MAD`` beyond ``threshold``
(3.5 by default, Iglewicz and Hoaglin's cut); 0.6745 makes the MAD of normal data equal to its
standard deviation.

>>> import numpy as np
>>> x = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
>>> OutlierClipper(method="iqr").fit(x).transform(x).ravel().tolist()
[1.0, 2.0, 3.0, 4.0, 7.0]
>>> robust_zscore(x).ravel().round(2).tolist()
[-1.35, -0.67, 0.0, 0.67, 65.43]
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet.data.preprocessing._base import Preprocessor

_Z_CONSTANT = 0.6745


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def robust_zscore(x, median=None, mad=None):
    """``0.6745 * (x - median) / MAD`` per column (NaN where the MAD is 0 and x differs from
    the median is replaced by inf, 0 where x equals it)."""
    a = np.asarray(x, dtype=np.float64)
    if median is None:
        median = _quiet(np.nanmedian, a, axis=0)
    if mad is None:
        mad = _quiet(np.nanmedian, np.abs(a - median), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = _Z_CONSTANT * (a - median) / mad
    zero = np.broadcast_to(mad == 0, a.shape)
    z = np.where(zero & (a == median), 0.0, z)
    far = zero & (a != median) & ~np.isnan(a)
    return np.where(far, np.where(a > median, np.inf, -np.inf), z)


class OutlierClipper(Preprocessor):
    """Clip each feature to fences learned on the training split (``method`` 'iqr' with
    ``factor``, or 'zscore' with ``threshold``); ``outliers(x)`` gives the boolean mask and
    ``remove(x, *others)`` drops rows holding any outlier (training data only: never drop
    test rows). NaNs pass through.
    """

    _params = ("method", "factor", "threshold")
    _fitted = ("lower_", "upper_")

    def __init__(self, method="iqr", factor=1.5, threshold=3.5):
        if method not in ("iqr", "zscore"):
            raise ValueError(f"OutlierClipper: method must be 'iqr' or 'zscore', got {method!r}")
        self.method, self.factor, self.threshold = method, float(factor), float(threshold)
        self.lower_ = self.upper_ = None

    def fit(self, x, y=None):
        """Learn each feature's fences from ``x`` (the training split)."""
        a = self._fit_array(x)
        if self.method == "iqr":
            q1, q3 = _quiet(np.nanpercentile, a, [25, 75], axis=0)
            iqr = q3 - q1
            self.lower_, self.upper_ = q1 - self.factor * iqr, q3 + self.factor * iqr
        else:
            median = _quiet(np.nanmedian, a, axis=0)
            mad = _quiet(np.nanmedian, np.abs(a - median), axis=0)
            half = self.threshold * mad / _Z_CONSTANT
            self.lower_, self.upper_ = median - half, median + half
        return self

    def outliers(self, x):
        """Boolean mask: True where a value lies outside its feature's fences."""
        a, _ = self._input(x, "outliers")
        a = np.asarray(a, dtype=np.float64)
        return (a < self.lower_) | (a > self.upper_)

    def transform(self, x):
        """``x`` with every value clipped into its feature's fences."""
        a, was_tensor = self._input(x, "transform")
        out = np.minimum(np.maximum(a, self._stat("lower_", a)), self._stat("upper_", a))
        return self._output(out, was_tensor)

    def remove(self, x, *others):
        """``x`` (and each array in ``others``, row by row) without the rows holding an
        outlier; returns a tuple when ``others`` are given."""
        keep = ~self.outliers(x).any(axis=1)
        kept = [np.asarray(x)[keep], *(np.asarray(o)[keep] for o in others)]
        return kept[0] if not others else tuple(kept)
