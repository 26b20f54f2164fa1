"""The ``shapes-unet`` program recipe: a small U-Net learns to label every pixel of generated
pictures of shapes (background, square, circle, triangle), scored on a separate generated test
set with mean IoU and Dice.

``glassnet train shapes-unet`` runs it; ``run(run_dir, epochs=1, n_train=64)`` is a quick try.
The run folder gets ``report.md``, ``samples.png`` (inputs, true masks, predicted masks),
``curves.png`` and ``model.safetensors``.
"""

from __future__ import annotations

import os
import time
from functools import partial

import numpy as np

from glassnet.datasets.shapes import SHAPES, shapes_masks

CLASS_NAMES = ("background",) + SHAPES
DEFAULTS = dict(epochs=12, n_train=1024, n_test=256, batch_size=32, lr=3e-3, size=32)


def _predict(model, images, batch_size=64):
    import glassnet

    model.eval()
    out = []
    with glassnet.no_grad():
        for i in range(0, len(images), batch_size):
            out.append(model(glassnet.tensor(images[i : i + batch_size])).numpy().argmax(1))
    return np.concatenate(out)


def evaluate(model, images, masks) -> dict:
    """Mean IoU, Dice (both the mean over the four classes) and per-class IoU on ``images``."""
    from glassnet.train import metrics

    pred = _predict(model, images)
    n = len(CLASS_NAMES)
    out = {
        "mean_iou": metrics.mean_iou(pred, masks, num_classes=n),
        "dice": metrics.dice(pred, masks, num_classes=n),
        "pixel_accuracy": float((pred == masks).mean()),
    }
    per_class = metrics.mean_iou(pred, masks, num_classes=n, per_class=True)
    out.update({f"iou_{name}": float(v) for name, v in zip(CLASS_NAMES, per_class)})
    return out


def draw_samples(images, masks, preds, path, count=6) -> None:
    """Rows: the input pictures, their true masks, the model's masks; written to ``path``."""
    from glassnet._optional import require

    require("matplotlib", "viz")
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    colours = ListedColormap(["#202020", "#e15759", "#4e79a7", "#f1ce63"])
    count = min(count, len(images))
    fig = Figure(figsize=(1.6 * count, 5.2))
    axes = fig.subplots(3, count, squeeze=False)
    for j in range(count):
        axes[0, j].imshow(np.clip(images[j].transpose(1, 2, 0), 0, 1))
        axes[1, j].imshow(masks[j], cmap=colours, vmin=0, vmax=3, interpolation="nearest")
        axes[2, j].imshow(preds[j], cmap=colours, vmin=0, vmax=3, interpolation="nearest")
    for i, title in enumerate(("input", "true mask", "predicted")):
        axes[i, 0].set_ylabel(title)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("red square, blue circle, yellow triangle")
    fig.savefig(path, dpi=80, bbox_inches="tight")


def _report(metrics, settings, history, wall, pictures) -> str:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in metrics.items())
    lines = [
        "# shapes-unet: segmentation of generated shapes with a small U-Net",
        "",
        f"Data: {settings['n_train']} generated {settings['size']}x{settings['size']} pictures per "
        "epoch (fresh ones each epoch), 1 to 3 squares, circles and triangles of random colours "
        f"on a noisy background; test: {settings['n_test']} pictures from another seed.",
        f"Model: UNet(depth=2, base_channels=16), Adam lr {settings['lr']}, batch "
        f"{settings['batch_size']}, {settings['epochs']} epochs, {wall:.0f} s.",
        "",
        "## Test metrics (mean over the 4 classes, background included)",
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
    """Train the U-Net into ``run_dir`` and return its test metrics. ``options`` override
    ``DEFAULTS`` (``n_train``, ``n_test``, ``batch_size``, ``lr``, ``size``)."""
    import glassnet
    import glassnet.nn.functional as F
    from glassnet.models.vision.shapes_training import (
        save_run,
        settings_from,
        train_on_fresh_data,
    )
    from glassnet.models.vision.unet import UNet

    settings = settings_from("shapes-unet", DEFAULTS, epochs, options)
    glassnet.manual_seed(seed)
    model = UNet(in_channels=3, num_classes=len(CLASS_NAMES), base_channels=16, depth=2)
    size, started = settings["size"], time.time()
    test_x, test_y = shapes_masks(settings["n_test"], size=size, seed=seed + 10_000)
    history = train_on_fresh_data(
        model,
        settings,
        seed,
        epoch_data=lambda epoch: shapes_masks(
            settings["n_train"], size=size, seed=seed * 1000 + epoch
        ),
        batch_loss=lambda idx, x, y: F.cross_entropy(
            model(glassnet.tensor(x[idx])), glassnet.tensor(y[idx])
        ),
        validate=lambda: evaluate(model, test_x[:64], test_y[:64])["mean_iou"],
        val_key="val_mean_iou",
        val_label="mean IoU (64 test pictures)",
        progress=progress,
    )
    metrics = evaluate(model, test_x, test_y)

    def draw(folder):
        preds = _predict(model, test_x[:8])
        draw_samples(test_x, test_y, preds, os.path.join(folder, "samples.png"))
        return ["samples.png"]

    save_run(
        run_dir, model, history, started, draw=draw, report=partial(_report, metrics, settings)
    )
    return metrics
