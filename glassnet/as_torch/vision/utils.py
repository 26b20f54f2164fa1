"""``torchvision.utils`` under as-torch: ``make_grid`` and ``save_image`` for sample pictures.

>>> import glassnet
>>> make_grid(glassnet.ones(5, 1, 4, 4), nrow=4, padding=1).shape
glassnet.Size([3, 11, 21])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.tensor import Tensor


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):  # fmt: skip
    """Tile a batch ``(B, C, H, W)`` into one ``(3, H', W')`` image, ``nrow`` images a row
    (one-channel images are repeated into three, as torchvision does)."""
    batch = tensor.detach().cpu().numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
    batch = batch.astype(np.float32)
    if batch.ndim == 2:
        batch = batch[None, None]
    elif batch.ndim == 3:
        batch = batch[None] if batch.shape[0] in (1, 3) else batch[:, None]
    if batch.ndim != 4:
        raise ValueError(f"make_grid: expected (B, C, H, W) images, got shape {batch.shape}")
    if batch.shape[1] == 1:
        batch = np.repeat(batch, 3, axis=1)
    if normalize:
        parts = batch if scale_each else batch[None]
        for part in parts:
            low, high = value_range if value_range is not None else (part.min(), part.max())
            part -= low
            part /= max(float(high - low), 1e-5)
            np.clip(part, 0, 1, out=part)
    count, channels, height, width = batch.shape
    cols = min(nrow, count)
    rows = math.ceil(count / cols)
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, rows * cell_h + padding, cols * cell_w + padding), pad_value,
                   dtype=np.float32)  # fmt: skip
    for i in range(count):
        r, c = divmod(i, cols)
        top, left = r * cell_h + padding, c * cell_w + padding
        grid[:, top : top + height, left : left + width] = batch[i]
    return Tensor._make(grid)


def save_image(tensor, fp, **grid_kwargs):
    """Write a batch (or one image) as a PNG grid; values in [0, 1]. Needs Pillow
    (``pip install 'glassnet[data]'``)."""
    from glassnet._optional import require

    image = require("PIL.Image", "data")
    grid = make_grid(tensor, **grid_kwargs).numpy()
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image.fromarray(pixels).save(fp, format=None if isinstance(fp, str) else "PNG")


__all__ = ["make_grid", "save_image"]
