"""Classification scores: accuracy, top-k accuracy and the confusion matrix.

Arguments come in the order ``(preds, targets)``, the order a Trainer calls them in (scikit-learn
puts the true labels first). ``preds`` may be class scores (logits or probabilities, with a
class dimension) or labels; binary scores of the targets' shape are thresholded.

>>> import glassnet
>>> from glassnet.train import metrics
>>> logits = glassnet.tensor([[2.0, 0.1, 0.0], [0.2, 0.1, 3.0], [0.0, 1.0, 0.5]])
>>> metrics.accuracy(logits, glassnet.tensor([0, 2, 2]))
0.6666666666666666
>>> metrics.top_k_accuracy(logits, glassnet.tensor([0, 2, 2]), k=2)
1.0
>>> metrics.confusion_matrix(logits, glassnet.tensor([0, 2, 2]))
array([[1, 0, 0],
       [0, 0, 0],
       [0, 1, 1]])
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ShapeError
from glassnet.train.metrics.base import (
    Metric,
    class_dim,
    class_targets,
    labels_from,
    to_numpy,
)


def _correct(preds, targets, threshold, ignore_index):
    """``(correct, counted, finite)``; non-finite predictions are never counted as correct."""
    p, t, finite = labels_from("accuracy", preds, targets, threshold)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return (int((p == t).sum()) if finite else 0), int(t.size), finite


def accuracy(preds, targets, threshold: float = 0.5, ignore_index: int | None = None) -> float:
    """Fraction of predictions equal to the target label.

    ``preds``: class scores ``(N, C)`` / ``(N, T, C)`` / ``(N, C, H, W)``, labels of the
    targets' shape, or binary probabilities (logits when outside [0, 1]) cut at ``threshold``.
    Targets equal to ``ignore_index`` (padding) are left out. Predictions that hold NaN or
    inf give NaN (a diverged model has no accuracy); targets must be whole-number labels.

    >>> accuracy([0.2, 0.7, 0.9, 0.4], [0, 1, 0, 0])
    0.75
    >>> accuracy([[float("nan"), 0.0], [0.0, 1.0]], [0, 1])
    nan
    """
    correct, total, finite = _correct(preds, targets, threshold, ignore_index)
    if not finite:
        return float("nan")
    return correct / total if total else 0.0


def _top_k_hits(preds, targets, k):
    """``(hits, counted, finite)``."""
    p, t = to_numpy(preds), class_targets("top_k_accuracy", targets)
    if class_dim("top_k_accuracy", p, t) != p.ndim - 1:
        raise ShapeError(
            f"top_k_accuracy: needs class scores of shape (N, C) for targets of shape (N,); got "
            f"scores {p.shape} and targets {t.shape}"
        )
    p = p.reshape(-1, p.shape[-1])
    t = t.reshape(-1)
    if p.dtype.kind == "f" and not np.isfinite(p).all():
        return 0, int(t.size), False
    if k >= p.shape[1]:
        return t.size, t.size, True
    # A label is a hit when fewer than k classes score strictly higher than it.
    target_score = p[np.arange(t.size), t]
    higher = (p > target_score[:, None]).sum(axis=1)
    return int((higher < k).sum()), int(t.size), True


def top_k_accuracy(preds, targets, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest-scoring classes.

    >>> top_k_accuracy([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], [1, 0], k=2)
    0.5
    """
    hits, total, finite = _top_k_hits(preds, targets, k)
    if not finite:
        return float("nan")
    return hits / total if total else 0.0


