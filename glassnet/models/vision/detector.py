"""A small single-stage object detector in the manner of CenterNet ("Objects as Points", Zhou
et al., 2019): an object is the peak of a heat map at its centre, plus its width and height.

A small CNN turns a ``(N, 3, H, W)`` picture into features on a grid ``stride`` (4) times
coarser. Three heads read every grid cell:

* ``heatmap``: one channel per class, the logit of "an object of this class is centred here";
* ``size``: the box width and height, in grid cells;
* ``offset``: where in the cell the centre lies (0..1 in x and y), which the coarse grid loses.

Training targets put a small Gaussian bump on the heat map at each true centre (so a
near-miss is punished less than a far one) and the size/offset at the centre cell
(``make_targets``); the loss (``detection_loss``) is CenterNet's focal loss on the heat map plus
L1 on size and offset at the centres. Decoding (``decode``) keeps cells that are the maximum of
their 3x3 neighbourhood (a cheap non-maximum suppression on the grid), turns the best ``k`` into
boxes, and runs ``batched_nms`` on them to drop leftovers that overlap.

>>> import glassnet
>>> model = CenterNet(num_classes=3)
>>> out = model(glassnet.randn(2, 3, 64, 64))
>>> out["heatmap"].shape, out["size"].shape, out["offset"].shape
(glassnet.Size([2, 3, 16, 16]), glassnet.Size([2, 2, 16, 16]), glassnet.Size([2, 2, 16, 16]))
>>> detections = model.detect(glassnet.randn(1, 3, 64, 64))
>>> sorted(detections[0])
['boxes', 'labels', 'scores']
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.nn import functional as F
from glassnet.ops import boxes as box_ops
from glassnet.tensor import Tensor


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def head(channels: int, out_channels: int) -> nn.Sequential:
    """A 3x3 convolution to half the channels, ReLU, then a 1x1 convolution to the outputs."""
    return nn.Sequential(
        nn.Conv2d(channels, channels // 2, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels // 2, out_channels, 1),
    )


class CenterNet(nn.Module):
    """CenterNet-style detector: a stride-4 CNN backbone and heatmap/size/offset heads.

    ``forward`` returns the raw maps (a dict); ``detect`` returns boxes per image.

    >>> CenterNet(num_classes=2, width=8).stride
    4
    """

    stride = 4

    def __init__(self, num_classes: int = 3, in_channels: int = 3, width: int = 32):
        super().__init__()
        self.num_classes = num_classes
        self.backbone = nn.Sequential(
            # the first convolution already halves the picture: full resolution is costly and
            # the smallest shapes are still several cells of the stride-2 grid wide
            conv_bn_relu(in_channels, width // 2, stride=2),
            conv_bn_relu(width // 2, width),
            conv_bn_relu(width, width),
            conv_bn_relu(width, 2 * width, stride=2),
            conv_bn_relu(2 * width, 2 * width),
            conv_bn_relu(2 * width, 2 * width),
        )
        self.heatmap = head(2 * width, num_classes)
        self.size = head(2 * width, 2)
        self.offset = head(2 * width, 2)
        self.reset_parameters()

    def reset_parameters(self):
        # Start the heat map at probability 0.1 everywhere (CenterNet's choice): almost every
        # cell is background, and a start at 0.5 would make the first steps all about that.
        nn.init.constant_(self.heatmap[-1].bias, -math.log((1 - 0.1) / 0.1))

    def forward(self, x):
        if x.ndim != 4 or x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise ShapeError(
                f"CenterNet: expected (N, C, H, W) with H and W divisible by {self.stride}; got "
                f"{tuple(x.shape)}"
            )
        features = self.backbone(x)
        return {
            "heatmap": self.heatmap(features),
            "size": self.size(features),
            "offset": self.offset(features),
        }

    def detect(self, x, k: int = 20, score_threshold: float = 0.05, iou_threshold: float = 0.5):
        """Boxes for each picture of ``x`` (eval mode, no gradient): a list of dicts with
        ``boxes`` (K, 4) in input pixels, ``scores`` and ``labels``, NumPy arrays."""
        import glassnet

        was_training = self.training
        self.eval()
        with glassnet.no_grad():
            out = self(x)
        self.train(was_training)
        return decode(
            F.sigmoid(out["heatmap"]),
            out["size"],
            out["offset"],
            stride=self.stride,
            k=k,
            score_threshold=score_threshold,
            iou_threshold=iou_threshold,
        )

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, stride={self.stride}"


def _array(x) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def find_peaks(heat: np.ndarray) -> np.ndarray:
    """``heat`` (C, H, W) with every cell that is not the maximum of its 3x3 neighbourhood (in
    its own class) set to 0."""
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    h, w = heat.shape[1:]
    neighbours = np.stack(
        [padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0
    )
    return np.where(heat >= neighbours.max(0), heat, 0.0)


def decode(
    heatmap,
    size,
    offset,
    stride: int = 4,
    k: int = 20,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
) -> list[dict]:
    """Boxes from the maps: ``heatmap`` (N, C, H, W) probabilities, ``size`` and ``offset``
    (N, 2, H, W) as the model predicts them. For each picture: the peaks, the best ``k`` of
    them above ``score_threshold``, each turned into a box around
    ``(cell + offset) * stride`` of ``size * stride``, then ``batched_nms``.

    >>> heat = np.zeros((1, 1, 4, 4)); heat[0, 0, 1, 2] = 0.9
    >>> size = np.full((1, 2, 4, 4), 2.0); offset = np.full((1, 2, 4, 4), 0.5)
    >>> decode(heat, size, offset, stride=4)[0]["boxes"].tolist()
    [[6.0, 2.0, 14.0, 10.0]]
    """
    heat, size, offset = _array(heatmap), _array(size), _array(offset)
    results = []
    for n in range(heat.shape[0]):
        peaks = find_peaks(heat[n])
        flat = peaks.reshape(-1)
        order = np.argsort(-flat, kind="stable")[:k]
        order = order[flat[order] > score_threshold]
        labels, ys, xs = np.unravel_index(order, peaks.shape)
        cx = (xs + offset[n, 0, ys, xs]) * stride
        cy = (ys + offset[n, 1, ys, xs]) * stride
        w, h = size[n, 0, ys, xs] * stride, size[n, 1, ys, xs] * stride
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        scores = flat[order]
        keep = box_ops.batched_nms(boxes, scores, labels, iou_threshold)
        results.append(
            {
                "boxes": boxes[keep].astype(np.float32).reshape(-1, 4),
                "scores": scores[keep].astype(np.float32),
                "labels": labels[keep].astype(np.int64),
            }
        )
    return results


def make_targets(boxes, labels, num_classes: int, grid: tuple, stride: int = 4) -> dict:
    """Training targets for one batch: ``boxes``/``labels`` are lists (one (K, 4) / (K,) array
    per picture, input pixels). Returns NumPy maps: ``heatmap`` (N, C, H, W) with a Gaussian
    bump of peak 1 at each centre cell; ``size``, ``offset`` (N, 2, H, W) and ``mask``
    (N, 1, H, W), which marks the centre cells where size and offset are learned.

    >>> t = make_targets([np.array([[4.0, 4.0, 12.0, 8.0]])], [np.array([1])], 2, (4, 4))
    >>> float(t["heatmap"][0, 1, 1, 2]), t["size"][0, :, 1, 2].tolist()
    (1.0, [2.0, 1.0])
    >>> t["offset"][0, :, 1, 2].tolist(), int(t["mask"].sum())
    ([0.0, 0.5], 1)
    """
    h, w = grid
    n = len(boxes)
    heat = np.zeros((n, num_classes, h, w), dtype=np.float32)
    size = np.zeros((n, 2, h, w), dtype=np.float32)
    offset = np.zeros((n, 2, h, w), dtype=np.float32)
    mask = np.zeros((n, 1, h, w), dtype=np.float32)
    ys, xs = np.mgrid[0:h, 0:w]
    for i in range(n):
        for (x1, y1, x2, y2), c in zip(np.asarray(boxes[i]).reshape(-1, 4), labels[i]):
            cx, cy = (x1 + x2) / 2 / stride, (y1 + y2) / 2 / stride
            bw, bh = (x2 - x1) / stride, (y2 - y1) / stride
            px, py = min(int(cx), w - 1), min(int(cy), h - 1)
            # A bump about a sixth of the box wide: cells well inside the box but off centre
            # are only mildly wrong.
            sigma = max(0.5, min(bw, bh) / 6)
            bump = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma**2))
            heat[i, c] = np.maximum(heat[i, c], bump)
            size[i, :, py, px] = bw, bh
            offset[i, :, py, px] = cx - px, cy - py
            mask[i, 0, py, px] = 1.0
    return {"heatmap": heat, "size": size, "offset": offset, "mask": mask}


def focal_loss(logits, target, alpha: float = 2.0, beta: float = 4.0):
    """CenterNet's penalty-reduced focal loss, summed over cells and divided by the number of
    objects (cells where ``target == 1``). Near a centre (target close to 1) a background
    cell's penalty shrinks by ``(1 - target) ** beta``."""
    p = F.sigmoid(logits)
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)
    positive = (target == 1.0).float()
    pos_loss = -(((1 - p) ** alpha) * log_p * positive)
    neg_loss = -(((1 - target) ** beta) * (p**alpha) * log_not_p * (1 - positive))
    n_objects = max(float(positive.sum().item()), 1.0)
    return (pos_loss.sum() + neg_loss.sum()) / n_objects


def detection_loss(out: dict, targets: dict, size_weight: float = 0.1) -> tuple:
    """``(total, parts)``: the focal heat-map loss, plus L1 of size (times ``size_weight``, as in
    CenterNet) and of offset at the centre cells. ``targets`` holds Tensors or arrays from
    ``make_targets``."""
    import glassnet

    t = {k: v if isinstance(v, Tensor) else glassnet.tensor(v) for k, v in targets.items()}
    n_objects = max(float(t["mask"].sum().item()), 1.0)
    heat = focal_loss(out["heatmap"], t["heatmap"])
    size = ((out["size"] - t["size"]).abs() * t["mask"]).sum() / n_objects
    offset = ((out["offset"] - t["offset"]).abs() * t["mask"]).sum() / n_objects
    total = heat + size_weight * size + offset
    return total, {"heatmap": heat.item(), "size": size.item(), "offset": offset.item()}
