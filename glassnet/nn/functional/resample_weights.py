"""The (out, in) matrix that resizes one spatial dim, for every interpolation mode, by PyTorch's
rules and in its arithmetic precision (float32 for float32 inputs and for nearest indices).

``scale_factor`` is the factor the caller gave (None when the size was given, or when the scale
is recomputed from the sizes); PyTorch then samples at ``1 / scale_factor`` per output step
rather than ``n_in / n_out``, so the two can differ by a fraction of a pixel.

>>> import numpy as np
>>> linear_matrix(2, 4, False, None, np.float64).tolist()
[[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
>>> nearest_index(3, 6, None, exact=False, shortcuts=False, ftype=np.float32).tolist()
[0, 0, 1, 1, 2, 2]
"""

from __future__ import annotations

import numpy as np

__all__: list = []


def _scale(n_in, n_out, align_corners, scale_factor, ftype):
    """PyTorch's area_pixel_compute_scale: the input step per output step."""
    if align_corners:
        return ftype(n_in - 1) / ftype(n_out - 1) if n_out > 1 else ftype(0.0)
    if scale_factor is not None and scale_factor > 0:
        return ftype(1.0 / scale_factor)
    return ftype(n_in) / ftype(n_out)


def source_positions(n_in, n_out, align_corners, scale_factor, ftype, cubic):
    """Each output's position on the input axis (area_pixel_compute_source_index)."""
    scale = _scale(n_in, n_out, align_corners, scale_factor, ftype)
    dst = np.arange(n_out).astype(ftype)
    if align_corners:
        return dst * scale
    src = (dst + ftype(0.5)) * scale - ftype(0.5)
    return src if cubic else np.maximum(src, ftype(0.0))


def nearest_index(n_in, n_out, scale_factor, *, exact, shortcuts, ftype):
    """The input index each output copies ('nearest' or 'nearest-exact').

    PyTorch has two kernels: the one it uses for small 2-D outputs (``shortcuts``) computes in
    float32 and, for 'nearest', copies straight through when the size is unchanged and takes
    i // 2 when it doubles; the general one always samples at the scale, in the input's
    precision.
    """
    rows = np.arange(n_out)
    if shortcuts:
        if n_out == n_in and not exact:
            return rows
        if n_out == 2 * n_in and not exact:
            return rows >> 1
        ftype = np.float32
    scale = _scale(n_in, n_out, False, scale_factor, ftype)
    if exact:
        if shortcuts:
            src = np.floor((rows.astype(ftype) + ftype(0.5)) * scale)
        else:
            src = (rows.astype(ftype) + ftype(0.5)) * scale - ftype(0.5)
            src = np.floor(np.maximum(src, ftype(0.0)) + ftype(0.5))
    else:
        src = np.floor(rows.astype(ftype) * scale)
    return np.minimum(src.astype(np.int64), n_in - 1)


def index_matrix(index, n_in):
    """The 0/1 matrix that copies input ``index[i]`` to output i."""
    mat = np.zeros((len(index), n_in))
    mat[np.arange(len(index)), index] = 1.0
    return mat


def linear_matrix(n_in, n_out, align_corners, scale_factor, ftype):
    """Linear interpolation weights (each output mixes its two nearest inputs); the identity
    when the size is unchanged, whatever the scale factor, as in PyTorch."""
    if n_out == n_in:
        return np.eye(n_in)
    src = source_positions(n_in, n_out, align_corners, scale_factor, ftype, cubic=False)
    lo = np.minimum(src.astype(np.int64), n_in - 1)  # src >= 0: truncation is floor
    hi = np.where(lo < n_in - 1, lo + 1, lo)
    frac = np.clip(src - lo.astype(ftype), ftype(0.0), ftype(1.0))
    mat = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(mat, (rows, lo), (ftype(1.0) - frac).astype(np.float64))
    np.add.at(mat, (rows, hi), frac.astype(np.float64))
    return mat


def cubic_conv1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def cubic_conv2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def cubic_coefficients(t, ftype, a=-0.75):
    """The four cubic-convolution weights of inputs at offsets -1, 0, 1, 2 from the one before
    the sample, ``t`` of the way to the next (PyTorch's get_cubic_upsample_coefficients)."""
    a, one = ftype(a), ftype(1.0)
    return [cubic_conv2(t + one, a), cubic_conv1(t, a), cubic_conv1(one - t, a)] + [
        cubic_conv2((one - t) + one, a)
    ]


def cubic_index_and_fraction(n_in, n_out, align_corners, scale_factor, ftype):
    """The input before each sample and how far the sample lies past it, in [0, 1]
    (PyTorch's guard_index_and_lambda)."""
    src = source_positions(n_in, n_out, align_corners, scale_factor, ftype, cubic=True)
    index = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    return index, np.clip(src - index.astype(ftype), ftype(0.0), ftype(1.0))


def cubic_matrix(n_in, n_out, align_corners, scale_factor, ftype):
    """Bicubic weights (a = -0.75) over four inputs, those beyond an edge taken as the edge
    (so their weights add to it); no shortcut for an unchanged size, as in PyTorch."""
    index, frac = cubic_index_and_fraction(n_in, n_out, align_corners, scale_factor, ftype)
    mat = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for j, coeff in enumerate(cubic_coefficients(frac, ftype)):
        np.add.at(mat, (rows, np.clip(index - 1 + j, 0, n_in - 1)), coeff.astype(np.float64))
    return mat


def _triangle(x):
    return np.maximum(1.0 - np.abs(x), 0.0)


def _keys_cubic(x, a=-0.5):
    x = np.abs(x)
    return np.where(x < 1, cubic_conv1(x, a), np.where(x < 2, cubic_conv2(x, a), 0.0))


def antialias_windows(n_in, n_out, align_corners, scale_factor, cubic, ftype):
    """PyTorch's antialiased weights (_compute_indices_min_size_weights_aa): when shrinking,
    the filter (triangle, or Keys cubic with a = -0.5) is stretched by the scale, so every
    input under an output's footprint contributes. Returns per output (first input, weights)."""
    scale, one = _scale(n_in, n_out, align_corners, scale_factor, ftype), ftype(1.0)
    support = ftype(2.0 if cubic else 1.0) * (scale if scale >= one else one)
    inv = one / scale if scale >= one else one
    taps = int(np.ceil(support)) * 2 + 1
    kernel = _keys_cubic if cubic else _triangle
    half = ftype(0.5)
    windows = []
    for i in range(n_out):
        center = scale * ftype(i + 0.5)
        first = max(int(center - support + half), 0)
        size = min(int(center + support + half), n_in) - first
        size = min(max(size, 0), taps)
        pos = ((np.arange(size) + first).astype(ftype) - center + half) * inv
        w = kernel(pos.astype(ftype)).astype(ftype)
        total = w.sum(dtype=ftype)
        windows.append((first, w / total if total != 0 else w))
    return windows


def antialias_matrix(n_in, n_out, align_corners, scale_factor, cubic, ftype):
    """The antialiased resize of one dim as a matrix."""
    mat = np.zeros((n_out, n_in))
    for i, (first, w) in enumerate(
        antialias_windows(n_in, n_out, align_corners, scale_factor, cubic, ftype)
    ):
        mat[i, first : first + len(w)] = w
    return mat
