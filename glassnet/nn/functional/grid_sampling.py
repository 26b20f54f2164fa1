"""Spatial transformers: ``affine_grid`` makes the sampling grid of an affine map, and
``grid_sample`` reads an image at any (x, y) positions in [-1, 1] (or a volume at (x, y, z))
with bilinear/trilinear, nearest or (2-D) bicubic interpolation and zeros/border/reflection
padding. Composed of gathers and pointwise ops, so gradients reach both the image and the grid
(nearest gives the grid a zero gradient, as PyTorch).

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
    return _source_pixels(
        _unnormalize(coord, size, align_corners), size, padding_mode, align_corners
    )


def _gather(flat, idx, sizes):
    """input values at integer positions ``idx`` (x, y[, z]; each (N, P)) with zeros outside:
    (N, C, P), and the inside mask (N, 1, P)."""
    inside = None
    index = 0
    for i, size in zip(reversed(idx), reversed(sizes)):  # z (slowest), y, then x
        ok = (i >= 0) & (i < size)
        inside = ok if inside is None else inside & ok
        index = index * size + i.clamp(0, size - 1)
    index = index.long()
    n, c = flat.shape[0], flat.shape[1]
    picked = flat.gather(2, index.unsqueeze(1).expand(n, c, index.shape[1]))
    return picked, inside.unsqueeze(1).to(flat.dtype)


def _cubic_weights(t):
    """The four cubic-convolution weights (A = -0.75, as PyTorch) of the taps at floor - 1,
    floor, floor + 1 and floor + 2, for the fraction ``t`` in [0, 1)."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _tap(index, size, padding_mode, align_corners):
    """Where an integer bicubic tap reads once the padding maps it back inside (PyTorch
    clamps or reflects each tap, not the sampling point); zeros padding leaves it alone."""
    if padding_mode == "zeros":
        return index
    return _source_pixels(index, size, padding_mode, align_corners).round()


def _source_pixels(x, size, padding_mode, align_corners):
    if padding_mode == "border":
        x = x.clamp(0, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        x = x.clamp(0, size - 1)
    return x


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) positions (x then y, in
    [-1, 1]): the output is (N, C, Ho, Wo). 5-D input (N, C, D, H, W) takes a grid
    (N, Do, Ho, Wo, 3) (x, y, z) and gives (N, C, Do, Ho, Wo); there 'bilinear' is trilinear.
    ``mode`` 'bicubic' (4-D only) uses cubic convolution over 4 x 4 pixels, as PyTorch."""
    align_corners = bool(align_corners)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got "
            f"{padding_mode!r}"
        )
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"grid_sample: expected 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    k = input.ndim - 2
    if mode == "bicubic" and k != 2:
        raise NotImplementedError(
            "grid_sample: mode 'bicubic' only supports 4-D input (as in PyTorch); use "
            "'bilinear' (trilinear) or 'nearest' for 5-D input"
        )
    n, c = input.shape[0], input.shape[1]
    spatial = tuple(input.shape[2:])  # (H, W) or (D, H, W)
    if grid.ndim != k + 2 or grid.shape[0] != n or grid.shape[-1] != k:
        want = ", ".join(["H_out", "W_out"] if k == 2 else ["D_out", "H_out", "W_out"])
        raise ShapeError(
            f"grid_sample: expected a grid of shape ({n}, {want}, {k}) for the input of "
            f"shape {tuple(input.shape)}, got {tuple(grid.shape)}."
        )
    out_spatial = tuple(grid.shape[1:-1])
    p = 1
    for s in out_spatial:
        p *= s
    g = grid.reshape(n, p, k).to(input.dtype)
    sizes = spatial[::-1]  # W, H[, D]: the order of the grid's last axis
    flat = input.reshape(n, c, -1)
    if mode == "bicubic":
        out = _bicubic(flat, g, sizes, padding_mode, align_corners)
        return out.reshape((n, c) + out_spatial)
    coords = [_source(g[..., i], sizes[i], padding_mode, align_corners) for i in range(k)]
    if mode == "nearest":
        idx = [x.detach().round() for x in coords]  # half to even, as PyTorch's nearbyint
        picked, inside = _gather(flat, idx, sizes)
        # the grid gets a zero gradient (not none), as in PyTorch
        out = picked * inside + (g * 0).sum(dim=-1).unsqueeze(1)
        return out.reshape((n, c) + out_spatial)
    lows = [x.detach().floor() for x in coords]
    fracs = [x - x0 for x, x0 in zip(coords, lows)]
    out = 0
    for corner in range(2**k):
        idx, weight = [], None
        for i in range(k):
            up = (corner >> i) & 1
            idx.append(lows[i] + up)
            wi = fracs[i] if up else 1 - fracs[i]
            weight = wi if weight is None else weight * wi
        picked, inside = _gather(flat, idx, sizes)
        out = out + picked * inside * weight.unsqueeze(1)
    return out.reshape((n, c) + out_spatial)


def _bicubic(flat, g, sizes, padding_mode, align_corners):
    w, h = sizes
    # the sampling point itself is not padded: only each tap is (PyTorch's grid_sampler)
    x = _unnormalize(g[..., 0], w, align_corners)
    y = _unnormalize(g[..., 1], h, align_corners)
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx, wy = _cubic_weights(x - x0), _cubic_weights(y - y0)
    out = 0
    for j in range(4):
        iy = _tap(y0 + (j - 1), h, padding_mode, align_corners)
        for i in range(4):
            ix = _tap(x0 + (i - 1), w, padding_mode, align_corners)
            picked, inside = _gather(flat, [ix, iy], sizes)
            out = out + picked * inside * (wx[i] * wy[j]).unsqueeze(1)
    return out
