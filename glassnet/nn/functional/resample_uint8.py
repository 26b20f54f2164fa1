"""Bilinear and bicubic resizing of uint8 images, as PyTorch defines it.

PyTorch resizes uint8 images (the usual 8-bit pictures) in fixed point, as Pillow does: the
weights of each dim are rounded to 16-bit integers at the largest precision that fits, the width
is resized first and rounded back to uint8 (clamped to 0..255), then the height. So the result
is not the float result rounded: it can differ by one level, and bicubic overshoot is clipped
between the two passes. Other integer dtypes are not resized by PyTorch's linear modes.

>>> import numpy as np
>>> x = np.array([[[[0, 255]]]], dtype=np.uint8)
>>> resize_uint8(x, (1, 3), "bilinear", True, (None, None), False).tolist()
[[[[0, 128, 255]]]]
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import get_array_module
from glassnet.nn.functional.resample_weights import (
    antialias_windows,
    cubic_conv1,
    cubic_conv2,
    source_positions,
)

__all__: list = []


def _filter(x, cubic):
    x = abs(x)
    if cubic:  # a = -0.75 without antialiasing, as the float path
        return cubic_conv1(x, -0.75) if x < 1 else cubic_conv2(x, -0.75) if x < 2 else 0.0
    return 1.0 - x if x < 1 else 0.0


def _plain_windows(n_in, n_out, align_corners, scale_factor, cubic):
    """Per output (first input, weights) without antialiasing, and the largest weight reached
    (PyTorch's _compute_indices_min_size_weights: taps beyond an edge are added to the edge
    tap, and the running maximum of those sums sets the precision)."""
    taps = 4 if cubic else 2
    support = taps // 2
    src = source_positions(n_in, n_out, align_corners, scale_factor, np.float64, cubic)
    windows, top = [], 0.0
    for real in src:
        index = min(int(np.floor(real)), n_in - 1)
        frac = min(max(real - index, 0.0), 1.0)
        low = index - support + 1
        first = max(low, 0)
        size = min(max(min(index + support + 1, n_in) - first, 0), taps)
        w, slot = [0.0] * taps, 0
        for j in range(taps):
            if low + j <= 0:
                slot = 0
            elif low + j >= n_in - 1:
                slot = size - 1
            w[slot] += _filter((j + 1 - support) - frac, cubic)
            top = max(top, w[slot])
            slot += 1
        windows.append((first, np.array(w[:size])))
    return windows, top


def _int16_matrix(windows, top, n_in):
    """The (n_out, n_in) integer weights and their precision (bits after the point)."""
    precision = 0
    while precision < 22 and int(0.5 + top * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    mat = np.zeros((len(windows), n_in), dtype=np.int64)
    for i, (first, w) in enumerate(windows):
        v = w * (1 << precision)
        mat[i, first : first + len(w)] = np.trunc(np.where(v < 0, v - 0.5, v + 0.5))
    return mat, precision


def _axis_weights(n_in, n_out, mode, align_corners, scale_factor, antialias):
    cubic = mode == "bicubic"
    if antialias:
        windows = antialias_windows(n_in, n_out, align_corners, scale_factor, cubic, np.float64)
        top = max((float(w.max()) for _, w in windows if len(w)), default=0.0)
    else:
        windows, top = _plain_windows(n_in, n_out, align_corners, scale_factor, cubic)
    return _int16_matrix(windows, top, n_in)


def resize_uint8(x, size, mode, align_corners, scale_factors, antialias):
    """x (N, C, H, W) uint8 resized to ``size`` (H', W') by PyTorch's fixed-point passes."""
    xp = get_array_module(x)
    out = x
    for axis in (3, 2):  # the width first, as PyTorch
        n_in, n_out = x.shape[axis], size[axis - 2]
        if n_in == n_out:
            continue
        mat, precision = _axis_weights(
            n_in, n_out, mode, align_corners, scale_factors[axis - 2], antialias
        )
        acc = xp.tensordot(out.astype(xp.int64), xp.asarray(mat), axes=([axis], [1]))
        acc = xp.moveaxis(acc, -1, axis) + (1 << (precision - 1))
        out = xp.clip(acc >> precision, 0, 255).astype(xp.uint8)
    return xp.ascontiguousarray(out) if out is not x else x.copy()
