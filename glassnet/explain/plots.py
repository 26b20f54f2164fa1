"""PNG pictures of explanations: an attribution heat map over an image, a Grad-CAM overlay, a
grid of feature maps or filters, an attention matrix, a bar chart of feature importances.
Each returns the matplotlib Figure and writes a PNG to ``path`` when given.

>>> import numpy as np
>>> fig = plot_importances({"importances_mean": np.array([0.3, 0.1]),
...                         "importances_std": np.zeros(2)}, ["a", "b"])
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require


def _figure(w=5, h=4):
    return require("matplotlib.figure", "viz").Figure(figsize=(w, h))


def _done(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_attribution(attr, image=None, path=None, title="attribution"):
    """One sample's attribution (C, H, W) or (H, W) as a heat map (beside the image)."""
    a = np.asarray(attr)
    a = np.abs(a).sum(0) if a.ndim == 3 else a
    fig = _figure(8 if image is not None else 4, 4)
    k = 2 if image is not None else 1
    if image is not None:
        ax = fig.add_subplot(1, k, 1)
        img = np.asarray(image)
        ax.imshow(
            img[0]
            if img.ndim == 3 and img.shape[0] == 1
            else (img.transpose(1, 2, 0) if img.ndim == 3 else img),
            cmap="gray",
        )
        ax.set_axis_off()
    ax = fig.add_subplot(1, k, k)
    ax.imshow(a, cmap="hot")
    ax.set_title(title)
    ax.set_axis_off()
    return _done(fig, path)


def plot_grad_cam(cam, image, path=None):
    """A Grad-CAM map (H, W) over its image."""
    img = np.asarray(image)
    img = img[0] if img.ndim == 3 and img.shape[0] == 1 else img
    fig = _figure(4, 4)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(img if img.ndim == 2 else img.transpose(1, 2, 0), cmap="gray")
    ax.imshow(np.asarray(cam), cmap="jet", alpha=0.5)
    ax.set_axis_off()
    return _done(fig, path)


def plot_grid(maps, path=None, title=None, limit=64):
    """Feature maps (C, H, W) of one sample, or filters (K, C, h, w), as a grid."""
    m = np.asarray(maps)
    if m.ndim == 4:
        m = m.mean(1)
    m = m[:limit]
    n = len(m)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig = _figure(cols * 1.2, rows * 1.2)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(m[i], cmap="viridis")
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def plot_attention(weights, path=None, labels=None):
    """One attention matrix (L, S)."""
    fig = _figure(5, 5)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(np.asarray(weights), cmap="Blues")
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels, rotation=90)
        ax.set_yticks(range(len(labels)), labels)
    return _done(fig, path)


def plot_importances(result, names=None, path=None):
    """Permutation importances as horizontal bars with their spread."""
    mean = np.asarray(result["importances_mean"])
    std = np.asarray(result["importances_std"])
    names = names or [f"feature {i}" for i in range(len(mean))]
    order = np.argsort(mean)
    fig = _figure(6, max(2, 0.35 * len(mean) + 1))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh([names[i] for i in order], mean[order], xerr=std[order])
    ax.set_xlabel("score drop when shuffled")
    return _done(fig, path)
