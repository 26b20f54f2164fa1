"""Regression scores: mean absolute error, mean squared error, its root, and R².

Predictions of shape ``(N, 1)`` are matched with targets of shape ``(N,)``. With several outputs
(``(N, K)``) every column is scored and the scores averaged, as scikit-learn's
``multioutput='uniform_average'``. Sums are kept in float64, so running scores over batches equal
the score over all of the data. Targets must be finite (NaN or inf targets raise ValueError);
predictions that hold NaN give NaN.

>>> from glassnet.train import metrics
>>> preds, targets = [2.5, 0.0, 2.0, 8.0], [3.0, -0.5, 2.0, 7.0]
>>> metrics.mae(preds, targets), metrics.mse(preds, targets)
(0.5, 0.375)
>>> round(metrics.r2(preds, targets), 4)
0.9486
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ShapeError
from glassnet.train.metrics.base import Metric, to_numpy


def _columns(metric, preds, targets):
    p = to_numpy(preds).astype(np.float64, copy=False)
    t = to_numpy(targets).astype(np.float64, copy=False)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    elif t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    if p.shape != t.shape:
        raise ShapeError(
            f"{metric}: predictions of shape {p.shape} do not match targets of shape {t.shape}; "
            "regression scores need one prediction per target value"
        )
    bad = ~np.isfinite(t)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{metric}: the targets hold {int(bad.sum())} NaN/inf value(s) (the first at "
            f"position {first}); a score against them means nothing. Drop or fix those rows "
            "of the data."
        )
    if p.ndim <= 1:
        return p.reshape(-1, 1), t.reshape(-1, 1)
    return p.reshape(p.shape[0], -1), t.reshape(t.shape[0], -1)


class _Sums:
    """Per-column sums that every regression score can be computed from."""

    def __init__(self):
        self.n = 0
        self.abs = self.sq = self.t = self.tt = 0.0
        self.shift = None

    def add(self, p, t):
        d = p - t
        if self.shift is None and t.shape[0]:
            # Sums of targets taken about the first batch's mean keep the variance accurate
            # when the targets are large compared with their spread.
            self.shift = t.mean(axis=0)
        if self.shift is not None:
            t = t - self.shift
        self.n += p.shape[0]
        self.abs = self.abs + np.abs(d).sum(axis=0)
        self.sq = self.sq + (d * d).sum(axis=0)
        self.t = self.t + t.sum(axis=0)
        self.tt = self.tt + (t * t).sum(axis=0)
        return self

    def value(self, which):
        if self.n == 0:
            return float("nan")
        if which == "mae":
            return float(np.mean(self.abs / self.n))
        if which == "mse":
            return float(np.mean(self.sq / self.n))
        if which == "rmse":  # scikit-learn's root_mean_squared_error: root per column, then mean
            return float(np.mean(np.sqrt(self.sq / self.n)))
        # R² = 1 - SS_res / SS_tot; a constant target scores 1 when predicted exactly, else 0.
        ss_tot = np.maximum(self.tt - self.t * self.t / self.n, 0.0)
        constant = ss_tot <= 1e-12 * np.maximum(self.tt, 1.0)
        score = np.where(constant, 0.0, 1.0 - self.sq / np.where(constant, 1.0, ss_tot))
        score = np.where(constant & (self.sq == 0), 1.0, score)
        score = np.where(np.isnan(self.sq), np.nan, score)  # NaN predictions: no score
        return float(np.mean(score))


def _score(which, preds, targets):
    return _Sums().add(*_columns(which, preds, targets)).value(which)


def mae(preds, targets) -> float:
    """Mean absolute error: mean of ``|pred - target|``.

    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    return _score("mae", preds, targets)


def mse(preds, targets) -> float:
    """Mean squared error: mean of ``(pred - target)²``.

    >>> mse([1.0, 2.0], [2.0, 4.0])
    2.5
    """
    return _score("mse", preds, targets)


def rmse(preds, targets) -> float:
    """Root mean squared error, in the targets' units.

    >>> round(rmse([0.0, 0.0], [3.0, 4.0]), 6)
    3.535534
    """
    return _score("rmse", preds, targets)


def r2(preds, targets) -> float:
    """Coefficient of determination: 1 - (squared error) / (variance of the targets).

    1 is perfect, 0 is no better than predicting the mean, below 0 is worse.

    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    """
    return _score("r2", preds, targets)


class _Regression(Metric):
    def reset(self):
        self.sums = _Sums()

    def update(self, preds, targets):
        self.sums.add(*_columns(self.name, preds, targets))

    def compute(self):
        return self.sums.value(self.name)


class MAE(_Regression):
    """Running mean absolute error.

    >>> m = MAE(); m.update([1.0], [2.0]); m.update([2.0], [4.0]); m.compute()
    1.5
    """

    name = "mae"


class MSE(_Regression):
    """Running mean squared error.

    >>> m = MSE(); m.update([1.0, 2.0], [2.0, 4.0]); m.compute()
    2.5
    """

    name = "mse"


class RMSE(_Regression):
    """Running root mean squared error.

    >>> m = RMSE(); m.update([0.0], [3.0]); m.update([0.0], [4.0]); round(m.compute(), 6)
    3.535534
    """

    name = "rmse"


class R2(_Regression):
    """Running R² (from sums of targets, squared targets and squared errors).

    >>> m = R2(); m.update([1.0, 2.0], [1.0, 2.0]); m.update([3.0], [3.0]); m.compute()
    1.0
    """

    name = "r2"
