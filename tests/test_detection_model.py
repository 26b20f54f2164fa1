"""The CenterNet-style detector (glassnet.models.vision.detector): decoding hand-built maps,
targets that decode back to their boxes, the focal loss against the same formula in PyTorch,
overfitting one batch, and the shapes-detector recipe."""

import json
import os

import numpy as np
import pytest
import torch

import glassnet
from glassnet.datasets import shapes_boxes
from glassnet.models.vision.detector import (
    CenterNet,
    decode,
    detection_loss,
    focal_loss,
    make_targets,
)
from glassnet.train import metrics


def test_decode_hand_built_maps():
    heat = np.zeros((1, 2, 8, 8))
    size = np.zeros((1, 2, 8, 8))
    offset = np.zeros((1, 2, 8, 8))

    def put(c, y, x, score, w, h, ox, oy):
        heat[0, c, y, x] = score
        size[0, :, y, x] = w, h
        offset[0, :, y, x] = ox, oy

    put(0, 2, 3, 0.9, 2.0, 1.0, 0.5, 0.25)  # centre (3.5, 2.25) cells -> (14, 9) px, 8 x 4 px
    put(0, 2, 4, 0.6, 2.0, 1.0, 0.0, 0.0)  # next to a higher cell: not a peak, dropped
    put(1, 2, 4, 0.7, 1.0, 1.0, 0.0, 0.0)  # same cell, other class: its own peak, kept
    put(1, 6, 6, 0.04, 1.0, 1.0, 0.0, 0.0)  # below the score threshold 0.05
    put(0, 6, 0, 0.8, 4.0, 4.0, 0.0, 0.0)  # a big box centred at (0, 24) px ...
    put(0, 6, 2, 0.5, 4.0, 4.0, 0.0, 0.0)  # ... and one 8 px right: IoU 8/24 = 1/3
    put(0, 4, 0, 0.3, 4.0, 4.0, 0.0, 0.0)  # 8 px up of the big one: IoU 1/3 too, NMS at 0.3
    (out,) = decode(heat, size, offset, stride=4, score_threshold=0.05, iou_threshold=0.3)
    want_boxes = [
        [10.0, 7.0, 18.0, 11.0],  # 0.9, class 0
        [-8.0, 16.0, 8.0, 32.0],  # 0.8, class 0
        [14.0, 6.0, 18.0, 10.0],  # 0.7, class 1
    ]
    np.testing.assert_allclose(out["boxes"], want_boxes)
    np.testing.assert_allclose(out["scores"], [0.9, 0.8, 0.7], rtol=1e-7)  # float32 scores
    assert out["labels"].tolist() == [0, 0, 1]
    # With a looser NMS the two boxes overlapping the big one at IoU 1/3 stay.
    (loose,) = decode(heat, size, offset, stride=4, iou_threshold=0.5)
    np.testing.assert_allclose(loose["scores"], [0.9, 0.8, 0.7, 0.5, 0.3], rtol=1e-7)
    # k caps the number of peaks looked at.
    assert len(decode(heat, size, offset, k=2)[0]["boxes"]) == 2


def test_targets_decode_back_to_their_boxes():
    images, boxes, labels = shapes_boxes(16, size=64, seed=2)
    t = make_targets(boxes, labels, num_classes=3, grid=(16, 16), stride=4)
    assert t["mask"].sum() == sum(len(b) for b in boxes)
    decoded = decode(t["heatmap"], t["size"], t["offset"], stride=4, score_threshold=0.99)
    for got, b, la in zip(decoded, boxes, labels):
        order = np.lexsort((got["boxes"][:, 1], got["boxes"][:, 0]))
        want = np.lexsort((b[:, 1], b[:, 0]))
        # float32 maps: a centre of ~60 px is exact to ~1e-5 px
        np.testing.assert_allclose(got["boxes"][order], b[want], atol=1e-4)
        assert got["labels"][order].tolist() == la[want].tolist()
    targets = [{"boxes": b, "labels": la} for b, la in zip(boxes, labels)]
    assert metrics.mean_average_precision(decoded, targets) == 1.0


def torch_focal(logits, target, alpha=2.0, beta=4.0):
    """CenterNet's focal loss written directly from the paper's formula (the oracle)."""
    p = torch.sigmoid(logits)
    pos = target == 1
    pos_loss = -((1 - p[pos]) ** alpha * torch.log(p[pos])).sum()
    neg = ~pos
    neg_loss = -((1 - target[neg]) ** beta * p[neg] ** alpha * torch.log(1 - p[neg])).sum()
    return (pos_loss + neg_loss) / max(int(pos.sum()), 1)


