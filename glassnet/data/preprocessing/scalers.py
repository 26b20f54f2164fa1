"""Feature scaling: StandardScaler (zero mean, unit variance) and MinMaxScaler (a fixed range).

Statistics are computed on the training split in float64, ignoring NaNs (which pass through
``transform`` unchanged, for an imputer to fill), then applied in the data's own dtype.

>>> import numpy as np
>>> from glassnet.data import StandardScaler
>>> train = np.array([[0.0, 10.0], [2.0, 30.0]], dtype=np.float32)
>>> scaler = StandardScaler().fit(train)
>>> scaler.transform(np.array([[4.0, 20.0]], dtype=np.float32))
array([[3., 0.]], dtype=float32)
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet.data.preprocessing._base import Preprocessor, handle_zero_scale


def _quiet(fn, a):
    with warnings.catch_warnings():  # an all-NaN column gives NaN statistics, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(a, axis=0)


class StandardScaler(Preprocessor):
    """Standardise features: ``(x - mean) / std`` with the training split's mean and (biased)
    standard deviation. Works on NumPy arrays and glassnet Tensors (on any device).

    >>> import glassnet
    >>> s = StandardScaler().fit(glassnet.tensor([[1.0], [3.0]]))
    >>> s.mean_.tolist(), s.scale_.tolist()
    ([2.0], [1.0])
    >>> s.inverse_transform(s.transform(glassnet.tensor([[5.0]])))
    tensor([[5.]])
    """

    _params = ("with_mean", "with_std")
    _fitted = ("mean_", "var_", "scale_")

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean, self.with_std = with_mean, with_std
        self.mean_ = self.var_ = self.scale_ = None
        self.n_samples_seen_ = None

    def fit(self, x, y=None):
        """Learn each feature's mean and standard deviation from ``x`` (the training split)."""
        a = self._fit_array(x)
        self.n_samples_seen_ = int(a.shape[0])
        mean = _quiet(np.nanmean, a)
        var = _quiet(np.nanvar, a)
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.var_ = var if self.with_std else np.ones_like(var)
        self.scale_ = handle_zero_scale(np.sqrt(var)) if self.with_std else np.ones_like(var)
        return self

    def transform(self, x):
        """Scale ``x`` with the fitted statistics."""
        a, was_tensor = self._input(x, "transform")
        if self.with_mean:
            a = a - self._stat("mean_", a)
        if self.with_std:
            a = a / self._stat("scale_", a)
        return self._output(a, was_tensor)

    def inverse_transform(self, x):
        """Undo ``transform``: back to the original units."""
        a, was_tensor = self._input(x, "inverse_transform")
        if self.with_std:
            a = a * self._stat("scale_", a)
        if self.with_mean:
            a = a + self._stat("mean_", a)
        return self._output(a, was_tensor)


class MinMaxScaler(Preprocessor):
    """Scale each feature linearly so the training split's minimum and maximum map to
    ``feature_range`` (``(0, 1)`` by default). ``clip=True`` clips unseen data into the range.

    >>> import numpy as np
    >>> s = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [4.0]]))
    >>> s.transform(np.array([[1.0], [8.0]])).ravel().tolist()
    [-0.5, 3.0]
    """

    _params = ("feature_range", "clip")
    _fitted = ("min_", "scale_", "data_min_", "data_max_", "data_range_")

    def __init__(self, feature_range=(0, 1), clip=False):
        low, high = feature_range
        if not low < high:
            raise ValueError(
                f"MinMaxScaler: feature_range must be (min, max) with min < max, "
                f"got {tuple(feature_range)}"
            )
        self.feature_range, self.clip = tuple(feature_range), clip
        self.min_ = self.scale_ = self.data_min_ = self.data_max_ = self.data_range_ = None

    def fit(self, x, y=None):
        """Learn each feature's minimum and maximum from ``x`` (the training split)."""
        a = self._fit_array(x)
        low, high = self.feature_range
        self.data_min_ = _quiet(np.nanmin, a)
        self.data_max_ = _quiet(np.nanmax, a)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (high - low) / handle_zero_scale(self.data_range_)
        self.min_ = low - self.data_min_ * self.scale_
        return self

    def transform(self, x):
        """Map ``x`` into ``feature_range`` with the fitted minimum and maximum."""
        a, was_tensor = self._input(x, "transform")
        out = a * self._stat("scale_", a) + self._stat("min_", a)
        if self.clip:
            low, high = self.feature_range
            out = out.clip(low, high)
        return self._output(out, was_tensor)

    def inverse_transform(self, x):
        """Undo ``transform``: back to the original units."""
        a, was_tensor = self._input(x, "inverse_transform")
        return self._output((a - self._stat("min_", a)) / self._stat("scale_", a), was_tensor)


class RobustScaler(Preprocessor):
    """Scale with statistics that outliers barely move: ``(x - median) / IQR``, the
    interquartile range between the ``quantile_range`` percentiles (25 and 75 by default) of
    the training split. NaNs are ignored in fit and pass through.

    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0], [100.0]])
    >>> RobustScaler().fit_transform(x).ravel().tolist()
    [-1.0, -0.5, 0.0, 0.5, 49.0]
    """

    _params = ("with_centering", "with_scaling", "quantile_range")
    _fitted = ("center_", "scale_")

    def __init__(self, with_centering=True, with_scaling=True, quantile_range=(25.0, 75.0)):
        low, high = quantile_range
        if not 0 <= low <= high <= 100:
            raise ValueError(
                f"RobustScaler: quantile_range must be (low, high) with 0 <= low <= high <= "
                f"100, got {tuple(quantile_range)}"
            )
        self.with_centering, self.with_scaling = with_centering, with_scaling
        self.quantile_range = tuple(quantile_range)
        self.center_ = self.scale_ = None

    def fit(self, x, y=None):
        """Learn each feature's median and interquartile range from ``x`` (training split)."""
        a = self._fit_array(x)
        median = _quiet(np.nanmedian, a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanpercentile(a, self.quantile_range, axis=0)
        self.center_ = median if self.with_centering else np.zeros_like(median)
        iqr = q[1] - q[0]
        self.scale_ = handle_zero_scale(iqr) if self.with_scaling else np.ones_like(iqr)
        return self

    def transform(self, x):
        """Centre and scale ``x`` with the fitted median and IQR."""
        a, was_tensor = self._input(x, "transform")
        return self._output((a - self._stat("center_", a)) / self._stat("scale_", a), was_tensor)

    def inverse_transform(self, x):
        """Undo ``transform``."""
        a, was_tensor = self._input(x, "inverse_transform")
        return self._output(a * self._stat("scale_", a) + self._stat("center_", a), was_tensor)
