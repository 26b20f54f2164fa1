"""Pictures of generative models: sample grids, reconstructions, interpolations, 2-D point
clouds and the loss curves of several players.

Each helper takes NumPy arrays (or tensors), draws with matplotlib without pyplot
(``pip install 'glassnet[viz]'``) and saves a PNG at ``path``.

>>> import os, tempfile
>>> import numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
>>> save_image_grid(np.random.default_rng(0).uniform(size=(12, 1, 8, 8)), path, nrow=6)
>>> open(path, "rb").read(4) == b"\\x89PNG"
True
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require


def _array(x):
    return x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else np.asarray(x)


def _figure(width, height):
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def image_grid(images, nrow=10, pad=1, value_range=(0.0, 1.0), fill=0.3) -> np.ndarray:
    """``(N, 1, H, W)`` or ``(N, H*W)`` square images -> one ``(rows*(H+pad), nrow*(W+pad))``
    grey array in [0, 1], ``nrow`` images per row, filled row by row; the padding and empty
    slots have the value ``fill`` (a light grey: the digits' background is 0)."""
    x = _array(images).astype(np.float64)
    if x.ndim == 2:
        side = int(round(x.shape[1] ** 0.5))
        x = x.reshape(-1, 1, side, side)
    lo, hi = value_range
    x = np.clip((x[:, 0] - lo) / (hi - lo), 0, 1)
    n, h, w = x.shape
    rows = -(-n // nrow)
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), float(fill))
    for i in range(n):
        r, c = divmod(i, nrow)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) :][:, :w] = x[i]
    return grid


def save_image_grid(images, path, nrow=10, title=None, value_range=(0.0, 1.0), scale=0.6):
    """Save ``images`` as a grid (dark strokes on white, as the digits are drawn)."""
    grid = image_grid(images, nrow, value_range=value_range)
    rows = grid.shape[0] / max(grid.shape[1], 1) * nrow
    fig = _figure(scale * nrow, scale * rows + (0.4 if title else 0))
    ax = fig.add_axes([0, 0, 1, 0.92 if title else 1])
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=80)


def save_points(real, generated, path, title="real (grey) and generated (blue) points"):
    """A scatter of 2-D ``real`` and ``generated`` points, same axes."""
    real, generated = _array(real), _array(generated)
    fig = _figure(4.5, 4.0)
    ax = fig.subplots()
    ax.scatter(real[:, 0], real[:, 1], s=4, c="0.6", label="real")
    ax.scatter(generated[:, 0], generated[:, 1], s=4, c="tab:blue", label="generated")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def save_loss_curves(curves: dict, path, xlabel="step", title="training losses"):
    """One line per entry of ``curves`` (name -> list of values), e.g. both GAN players."""
    fig = _figure(5.5, 3.5)
    ax = fig.subplots()
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def save_point_panels(panels, path, title=None):
    """A row of 2-D scatter plots, one per ``(title, points)`` in ``panels`` (the diffusion
    chain from noise to data, say), sharing the axes."""
    fig = _figure(2.4 * len(panels), 2.6)
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    for ax, (name, pts) in zip(axes, panels):
        pts = _array(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=2, c="tab:blue")
        ax.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