def test_focal_loss_matches_the_formula_in_torch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 6, 6))
    target = make_targets(
        [np.array([[2.0, 2.0, 10.0, 10.0], [12.0, 4.0, 20.0, 20.0]]), np.array([[0, 0, 8, 8.0]])],
        [np.array([0, 2]), np.array([1])],
        3,
        (6, 6),
    )["heatmap"].astype(np.float64)
    g = glassnet.tensor(logits, requires_grad=True)
    t = torch.tensor(logits, requires_grad=True)
    got, want = focal_loss(g, glassnet.tensor(target)), torch_focal(t, torch.tensor(target))
    got.backward()
    want.backward()
    # float64; glassnet takes logs through logsigmoid, torch through log(sigmoid): both
    # accurate to ~1e-15 relative at these moderate logits.
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-10)
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def torch_conv_bn_relu(cin, cout, stride=1):
    return torch.nn.Sequential(
        torch.nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        torch.nn.BatchNorm2d(cout),
        torch.nn.ReLU(),
    )


def torch_head(c, out):
    return torch.nn.Sequential(
        torch.nn.Conv2d(c, c // 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(c // 2, out, 1)
    )


class TorchCenterNet(torch.nn.Module):
    """The same network written directly in PyTorch (the oracle)."""

    def __init__(self, classes, width):
        super().__init__()
        w = width
        self.backbone = torch.nn.Sequential(
            torch_conv_bn_relu(3, w // 2, 2),
            torch_conv_bn_relu(w // 2, w),
            torch_conv_bn_relu(w, w),
            torch_conv_bn_relu(w, 2 * w, 2),
            torch_conv_bn_relu(2 * w, 2 * w),
            torch_conv_bn_relu(2 * w, 2 * w),
        )
        self.heatmap, self.size, self.offset = (
            torch_head(2 * w, classes),
            torch_head(2 * w, 2),
            torch_head(2 * w, 2),
        )

    def forward(self, x):
        f = self.backbone(x)
        return self.heatmap(f), self.size(f), self.offset(f)


@pytest.mark.parametrize("train", [True, False])
def test_detector_matches_torch_twin_float64(train):
    from helpers import check_layer

    torch.manual_seed(0)
    twin = TorchCenterNet(3, 8)

    def forward(layer, x):
        out = layer(x)
        return (
            tuple(out[k] for k in ("heatmap", "size", "offset")) if isinstance(out, dict) else out
        )

    # float64: the layer checker's default tolerances (~1e-10 relative).
    check_layer(CenterNet(3, width=8), twin, [(2, 3, 16, 16)], train=train, forward=forward)


def test_detector_overfits_one_batch():
    glassnet.manual_seed(0)
    images, boxes, labels = shapes_boxes(4, size=32, seed=1)
    model = CenterNet(num_classes=3, width=16)
    opt = glassnet.optim.Adam(model.parameters(), lr=5e-3)
    targets = make_targets(boxes, labels, 3, (8, 8))
    x = glassnet.tensor(images)
    losses = []
    for _ in range(150):
        loss, _ = detection_loss(model(x), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    model.train()  # the batch's own BatchNorm statistics: what it memorised
    with glassnet.no_grad():
        out = model(x)
    preds = decode(glassnet.nn.functional.sigmoid(out["heatmap"]), out["size"], out["offset"])
    gt = [{"boxes": b, "labels": la} for b, la in zip(boxes, labels)]
    assert metrics.mean_average_precision(preds, gt) == 1.0
    assert metrics.mean_box_iou(preds, gt) > 0.8


def test_detector_rejects_sizes_off_its_grid():
    with pytest.raises(glassnet.errors.ShapeError, match="divisible by 4"):
        CenterNet()(glassnet.zeros(1, 3, 30, 32))
    # the heat map starts at probability 0.1 everywhere (CenterNet's prior)
    bias = CenterNet(num_classes=2).heatmap[-1].bias.detach().numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-bias)), 0.1, rtol=1e-6)


def test_shapes_detector_recipe_runs_and_reports(tmp_path, monkeypatch):
    from glassnet import report
    from glassnet.models.vision import detection_recipe
    from glassnet.recipes import programs

    # Through the program runner, as `glassnet train shapes-detector` runs it, on little data.
    monkeypatch.setitem(detection_recipe.DEFAULTS, "n_train", 32)
    monkeypatch.setitem(detection_recipe.DEFAULTS, "n_test", 8)
    metrics_ = programs.run_program("shapes-detector", tmp_path / "run", epochs=1, progress=False)
    assert report.read_status(tmp_path / "run")["state"] == "finished"
    for key in ("map50", "map75", "mean_iou"):
        assert 0.0 <= metrics_[key] <= 1.0
    files = set(os.listdir(tmp_path / "run"))
    assert {"report.md", "detections.png", "curves.png", "model.safetensors"} <= files
    text = (tmp_path / "run" / "report.md").read_text()
    assert f"{metrics_['map50']:.4f}" in text and "detections.png" in text
    json.dumps(metrics_)


@pytest.mark.slow
def test_shapes_detector_reaches_the_documented_map(tmp_path):
    from glassnet.models.vision import detection_recipe

    metrics_ = detection_recipe.run(tmp_path / "run", progress=False)
    # docs/detection-segmentation.md states mAP@0.5 >= 0.95 and a matched-box IoU >= 0.85 for
    # the default recipe.
    assert metrics_["map50"] >= 0.95 and metrics_["mean_iou"] >= 0.85
