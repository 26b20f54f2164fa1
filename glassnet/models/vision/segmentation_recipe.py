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
    from glassnet import optim
    from glassnet.models.vision.unet import UNet
    from glassnet.report.files import write_text
    from glassnet.train import History

    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"shapes-unet: unknown options {sorted(unknown)}; known: {list(DEFAULTS)}")
    settings = {**DEFAULTS, **options, "epochs": epochs or DEFAULTS["epochs"]}
    glassnet.manual_seed(seed)
    model = UNet(in_channels=3, num_classes=len(CLASS_NAMES), base_channels=16, depth=2)
    opt = optim.Adam(model.parameters(), lr=settings["lr"])
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=settings["epochs"])
    test_x, test_y = shapes_masks(settings["n_test"], size=settings["size"], seed=seed + 10_000)
    history, start, bs = History(), time.time(), settings["batch_size"]
    for epoch in range(settings["epochs"]):
        x, y = shapes_masks(settings["n_train"], size=settings["size"], seed=seed * 1000 + epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        model.train()
        losses = []
        for i in range(0, len(x), bs):
            idx = order[i : i + bs]
            loss = F.cross_entropy(model(glassnet.tensor(x[idx])), glassnet.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
        scores = evaluate(model, test_x[:64], test_y[:64])
        history.append(epoch, {"loss": float(np.mean(losses)), "val_mean_iou": scores["mean_iou"]})
        if progress:
            print(
                f"epoch {epoch + 1}/{settings['epochs']}: loss {np.mean(losses):.4f}, "
                f"mean IoU (64 test pictures) {scores['mean_iou']:.3f}",
                flush=True,
            )
    metrics = evaluate(model, test_x, test_y)
    os.makedirs(run_dir, exist_ok=True)
    pictures = []
    try:
        draw_samples(
            test_x, test_y, _predict(model, test_x[:8]), os.path.join(run_dir, "samples.png")
        )
        history.plot(os.path.join(run_dir, "curves.png"))
        pictures = ["samples.png", "curves.png"]
    except ImportError as exc:  # matplotlib missing: the numbers still count
        print(f"pictures not drawn: {exc}")
    glassnet.save(model.state_dict(), os.path.join(run_dir, "model.safetensors"))
    text = _report(metrics, settings, history.history, time.time() - start, pictures)
    write_text(os.path.join(run_dir, "report.md"), text)
    return metrics
