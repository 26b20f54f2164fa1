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

    >>> box_iou([[0, 0, 2, 2], [0, 0, 1, 1]], [[1, 1, 3, 3], [0, 0, 2, 2]], pairwise=False)
    array([0.14285714, 0.25      ])
    """
    a, b = _boxes("box_iou", boxes1), _boxes("box_iou", boxes2)
    if pairwise:
        a, b = a[:, None, :], b[None, :, :]
    elif a.shape != b.shape:
        raise ShapeError(
            f"box_iou: pairwise=False needs the same number of boxes on both sides; got "
            f"{a.shape[0]} and {b.shape[0]}"
        )
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


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
