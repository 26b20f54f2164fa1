"""Box utilities for detection, with torchvision.ops's names: area, format conversion, IoU,
generalized IoU, non-maximum suppression.

Boxes are rows of 4 numbers. The default format is ``xyxy``: ``(x1, y1, x2, y2)``, the corners,
with ``x1 <= x2`` and ``y1 <= y2``. ``xywh`` is ``(x1, y1, width, height)`` and ``cxcywh`` is
``(centre x, centre y, width, height)``.

The arithmetic ones (``box_area``, ``box_convert``, ``box_iou``, ``generalized_box_iou``) are
written with Tensor ops, so on Tensors they are differentiable (a GIoU loss backpropagates into
predicted boxes) with no backward of their own. They also take NumPy arrays or lists and then
return NumPy arrays. ``nms`` and ``batched_nms`` pick indices, which have no gradient.

>>> import glassnet
>>> from glassnet.ops import boxes
>>> a = glassnet.tensor([[0.0, 0.0, 2.0, 2.0]])
>>> b = glassnet.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0]])
>>> boxes.box_iou(a, b)
tensor([[0.1429, 1.0000]])
>>> boxes.box_convert(a, "xyxy", "cxcywh")
tensor([[1., 1., 2., 2.]])
>>> boxes.nms(glassnet.tensor([[0.0, 0, 2, 2], [0.1, 0, 2, 2], [5, 5, 6, 6]]),
...           glassnet.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
tensor([0, 2])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.errors import ShapeError
from glassnet.ops.shape_join import stack
from glassnet.tensor import Tensor

FORMATS = ("xyxy", "xywh", "cxcywh")


def _as_boxes(op: str, boxes):
    """``(tensor, was_tensor)``: boxes as an (N, 4) floating Tensor. Non-Tensors become float64
    (the precision of NumPy metrics); integer Tensors become float32, as torchvision upcasts."""
    was_tensor = isinstance(boxes, Tensor)
    if was_tensor:
        t = boxes if boxes.is_floating_point() else boxes.float()
    else:
        t = Tensor(backend.to_numpy(boxes) if backend.is_cuda_array(boxes) else boxes)
        t = t.double()
    if t.ndim != 2 or t.shape[1] != 4:
        raise ShapeError(
            f"{op}: boxes must have shape (N, 4), one box per row; got shape {tuple(t.shape)}. "
            "A single box needs a batch dimension: box[None]."
        )
    return t, was_tensor


def _out(t: Tensor, was_tensor: bool):
    return t if was_tensor else t.numpy()


def box_area(boxes):
    """Area of each ``(x1, y1, x2, y2)`` box: ``(x2 - x1) * (y2 - y1)``, shape ``(N,)``.

    >>> box_area([[0, 0, 2, 3], [1, 1, 2, 2]])
    array([6., 1.])
    """
    b, was_tensor = _as_boxes("box_area", boxes)
    return _out(_area(b), was_tensor)


def _area(b: Tensor) -> Tensor:
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def box_convert(boxes, in_fmt: str, out_fmt: str):
    """Boxes from one format to another: ``'xyxy'``, ``'xywh'`` or ``'cxcywh'``.

    >>> box_convert([[1.0, 1.0, 2.0, 2.0]], "cxcywh", "xyxy")
    array([[0., 0., 2., 2.]])
    """
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in FORMATS:
            raise ValueError(f"box_convert: {name} must be one of {FORMATS}, not {fmt!r}")
    b, was_tensor = _as_boxes("box_convert", boxes)
    if in_fmt == out_fmt:
        return _out(b.clone(), was_tensor)
    p, q, r, s = b.unbind(1)
    # Go through xyxy: two small formulas per format instead of one per pair of formats.
    if in_fmt == "xywh":
        p, q, r, s = p, q, p + r, q + s
    elif in_fmt == "cxcywh":
        p, q, r, s = p - 0.5 * r, q - 0.5 * s, p + 0.5 * r, q + 0.5 * s
    if out_fmt == "xywh":
        p, q, r, s = p, q, r - p, s - q
    elif out_fmt == "cxcywh":
        p, q, r, s = (p + r) * 0.5, (q + s) * 0.5, r - p, s - q
    return _out(stack([p, q, r, s], dim=1), was_tensor)


def _inter_union(a: Tensor, b: Tensor):
    """Intersection and union areas of ``a`` and ``b`` broadcast against each other."""
    top_left = a[..., :2].maximum(b[..., :2])
    bottom_right = a[..., 2:].minimum(b[..., 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, _area(a) + _area(b) - inter


def box_iou(boxes1, boxes2):
    """Intersection over union of every pair: an ``(N, M)`` matrix, entry ``[i, j]`` the IoU of
    ``boxes1[i]`` and ``boxes2[j]``. As in torchvision, two boxes with no area give NaN (0/0);
    ``glassnet.train.metrics.box_iou`` scores those 0.

    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]])
    array([[0.14285714]])
    """
    a, was_tensor = _as_boxes("box_iou", boxes1)
    b, _ = _as_boxes("box_iou", boxes2)
    inter, union = _inter_union(a[:, None, :], b[None, :, :])
    return _out(inter / union, was_tensor)


def paired_box_iou(boxes1, boxes2):
    """IoU of ``boxes1[i]`` with ``boxes2[i]`` for each i (the diagonal of ``box_iou``, without
    the ``N x N`` matrix), shape ``(N,)``.

    >>> paired_box_iou([[0, 0, 2, 2], [0, 0, 1, 1]], [[1, 1, 3, 3], [0, 0, 2, 2]])
    array([0.14285714, 0.25      ])
    """
    a, was_tensor = _as_boxes("paired_box_iou", boxes1)
    b, _ = _as_boxes("paired_box_iou", boxes2)
    if a.shape != b.shape:
        raise ShapeError(
            f"paired_box_iou: needs the same number of boxes on both sides; got "
            f"{a.shape[0]} and {b.shape[0]}. For every pair use box_iou."
        )
    inter, union = _inter_union(a, b)
    return _out(inter / union, was_tensor)


def generalized_box_iou(boxes1, boxes2):
    """Generalized IoU of every pair (Rezatofighi et al., 2019): IoU minus the share of the
    smallest enclosing box that neither box covers. In [-1, 1]; unlike IoU it still changes
    when boxes do not overlap, which is why it makes a useful loss.

    >>> generalized_box_iou([[0, 0, 1, 1]], [[2, 0, 3, 1]])
    array([[-0.33333333]])
    """
    a, was_tensor = _as_boxes("generalized_box_iou", boxes1)
    b, _ = _as_boxes("generalized_box_iou", boxes2)
    a, b = a[:, None, :], b[None, :, :]
    inter, union = _inter_union(a, b)
    iou = inter / union
    top_left = a[..., :2].minimum(b[..., :2])
    bottom_right = a[..., 2:].maximum(b[..., 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    enclosing = wh[..., 0] * wh[..., 1]
    return _out(iou - (enclosing - union) / enclosing, was_tensor)


def _host(x, op: str, what: str, ndim: int) -> np.ndarray:
    a = x._data if isinstance(x, Tensor) else x
    a = backend.to_numpy(a) if backend.is_cuda_array(a) else np.asarray(a)
    if a.ndim != ndim:
        raise ShapeError(f"{op}: {what} must have {ndim} dimension(s); got shape {a.shape}")
    return a


def _keep_out(keep: np.ndarray, like):
    if isinstance(like, Tensor):
        return Tensor(keep).to(like.device)
    return keep


def _greedy_nms(b: np.ndarray, s: np.ndarray, iou_threshold: float) -> np.ndarray:
    # Highest score first; among equal scores the lower index first (a stable sort), so the
    # result never depends on the sorting algorithm.
    order = np.argsort(-s, kind="stable")
    iou = box_iou(b[order].astype(np.float64), b[order].astype(np.float64))
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(order[i])
        # IoU strictly above the threshold suppresses (torchvision's rule): a box at exactly
        # the threshold survives. NaN (two empty boxes) compares False and suppresses nothing.
        suppressed |= iou[i] > iou_threshold
    return np.asarray(keep, dtype=np.int64)


def nms(boxes, scores, iou_threshold: float):
    """Non-maximum suppression: walk the boxes from the highest score down, keep a box, and
    drop every later box whose IoU with it is above ``iou_threshold``. Returns the indices of
    the kept boxes (int64), highest score first. Equal scores keep the lower index first.

    >>> nms([[0, 0, 2, 2], [0, 0, 2, 1], [0, 0, 2, 2]], [0.5, 0.9, 0.5], iou_threshold=0.5)
    array([1, 0])
    """
    b = _host(boxes, "nms", "boxes", 2)
    s = _host(scores, "nms", "scores", 1)
    if b.shape[-1] != 4 or len(b) != len(s):
        raise ShapeError(
            f"nms: needs boxes of shape (N, 4) and scores of shape (N,); got {b.shape} and "
            f"{s.shape}"
        )
    return _keep_out(_greedy_nms(b, s, float(iou_threshold)), boxes)


def batched_nms(boxes, scores, idxs, iou_threshold: float):
    """NMS run separately for each category in ``idxs`` (a box never suppresses a box of
    another class). Returns the kept indices, highest score first across all classes.

    >>> batched_nms([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]], [0.9, 0.8, 0.7], [0, 1, 0], 0.5)
    array([0, 1])
    """
    b = _host(boxes, "batched_nms", "boxes", 2)
    s = _host(scores, "batched_nms", "scores", 1)
    c = _host(idxs, "batched_nms", "idxs", 1)
    if b.shape[-1] != 4 or not len(b) == len(s) == len(c):
        raise ShapeError(
            f"batched_nms: needs boxes (N, 4), scores (N,) and idxs (N,); got {b.shape}, "
            f"{s.shape} and {c.shape}"
        )
    kept = [
        np.flatnonzero(c == k)[_greedy_nms(b[c == k], s[c == k], iou_threshold)]
        for k in np.unique(c)
    ]
    keep = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    # The same order nms gives: score down, then index up.
    keep = keep[np.lexsort((keep, -s[keep]))]
    return _keep_out(keep.astype(np.int64), boxes)


__all__ = [
    "box_area",
    "box_convert",
    "box_iou",
    "paired_box_iou",
    "generalized_box_iou",
    "nms",
    "batched_nms",
]
