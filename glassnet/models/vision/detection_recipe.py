"""The ``shapes-detector`` program recipe: a small CenterNet-style detector finds the squares,
circles and triangles in generated 64x64 pictures, scored on a separate generated test set with
mAP@0.5 (VOC-style) and the mean IoU of the matched boxes.

``glassnet train shapes-detector`` runs it; ``run(run_dir, epochs=1, n_train=64)`` is a quick
try. The run folder gets ``report.md``, ``detections.png`` (predicted boxes drawn on test
pictures), ``curves.png`` and ``model.safetensors``.
"""

from __future__ import annotations

import os
import time
from functools import partial

import numpy as np

from glassnet.datasets.shapes import SHAPES, shapes_boxes

DEFAULTS = dict(epochs=10, n_train=1024, n_test=256, batch_size=32, lr=2e-3, size=64)
# Detections drawn in the picture (mAP uses every detection, whatever its score).
DRAW_SCORE = 0.2


def evaluate(model, images, boxes, labels, batch_size=64) -> tuple:
    """``(scores, detections)``: mAP@0.5, mAP@0.75 (stricter: the box must fit tightly), mean
    IoU of the matched boxes and AP@0.5 per class on ``images``; and the detections."""
    import glassnet
    from glassnet.train import metrics

    preds = []
    for i in range(0, len(images), batch_size):
        preds += model.detect(glassnet.tensor(images[i : i + batch_size]))
    targets = [{"boxes": b, "labels": la} for b, la in zip(boxes, labels)]
    out = {
        "map50": metrics.mean_average_precision(preds, targets, num_classes=len(SHAPES)),
        "map75": metrics.mean_average_precision(
            preds, targets, iou_threshold=0.75, num_classes=len(SHAPES)
        ),
        "mean_iou": metrics.mean_box_iou(preds, targets),
    }
    if np.isnan(out["mean_iou"]):  # no detection matched a true box (an untrained model)
        out["mean_iou"] = 0.0
    per_class = metrics.average_precision_per_class(preds, targets, num_classes=len(SHAPES))
    out.update({f"ap50_{SHAPES[c]}": float(v) for c, v in per_class.items()})
    return out, preds


def draw_detections(images, preds, boxes, labels, path, count=8) -> None:
    """Test pictures with the true boxes (dashed white) and the predicted ones with a score of
    at least ``DRAW_SCORE`` (coloured by class, with the score), written to ``path``."""
    from glassnet._optional import require

    require("matplotlib", "viz")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    colours = ("#e15759", "#4e79a7", "#f1ce63")
    count = min(count, len(images))
    fig = Figure(figsize=(2.2 * count / 2, 4.8))
    axes = fig.subplots(2, count // 2 + count % 2, squeeze=False).ravel()
    for j, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if j >= count:
            continue
        ax.imshow(np.clip(images[j].transpose(1, 2, 0), 0, 1))
        for x1, y1, x2, y2 in boxes[j]:
            ax.add_patch(
                Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec="white", ls="--")
            )
        p = preds[j]
        for (x1, y1, x2, y2), s, c in zip(p["boxes"], p["scores"], p["labels"]):
            if s < DRAW_SCORE:
                continue
            ax.add_patch(
                Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec=colours[c], lw=2)
            )
            ax.text(
                x1,
                y1 - 1.5,
                f"{SHAPES[c]} {s:.2f}",
                color=colours[c],
                fontsize=6,
                bbox=dict(facecolor="black", alpha=0.6, pad=0.5, lw=0),
            )
    fig.suptitle("predicted boxes (red square, blue circle, yellow triangle); true boxes dashed")
    fig.savefig(path, dpi=90, bbox_inches="tight")


def _report(metrics, settings, history, wall, pictures) -> str:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in metrics.items())
    lines = [
        "# shapes-detector: a CenterNet-style detector on generated shapes",
        "",
        f"Data: {settings['n_train']} generated {settings['size']}x{settings['size']} pictures per "
        "epoch (fresh ones each epoch), 1 to 3 squares, circles and triangles of random colours "
        f"on a noisy background, one box each; test: {settings['n_test']} pictures from another "
        "seed.",
        f"Model: CenterNet(width=32), stride 4; Adam lr {settings['lr']}, batch "
        f"{settings['batch_size']}, {settings['epochs']} epochs, {wall:.0f} s.",
        "",
        "## Test metrics",
        "",
        "map50: VOC-style mAP at IoU 0.5 over the three classes (every detection of the top 20 "
        "per picture with score > 0.05); map75: the same at IoU 0.75; mean_iou: mean IoU of the "
        f"detections matched to a true box (at IoU 0.5). The picture shows detections with "
        f"score >= {DRAW_SCORE}.",
        "",
        "| metric | value |",
        "|---|---|",
        rows,
        "",
        "## Training loss per epoch",
        "",
        ", ".join(f"{v:.4f}" for v in history["loss"]),
        "",
    ]
    lines += [f"![{p}]({p})" for p in pictures]
    return "\n".join(lines) + "\n"


def run(run_dir, *, epochs=None, seed=0, progress=True, **options) -> dict:
    """Train the detector into ``run_dir`` and return its test metrics. ``options`` override
    ``DEFAULTS`` (``n_train``, ``n_test``, ``batch_size``, ``lr``, ``size``)."""
    import glassnet
    from glassnet.models.vision.detector import CenterNet, detection_loss, make_targets
    from glassnet.models.vision.shapes_training import (
        save_run,
        settings_from,
        train_on_fresh_data,
    )

    settings = settings_from("shapes-detector", DEFAULTS, epochs, options)
    glassnet.manual_seed(seed)
    model = CenterNet(num_classes=len(SHAPES), width=32)
    size, started = settings["size"], time.time()
    grid = (size // model.stride, size // model.stride)
    test_x, test_b, test_l = shapes_boxes(settings["n_test"], size=size, seed=seed + 10_000)

    def batch_loss(idx, x, b, la):
        targets = make_targets([b[j] for j in idx], [la[j] for j in idx], len(SHAPES), grid)
        return detection_loss(model(glassnet.tensor(x[idx])), targets)[0]

    history = train_on_fresh_data(
        model,
        settings,
        seed,
        epoch_data=lambda epoch: shapes_boxes(
            settings["n_train"], size=size, seed=seed * 1000 + epoch
        ),
        batch_loss=batch_loss,
        validate=lambda: evaluate(model, test_x[:64], test_b[:64], test_l[:64])[0]["map50"],
        val_key="val_map50",
        val_label="mAP@0.5 (64 test pictures)",
        progress=progress,
    )
    metrics, preds = evaluate(model, test_x, test_b, test_l)

    def draw(folder):
        draw_detections(test_x, preds, test_b, test_l, os.path.join(folder, "detections.png"))
        return ["detections.png"]

    save_run(
        run_dir, model, history, started, draw=draw, report=partial(_report, metrics, settings)
    )
    return metrics
