"""Intersection over union: for boxes (detection), binary masks, and label maps (segmentation).

Boxes are ``(x1, y1, x2, y2)`` corners with ``x1 <= x2`` and ``y1 <= y2``, as torchvision uses.

>>> import numpy as np
>>> from glassnet.train import metrics
>>> metrics.box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2]])
array([[0.14285714, 1.        ]])
>>> metrics.mask_iou(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [1, 0]]))
0.3333333333333333
>>> metrics.mean_iou([0, 0, 1, 1], [0, 1, 1, 1])
0.5833333333333333
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ShapeError
from glassnet.ops import boxes as boxes_op
from glassnet.train.metrics.base import Metric, labels_from, to_numpy
from glassnet.train.metrics.classification import _bincount_matrix, add_padded


def _boxes(name, boxes):
    b = to_numpy(boxes).astype(np.float64, copy=False)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ShapeError(
            f"{name}: boxes must have shape (N, 4) as (x1, y1, x2, y2); got shape {b.shape}"
        )
    return b


def box_iou(boxes1, boxes2, pairwise: bool = True) -> np.ndarray:
    """IoU of boxes: an ``(N, M)`` matrix of every pair, or with ``pairwise=False`` the ``(N,)``
    IoUs of ``boxes1[i]`` with ``boxes2[i]``. Boxes with no area and no overlap score 0.

    The arithmetic is ``glassnet.ops.boxes`` (one implementation for the differentiable op and
    the metric); the metric only turns its 0/0 (two empty boxes) into 0.

    >>> box_iou([[0, 0, 2, 2], [0, 0, 1, 1]], [[1, 1, 3, 3], [0, 0, 2, 2]], pairwise=False)
    array([0.14285714, 0.25      ])
    """
    a, b = _boxes("box_iou", boxes1), _boxes("box_iou", boxes2)
    if not pairwise and a.shape != b.shape:
        raise ShapeError(
            f"box_iou: pairwise=False needs the same number of boxes on both sides; got "
            f"{a.shape[0]} and {b.shape[0]}"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = boxes_op.box_iou(a, b) if pairwise else boxes_op.paired_box_iou(a, b)
    return np.nan_to_num(iou, nan=0.0)


def mask_iou(pred_mask, target_mask, zero_division: float = 0.0) -> float:
    """IoU of two binary masks (non-zero = inside): |A ∩ B| / |A ∪ B|.
    When both masks are empty the result is ``zero_division``.

    >>> mask_iou([1, 1, 0, 0], [0, 1, 1, 0])
    0.3333333333333333
    """
    a, b = to_numpy(pred_mask) != 0, to_numpy(target_mask) != 0
    if a.shape != b.shape:
        raise ShapeError(f"mask_iou: masks of shapes {a.shape} and {b.shape} must match")
    union = int(np.logical_or(a, b).sum())
    return int(np.logical_and(a, b).sum()) / union if union else float(zero_division)


def _per_class(matrix):
    tp = np.diag(matrix).astype(np.float64)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)


def _labels(name, preds, targets, ignore_index):
    p, t, finite = labels_from(name, preds, targets)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return p, t, finite


def mean_iou(
    preds,
    targets,
    num_classes: int | None = None,
    ignore_index: int | None = None,
    per_class: bool = False,
):
    """Mean over classes of the IoU between predicted and true regions of each class.

    ``preds``: label maps of the targets' shape or scores ``(N, C, H, W)``. Classes absent from
    both are left out of the mean (``nan`` in ``per_class=True`` output); target pixels equal to
    ``ignore_index`` are skipped. Scores that hold NaN or inf give NaN.

    >>> mean_iou([0, 0, 1, 1], [0, 1, 1, 1], per_class=True)
    array([0.5       , 0.66666667])
    """
    p, t, finite = _labels("mean_iou", preds, targets, ignore_index)
    scores = _per_class(_bincount_matrix(p, t, num_classes))
    if not finite:
        scores = np.full_like(scores, np.nan)
    if per_class:
        return scores
    return float(np.nanmean(scores)) if not np.isnan(scores).all() else float("nan")


def iou(preds, targets, kind: str = "auto", **kwargs):
    """One entry point for IoU: ``kind`` is ``'boxes'`` (``box_iou``), ``'masks'``
    (``mask_iou``) or ``'labels'`` (``mean_iou``). ``'auto'`` picks boxes for float ``(N, 4)``
    inputs, masks for booleans, and label maps otherwise.

    >>> iou([[0.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0, 2.0]])
    array([[0.5]])
    >>> iou([True, False], [True, True])
    0.5
    """
    if kind == "auto":
        a = to_numpy(preds)
        if a.dtype == bool:
            kind = "masks"
        elif a.dtype.kind == "f" and a.ndim == 2 and a.shape[1] == 4:
            kind = "boxes"
        else:
            kind = "labels"
    funcs = {"boxes": box_iou, "masks": mask_iou, "labels": mean_iou}
    if kind not in funcs:
        raise ValueError(f"iou: kind must be 'auto', 'boxes', 'masks' or 'labels', not {kind!r}")
    return funcs[kind](preds, targets, **kwargs)


class MeanIoU(Metric):
    """Running mean IoU for segmentation: a confusion matrix summed over batches.

    >>> m = MeanIoU(); m.update([0, 0], [0, 1]); m.update([1, 1], [1, 1]); m.compute()
    0.5833333333333333
    """

    name = "mean_iou"

    def __init__(self, num_classes: int | None = None, ignore_index: int | None = None):
        self.num_classes, self.ignore_index = num_classes, ignore_index
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes or 0,) * 2, dtype=np.int64)
        self.finite = True

    def update(self, preds, targets):
        p, t, finite = _labels(self.name, preds, targets, self.ignore_index)
        self.finite = self.finite and finite
        self.matrix = add_padded(self.matrix, _bincount_matrix(p, t, self.num_classes))

    def compute(self):
        if not self.finite:
            return float("nan")
        scores = _per_class(self.matrix)
        return float(np.nanmean(scores)) if not np.isnan(scores).all() else float("nan")


_DICE_AVERAGES = ("binary", "macro", None)


def _dice_from_matrix(matrix, average, pos_label=1):
    tp = np.diag(matrix).astype(np.float64)
    sizes = matrix.sum(axis=0) + matrix.sum(axis=1)  # |prediction| + |target| per class
    scores = np.where(sizes > 0, 2 * tp / np.where(sizes > 0, sizes, 1), np.nan)
    if average is None:
        return scores
    if average == "binary":
        # A class that is absent from both masks: nothing to find, nothing wrongly found.
        score = scores[pos_label] if pos_label < len(scores) else np.nan
        return 1.0 if np.isnan(score) else float(score)
    return float(np.nanmean(scores)) if not np.isnan(scores).all() else float("nan")


def _check_average(average):
    if average not in _DICE_AVERAGES:
        raise ValueError(f"dice: average must be one of {_DICE_AVERAGES}, got {average!r}")


def dice(
    preds,
    targets,
    num_classes: int | None = None,
    ignore_index: int | None = None,
    average: str | None = "macro",
):
    """Dice coefficient (the F1 score of pixels): ``2 |A ∩ B| / (|A| + |B|)``.

    ``average='binary'``: the Dice of the foreground class 1 (binary masks; float
    probabilities or logits are thresholded at 0.5 as for ``f1``); an empty foreground in both
    scores 1. ``'macro'``: the mean over classes of each class's Dice (classes absent from both
    are left out, as in ``mean_iou``). ``None``: one score per class (``nan`` where absent).
    ``preds`` are label maps of the targets' shape or scores ``(N, C, H, W)``.

    >>> dice([1, 1, 0, 0], [0, 1, 1, 0], average="binary")
    0.5
    >>> dice([0, 0, 1, 2], [0, 1, 1, 2], average=None)
    array([0.66666667, 0.66666667, 1.        ])
    """
    _check_average(average)
    p, t, finite = _labels("dice", preds, targets, ignore_index)
    if not finite:
        return float("nan")
    return _dice_from_matrix(_bincount_matrix(p, t, num_classes), average)


class Dice(Metric):
    """Running Dice for segmentation: a confusion matrix summed over batches, so the score of
    an epoch is the score of all its pixels (not a mean of per-batch scores).

    >>> m = Dice(average="binary"); m.update([1, 1], [0, 1]); m.update([0, 0], [1, 0])
    >>> m.compute()
    0.5
    """

    name = "dice"

    def __init__(
        self, num_classes: int | None = None, ignore_index: int | None = None, average="macro"
    ):
        _check_average(average)
        self.num_classes, self.ignore_index, self.average = num_classes, ignore_index, average
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes or 0,) * 2, dtype=np.int64)
        self.finite = True

    def update(self, preds, targets):
        p, t, finite = _labels(self.name, preds, targets, self.ignore_index)
        self.finite = self.finite and finite
        self.matrix = add_padded(self.matrix, _bincount_matrix(p, t, self.num_classes))

    def compute(self):
        if not self.finite:
            return float("nan")
        return _dice_from_matrix(self.matrix, self.average)
