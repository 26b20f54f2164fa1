"""Detection scores: average precision per class (PASCAL VOC style), mAP, and mean box IoU.

Predictions and targets are lists with one entry per image, as in torchvision's detection
models: a prediction is ``{"boxes": (K, 4), "scores": (K,), "labels": (K,)}``, a target
``{"boxes": (G, 4), "labels": (G,)}``, boxes as ``(x1, y1, x2, y2)``. Tensors, arrays or lists.

How a detection counts (VOC's rule): the detections of one class, from every image, are taken
from the highest score down (equal scores: image order, then the order given). Each is
compared with the true boxes of its class in its image; if the best-overlapping one has
IoU >= ``iou_threshold`` and was not claimed yet, the detection is a true positive and claims it;
otherwise (no overlap enough, or the best box already claimed: a duplicate) a false positive.
AP is the area under the precision-recall curve after making precision non-increasing from the
right ("all-point interpolation", VOC 2010 on). mAP is the mean AP over the classes that have at
least one true box.

>>> from glassnet.train import metrics
>>> preds = [{"boxes": [[0, 0, 2, 2], [5, 5, 6, 6]], "scores": [0.9, 0.8], "labels": [0, 0]}]
>>> targets = [{"boxes": [[0, 0, 2, 2.2]], "labels": [0]}]
>>> metrics.mean_average_precision(preds, targets)
1.0
>>> round(metrics.mean_box_iou(preds, targets), 4)
0.9091
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import ShapeError
from glassnet.train.metrics.base import Metric, to_numpy
from glassnet.train.metrics.segmentation import box_iou


def _image(i, entry, with_scores):
    what = "prediction" if with_scores else "target"
    if not isinstance(entry, dict) or "boxes" not in entry or "labels" not in entry:
        raise ValueError(
            f"detection metrics: {what} {i} must be a dict with 'boxes' and 'labels'"
            + (" and 'scores'" if with_scores else "")
            + f"; got {type(entry).__name__}"
        )
    b = to_numpy(entry["boxes"]).astype(np.float64).reshape(-1, 4)
    labels = to_numpy(entry["labels"]).astype(np.int64).reshape(-1)
    scores = to_numpy(entry["scores"]).astype(np.float64).reshape(-1) if with_scores else None
    if len(labels) != len(b) or (with_scores and len(scores) != len(b)):
        raise ShapeError(
            f"detection metrics: {what} {i} has {len(b)} boxes but {len(labels)} labels"
            + (f" and {len(scores)} scores" if with_scores else "")
            + "; give one label (and score) per box"
        )
    return b, labels, scores


def _images(preds, targets):
    if len(preds) != len(targets):
        raise ShapeError(
            f"detection metrics: got predictions for {len(preds)} images but targets for "
            f"{len(targets)}; pass one entry per image in both lists"
        )
    p = [_image(i, e, True) for i, e in enumerate(preds)]
    t = [_image(i, e, False) for i, e in enumerate(targets)]
    return p, t


def _match_class(p, t, cls, iou_threshold):
    """For class ``cls``: (scores, is-true-positive flags, IoUs of the matches) over every
    detection in score order, and the number of true boxes of that class."""
    found = []  # (score, image, position) of each detection of this class
    for img, (_, labels, scores) in enumerate(p):
        found += [(-scores[k], img, k) for k in np.flatnonzero(labels == cls)]
    found.sort()
    truth = [boxes[labels == cls] for boxes, labels, _ in t]
    claimed = [np.zeros(len(g), dtype=bool) for g in truth]
    tp, ious = np.zeros(len(found), dtype=bool), []
    for n, (_, img, k) in enumerate(found):
        if not len(truth[img]):
            continue
        overlap = box_iou(p[img][0][k : k + 1], truth[img])[0]
        best = int(np.argmax(overlap))
        if overlap[best] >= iou_threshold and not claimed[img][best]:
            claimed[img][best] = True
            tp[n] = True
            ious.append(overlap[best])
    return tp, ious, sum(len(g) for g in truth)


def _average_precision(tp: np.ndarray, n_true: int) -> float:
    if n_true == 0:
        return float("nan")
    hits = np.cumsum(tp)
    recall = hits / n_true
    precision = hits / np.arange(1, len(tp) + 1)
    # Precision made non-increasing from the right, then summed over the recall steps.
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _classes(p, t, num_classes):
    if num_classes is not None:
        return range(num_classes)
    seen = [labels for _, labels, _ in p + t]
    return np.unique(np.concatenate(seen)) if seen else np.zeros(0, dtype=np.int64)


def average_precision_per_class(preds, targets, iou_threshold=0.5, num_classes=None):
    """``{class: AP}`` for every class seen (or ``range(num_classes)``); ``nan`` for a class with
    no true box (nothing to find: left out of mAP).

    >>> average_precision_per_class(
    ...     [{"boxes": [[0, 0, 1, 1]], "scores": [1.0], "labels": [1]}],
    ...     [{"boxes": [[0, 0, 1, 1], [3, 3, 4, 4]], "labels": [1, 1]}])
    {1: 0.5}
    """
    p, t = _images(preds, targets)
    out = {}
    for cls in _classes(p, t, num_classes):
        tp, _, n_true = _match_class(p, t, cls, iou_threshold)
        out[int(cls)] = _average_precision(tp, n_true)
    return out


def mean_average_precision(preds, targets, iou_threshold=0.5, num_classes=None) -> float:
    """mAP: the mean over classes with at least one true box of their average precision at
    ``iou_threshold`` (0.5: "mAP@0.5", VOC's measure). ``nan`` when there is no true box.

    >>> mean_average_precision(
    ...     [{"boxes": [[0, 0, 1, 1]], "scores": [0.5], "labels": [0]}],
    ...     [{"boxes": [[0, 0, 1, 1]], "labels": [1]}])
    0.0
    """
    aps = np.array(
        list(average_precision_per_class(preds, targets, iou_threshold, num_classes).values()),
        dtype=np.float64,
    )
    aps = aps[~np.isnan(aps)]
    return float(aps.mean()) if len(aps) else float("nan")


def mean_box_iou(preds, targets, iou_threshold=0.5) -> float:
    """Mean IoU of the matched boxes: the true positives of the AP matching (a detection of
    the right class that claimed a true box with IoU >= ``iou_threshold``), averaged over those
    pairs. It says how tight the found boxes are; how many are found is mAP's (and recall's)
    business. ``nan`` when nothing matched.

    >>> mean_box_iou([{"boxes": [[0, 0, 2, 2]], "scores": [0.9], "labels": [0]}],
    ...              [{"boxes": [[0, 0, 2, 4]], "labels": [0]}])
    0.5
    """
    p, t = _images(preds, targets)
    ious = []
    for cls in _classes(p, t, None):
        ious += _match_class(p, t, cls, iou_threshold)[1]
    return float(np.mean(ious)) if ious else float("nan")


class MeanAveragePrecision(Metric):
    """Running mAP over batches of images: ``update(preds, targets)`` with lists of per-image
    dicts (see the module), ``compute()`` the mAP over every image seen.

    >>> m = MeanAveragePrecision()
    >>> m.update([{"boxes": [[0, 0, 1, 1]], "scores": [0.9], "labels": [0]}],
    ...          [{"boxes": [[0, 0, 1, 1]], "labels": [0]}])
    >>> m.update([{"boxes": [[0, 0, 1, 1]], "scores": [0.8], "labels": [0]}],
    ...          [{"boxes": [[4, 4, 5, 5]], "labels": [0]}])
    >>> m.compute()
    0.5
    """

    name = "map50"

    def __init__(self, iou_threshold: float = 0.5, num_classes: int | None = None):
        self.iou_threshold, self.num_classes = iou_threshold, num_classes
        super().__init__()

    def reset(self):
        self.preds, self.targets = [], []

    def update(self, preds, targets):
        _images(preds, targets)  # check now, so a bad batch fails where it is given
        self.preds += list(preds)
        self.targets += list(targets)

    def compute(self):
        return mean_average_precision(
            self.preds, self.targets, self.iou_threshold, self.num_classes
        )
