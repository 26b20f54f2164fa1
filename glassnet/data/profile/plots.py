"""The data report's pictures: a histogram per numeric feature, the class bar chart, the
correlation heat map of the numeric columns, sample images per class. matplotlib (the [viz]
extra) is imported only when a picture is drawn, without pyplot.

>>> import os, tempfile
>>> import numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "classes.png")
>>> plot_class_balance({"cat": 3, "dog": 5}, path)
>>> open(path, "rb").read(4) == b"\\x89PNG"
True
"""

from __future__ import annotations

import math

import numpy as np

from glassnet._optional import require


def _figure(**kw):
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    return Figure(**kw)


def _save(fig, path):
    import io

    from glassnet.serialization import atomic_write

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    atomic_write(path, [buffer.getvalue()])


def plot_histograms(columns: dict, path, bins=20) -> None:
    """One histogram per numeric column (``name -> values``; NaNs left out)."""
    names = list(columns)
    k = max(1, len(names))
    ncols = min(4, k)
    nrows = math.ceil(k / ncols)
    fig = _figure(figsize=(3.2 * ncols, 2.4 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, name in zip(axes, names):
        values = np.asarray(columns[name], dtype=np.float64)
        ax.hist(values[np.isfinite(values)], bins=bins, color="#4c72b0")
        ax.set_title(name, fontsize=9)
    for ax in axes[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    _save(fig, path)


def plot_class_balance(counts: dict, path, title="Samples per class") -> None:
    """A bar per class with its count."""
    names = [str(k) for k in counts]
    fig = _figure(figsize=(max(3.5, 0.5 * len(names) + 2), 3))
    ax = fig.subplots()
    ax.bar(range(len(names)), list(counts.values()), color="#55a868")
    ax.set_xticks(range(len(names)), labels=names, rotation=45 if len(names) > 6 else 0)
    ax.set_ylabel("samples")
    ax.set_title(title)
    fig.tight_layout()
    _save(fig, path)


def plot_correlation(names, matrix, path) -> None:
    """The heat map of Pearson correlations between the numeric columns."""
    matrix = np.asarray(matrix, dtype=np.float64)
    k = len(names)
    side = max(3.5, 0.45 * k + 2)
    fig = _figure(figsize=(side + 1, side))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="coolwarm", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), labels=names, rotation=90)
    ax.set_yticks(range(k), labels=names)
    ax.set_title("Correlation (Pearson)")
    if k <= 12:
        for i in range(k):
            for j in range(k):
                if np.isfinite(matrix[i, j]):
                    ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def plot_samples(images_by_class: dict, path, per_class=6) -> None:
    """A grid: one row per class, up to ``per_class`` images (H, W) or (H, W, C) in [0, 1]."""
    classes = list(images_by_class)
    fig = _figure(figsize=(1.3 * per_class + 1, 1.3 * max(1, len(classes))))
    axes = np.atleast_2d(fig.subplots(max(1, len(classes)), per_class, squeeze=False))
    for r, c in enumerate(classes):
        images = images_by_class[c][:per_class]
        for j in range(per_class):
            ax = axes[r, j]
            ax.axis("off")
            if j < len(images):
                img = np.asarray(images[j])
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
        axes[r, 0].set_title(str(c), fontsize=8, loc="left")
    fig.tight_layout()
    _save(fig, path)
