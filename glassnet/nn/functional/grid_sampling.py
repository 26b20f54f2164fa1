"""Spatial transformers: ``affine_grid`` makes the sampling grid of an affine map, and
``grid_sample`` reads an image at any (x, y) positions in [-1, 1] with bilinear or nearest
interpolation and zeros/border/reflection padding. Composed of gathers and pointwise ops, so
gradients reach both the image and the grid (bilinear; nearest gives the grid none, as PyTorch).

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> theta = glassnet.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
>>> image = glassnet.arange(4.0).reshape(1, 1, 2, 2)
>>> grid = F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
>>> F.grid_sample(image, grid, align_corners=False).flatten().tolist()
[0.0, 1.0, 2.0, 3.0]
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]


def _base(n, align_corners, dtype):
    """The normalised coordinates of n pixel centres (or corners, with align_corners)."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dtype)
    steps = np.linspace(-1.0, 1.0, n, dtype=np.float64)
    if not align_corners:
        steps = steps * (n - 1) / n
    return steps.astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) grid (or (N, D, H, W, 3) for 3-D ``size``) of ``theta`` (N, 2, 3) or
    (N, 3, 4) applied to the output pixels' normalised coordinates, for ``grid_sample``."""
    align_corners = bool(align_corners)
    size = tuple(int(s) for s in size)
    spatial = len(size) - 2
    if spatial not in (2, 3):
        raise ShapeError(f"affine_grid: size must be 4-D (N, C, H, W) or 5-D, got {size}")
    k = spatial
    if tuple(theta.shape) != (size[0], k, k + 1):
        raise ShapeError(
            f"affine_grid: expected theta of shape ({size[0]}, {k}, {k + 1}) for size {size}, "
            f"got {tuple(theta.shape)}."
        )
    dt = theta._data.dtype
    axes = [_base(s, align_corners, dt) for s in size[2:]]  # D, H, W order
    mesh = np.meshgrid(*axes, indexing="ij")
    coords = [m.reshape(-1) for m in mesh[::-1]]  # x (W), y (H), z (D)
    base = np.stack(coords + [np.ones_like(coords[0])], axis=1)  # (P, k + 1)
    xp = glassnet.backend.get_array_module(theta._data)
    base_t = Tensor._make(xp.asarray(base))
    grid = base_t @ theta.transpose(1, 2)  # (N, P, k)
    return grid.reshape((size[0],) + size[2:] + (k,))


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    flips = (dist.detach() / span).floor()
    extra = dist - flips * span
    even = (flips.remainder(2) == 0).detach()
    return glassnet.where(even, extra + low, span - extra + low)


def _source(coord, size, padding_mode, align_corners):
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        x = x.clamp(0, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        x = x.clamp(0, size - 1)
    return x


def _gather(flat, ix, iy, w, h):
    """input values at integer (ix, iy) (N, P) with zeros outside: (N, C, P), and the mask."""
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    index = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).long()
    n, c = flat.shape[0], flat.shape[1]
    picked = flat.gather(2, index.unsqueeze(1).expand(n, c, index.shape[1]))
    return picked, inside.unsqueeze(1).to(flat.dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) positions (x then y, in
    [-1, 1]): the output is (N, C, Ho, Wo)."""
    align_corners = bool(align_corners)
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(
            f"grid_sample: mode {mode!r} is not supported; use 'bilinear' or 'nearest'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got "
            f"{padding_mode!r}"
        )
    if input.ndim != 4:
        raise NotImplementedError(
            f"grid_sample: only 4-D (N, C, H, W) input is supported, got shape {tuple(input.shape)}"
        )
    n, c, h, w = input.shape
    if grid.ndim != 4 or grid.shape[0] != n or grid.shape[-1] != 2:
        raise ShapeError(
            f"grid_sample: expected a grid of shape ({n}, H_out, W_out, 2) for the input of "
            f"shape {tuple(input.shape)}, got {tuple(grid.shape)}."
        )
    ho, wo = grid.shape[1], grid.shape[2]
    g = grid.reshape(n, ho * wo, 2).to(input.dtype)
    x = _source(g[..., 0], w, padding_mode, align_corners)
    y = _source(g[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)
    if mode == "nearest":
        ix, iy = x.detach().round(), y.detach().round()  # half to even, as PyTorch's nearbyint
        picked, inside = _gather(flat, ix, iy, w, h)
        # the grid gets a zero gradient (not none), as in PyTorch
        out = picked * inside + (g * 0).sum(dim=-1).unsqueeze(1)
        return out.reshape(n, c, ho, wo)
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx1, wy1 = x - x0, y - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = 0
    for ix, iy, weight in (
        (x0, y0, wx0 * wy0),
        (x0 + 1, y0, wx1 * wy0),
        (x0, y0 + 1, wx0 * wy1),
        (x0 + 1, y0 + 1, wx1 * wy1),
    ):
        picked, inside = _gather(flat, ix, iy, w, h)
        out = out + picked * inside * weight.unsqueeze(1)
    return out.reshape(n, c, ho, wo)
