"""Precision, recall and F1, computed from a confusion matrix as scikit-learn does.

``average``: ``'binary'`` (the class ``pos_label`` only), ``'micro'`` (pool all decisions),
``'macro'`` (mean over classes), ``'weighted'`` (mean weighted by each class's support), or
``None`` (one score per class). Classes that appear in neither the predictions nor the targets
are left out of the averages unless ``num_classes`` is given. Where a ratio is 0/0,
``zero_division`` decides: ``"warn"`` (0 and a warning), 0.0, 1.0 or ``nan`` (left out of the
mean). Predictions that hold NaN or inf score NaN (every class, for ``average=None``).

>>> from glassnet.train import metrics
>>> preds, targets = [0, 2, 1, 0, 0, 1], [0, 1, 2, 0, 1, 2]
>>> round(metrics.precision(preds, targets, average="macro"), 4)
0.2222
>>> round(metrics.recall(preds, targets, average="macro"), 4)
0.3333
>>> round(metrics.f1(preds, targets, average="micro"), 4)
0.3333
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet.train.metrics.base import Metric, labels_from
from glassnet.train.metrics.classification import _bincount_matrix, add_padded

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _divide(num, den, zero_division, what):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    zero = den == 0
    out = num / np.where(zero, 1.0, den)
    if zero.any():
        if zero_division == "warn":
            warnings.warn(
                f"{what} is ill-defined (0/0) for some classes and is set to 0.0; pass "
                "zero_division=0.0, 1.0 or nan to choose the value and silence this warning",
                UserWarning,
                stacklevel=4,
            )
            value = 0.0
        else:
            value = float(zero_division)
        out[zero] = value
    return out


def scores_from_matrix(
    matrix, which, average="macro", pos_label=1, zero_division="warn", all_classes=False
):
    """Precision, recall or F1 (``which``) from a confusion matrix (rows: true classes)."""
    if average not in _AVERAGES:
        raise ValueError(f"{which}: average must be one of {_AVERAGES}, got {average!r}")
    if zero_division != "warn" and not (zero_division in (0, 1) or np.isnan(float(zero_division))):
        raise ValueError(f"{which}: zero_division must be 'warn', 0.0, 1.0 or nan")
    matrix = np.asarray(matrix, dtype=np.int64)
    tp = np.diag(matrix)
    true_sum, pred_sum = matrix.sum(axis=1), matrix.sum(axis=0)
    labels = np.arange(len(tp))
    if not all_classes:
        labels = labels[(true_sum + pred_sum) > 0]
    if average == "binary":
        if len(labels) > 2 or (len(labels) == 2 and pos_label not in labels):
            raise ValueError(
                f"{which}: average='binary' needs two classes including pos_label={pos_label}, "
                f"but the labels are {labels.tolist()}; use average='macro', 'micro' or "
                "'weighted' for several classes"
            )
        labels = np.array([pos_label]) if pos_label < len(tp) else np.array([], dtype=np.int64)
        if labels.size == 0:  # pos_label never seen: every count is zero
            tp = true_sum = pred_sum = np.zeros(1, dtype=np.int64)
            labels = np.array([0])
    tp, true_sum, pred_sum = tp[labels], true_sum[labels], pred_sum[labels]
    if average == "micro":
        tp, true_sum, pred_sum = (
            tp.sum(keepdims=True),
            true_sum.sum(keepdims=True),
            pred_sum.sum(keepdims=True),
        )
    if which == "precision":
        score = _divide(tp, pred_sum, zero_division, "Precision")
    elif which == "recall":
        score = _divide(tp, true_sum, zero_division, "Recall")
    else:  # 2tp / (2tp + fp + fn): defined even when precision or recall is 0/0
        score = _divide(2 * tp, true_sum + pred_sum, zero_division, "F1")
    if average is None:
        return score
    if score.size == 0 or np.isnan(score).all():
        return float("nan")
    keep = ~np.isnan(score)
    if average == "weighted":
        weights = true_sum[keep]
        if weights.sum() == 0:
            return 0.0 if zero_division == "warn" else float(zero_division)
        return float(np.average(score[keep], weights=weights))
    return float(score[keep].mean())


def _nan_scores(matrix_of_targets, which, average, pos_label, all_classes):
    """NaN in the shape the score would have: the predictions were not finite."""
    shape = scores_from_matrix(matrix_of_targets, which, average, pos_label, 0.0, all_classes)
    return float("nan") if np.ndim(shape) == 0 else np.full(np.shape(shape), np.nan)


def _score_function(which, doc):
    """The function ``precision``, ``recall`` or ``f1``: they differ only in the score."""

    def score(
        preds,
        targets,
        average="macro",
        pos_label=1,
        zero_division="warn",
        num_classes=None,
        threshold=0.5,
    ):
        p, t, finite = labels_from(which, preds, targets, threshold)
        all_classes = num_classes is not None
        if not finite:
            return _nan_scores(
                _bincount_matrix(t, t, num_classes), which, average, pos_label, all_classes
            )
        matrix = _bincount_matrix(p, t, num_classes)
        return scores_from_matrix(matrix, which, average, pos_label, zero_division, all_classes)

    score.__name__ = score.__qualname__ = which
    score.__doc__ = doc
    return score


precision = _score_function(
    "precision",
    """Of the samples predicted as a class, the fraction that truly are (tp / (tp + fp)).

    >>> precision([1, 1, 0, 1], [1, 0, 0, 1], average="binary")
    0.6666666666666666
    """,
)
recall = _score_function(
    "recall",
    """Of the samples of a class, the fraction found (tp / (tp + fn)).

    >>> recall([1, 1, 0, 0], [1, 0, 0, 1], average="binary")
    0.5
    """,
)
f1 = _score_function(
    "f1",
    """Harmonic mean of precision and recall (2tp / (2tp + fp + fn)).

    >>> f1([1, 1, 0, 0], [1, 0, 0, 1], average="binary")
    0.5
    """,
)


class _ConfusionBased(Metric):
    which = "f1"

    def __init__(
        self, average="macro", pos_label=1, zero_division="warn", num_classes=None, threshold=0.5
    ):
        self.average, self.pos_label, self.zero_division = average, pos_label, zero_division
        self.num_classes, self.threshold = num_classes, threshold
        self.name = self.which
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes or 0,) * 2, dtype=np.int64)
        self.finite = True

    def update(self, preds, targets):
        p, t, finite = labels_from(self.which, preds, targets, self.threshold)
        self.finite = self.finite and finite
        self.matrix = add_padded(self.matrix, _bincount_matrix(p, t, self.num_classes))

    def compute(self):
        if not self.finite:
            return _nan_scores(
                self.matrix, self.which, self.average, self.pos_label, self.num_classes is not None
            )
        return scores_from_matrix(
            self.matrix,
            self.which,
            self.average,
            self.pos_label,
            self.zero_division,
            all_classes=self.num_classes is not None,
        )


class Precision(_ConfusionBased):
    """Running precision over batches (see ``precision``).

    >>> m = Precision(average="binary"); m.update([1, 1], [1, 0]); m.update([1], [1])
    >>> m.compute()
    0.6666666666666666
    """

    which = "precision"


class Recall(_ConfusionBased):
    """Running recall over batches (see ``recall``).

    >>> m = Recall(average="micro"); m.update([0, 1], [0, 0]); m.compute()
    0.5
    """

    which = "recall"


class F1(_ConfusionBased):
    """Running F1 over batches (see ``f1``).

    >>> m = F1(); m.update([0, 1, 1], [0, 1, 0]); round(m.compute(), 4)
    0.6667
    """

    which = "f1"