def _bincount_matrix(p, t, num_classes):
    n = max(num_classes or 0, int(p.max(initial=-1)) + 1, int(t.max(initial=-1)) + 1)
    if num_classes is not None and n > num_classes:
        raise ValueError(
            f"confusion_matrix: found label {n - 1} but num_classes={num_classes}; labels must "
            f"lie in 0..{num_classes - 1}"
        )
    if (p.size and p.min() < 0) or (t.size and t.min() < 0):
        raise ValueError("confusion_matrix: labels must be non-negative class indices")
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def _finite_labels(metric, preds, targets, threshold):
    p, t, finite = labels_from(metric, preds, targets, threshold)
    if not finite:
        scores = to_numpy(preds)
        bad = int((~np.isfinite(scores)).sum())
        raise ValueError(
            f"{metric}: the predictions hold {bad} NaN/inf score(s), so they cannot be counted "
            "as classes (the model has diverged); check the outputs with "
            "glassnet.isfinite(preds).all() first"
        )
    return p, t


def confusion_matrix(preds, targets, num_classes: int | None = None, threshold: float = 0.5):
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j`` (int64).

    The size is ``num_classes`` or one more than the largest label seen. Predictions that
    hold NaN or inf raise ValueError: they belong to no class.

    >>> confusion_matrix([1, 0, 1], [1, 1, 1], num_classes=2)
    array([[0, 0],
           [1, 2]])
    """
    p, t = _finite_labels("confusion_matrix", preds, targets, threshold)
    return _bincount_matrix(p, t, num_classes)


class Accuracy(Metric):
    """Running accuracy over batches (see ``accuracy``); NaN once a batch of predictions held
    NaN or inf, until ``reset()``.

    >>> m = Accuracy(); m.update([1, 0], [1, 1]); m.update([1], [1]); m.compute()
    0.6666666666666666
    """

    name = "accuracy"

    def __init__(self, threshold: float = 0.5, ignore_index: int | None = None):
        self.threshold, self.ignore_index = threshold, ignore_index
        super().__init__()

    def reset(self):
        self.correct, self.count, self.finite = 0, 0, True

    def update(self, preds, targets):
        c, n, finite = _correct(preds, targets, self.threshold, self.ignore_index)
        self.correct += c
        self.count += n
        self.finite = self.finite and finite

    def compute(self):
        if not self.finite:
            return float("nan")
        return self.correct / self.count if self.count else 0.0


class TopKAccuracy(Metric):
    """Running top-k accuracy (see ``top_k_accuracy``); logged as ``top{k}_accuracy``.

    >>> m = TopKAccuracy(k=2); m.update([[0.5, 0.3, 0.2]], [2]); m.compute()
    0.0
    """

    def __init__(self, k: int = 5):
        self.k = k
        self.name = f"top{k}_accuracy"
        super().__init__()

    def reset(self):
        self.hits, self.count, self.finite = 0, 0, True

    def update(self, preds, targets):
        h, n, finite = _top_k_hits(preds, targets, self.k)
        self.hits += h
        self.count += n
        self.finite = self.finite and finite

    def compute(self):
        if not self.finite:
            return float("nan")
        return self.hits / self.count if self.count else 0.0


class ConfusionMatrix(Metric):
    """Running confusion matrix; grows when a larger label appears (unless ``num_classes``).

    >>> m = ConfusionMatrix(); m.update([0], [0]); m.update([2], [1]); m.compute()
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 0]])
    """

    name = "confusion_matrix"

    def __init__(self, num_classes: int | None = None, threshold: float = 0.5):
        self.num_classes, self.threshold = num_classes, threshold
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes or 0,) * 2, dtype=np.int64)

    def update(self, preds, targets):
        p, t = _finite_labels(self.name, preds, targets, self.threshold)
        batch = _bincount_matrix(p, t, self.num_classes)
        self.matrix = add_padded(self.matrix, batch)

    def compute(self):
        return self.matrix.copy()


def add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` for square matrices of possibly different sizes (the smaller padded by zeros)."""
    if a.shape == b.shape:
        return a + b
    n = max(a.shape[0], b.shape[0])
    out = np.zeros((n, n), dtype=np.int64)
    out[: a.shape[0], : a.shape[0]] += a
    out[: b.shape[0], : b.shape[0]] += b
    return out
