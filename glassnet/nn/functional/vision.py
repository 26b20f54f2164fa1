"""Resizing and padding images: pad, interpolate (nearest, nearest-exact, linear, bilinear), and
the older upsample names.

Interpolation along each spatial dim is a small (out, in) matrix, so resizing an image is
``A @ x @ B.T`` per channel (one Function, glassnet.ops.pooling.SeparableMap) and its gradient
is the same with the transposed matrices. The matrices follow PyTorch's source-index rules
(``align_corners``, ``scale_factor`` versus ``size``) exactly.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
>>> F.interpolate(x, scale_factor=2, mode="nearest").tolist()[0][0][0]
[1.0, 1.0, 2.0, 2.0]
>>> F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).tolist()[0][0][1]
[2.0, 2.5, 3.0]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops.pooling import SeparableMap
from glassnet.ops.shape_pad import pad as _pad

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = {"linear": 1, "bilinear": 2}
_NEAREST = ("nearest", "nearest-exact")


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims of ``input``: ``pad`` lists (before, after) pairs from the last dim
    backwards; ``mode`` is 'constant', 'reflect', 'replicate' or 'circular'.

    >>> import glassnet
    >>> pad(glassnet.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    return _pad(input, pad, mode=mode, value=value)


def _source_matrix(n_in, n_out, mode, align_corners, scale, ftype):
    """(n_out, n_in) matrix mapping an input line to the resized line, by PyTorch's rules and in
    its arithmetic precision (float32 for nearest and float32 inputs).

    ``scale`` is PyTorch's in/out ratio: 1/scale_factor when a scale factor was given (and not
    recomputed), else n_in/n_out.
    """
    mat = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if mode in _NEAREST:
        if n_out == n_in:
            src = rows
        else:
            dst = rows.astype(np.float32) + np.float32(0.5 if mode == "nearest-exact" else 0.0)
            src = np.minimum(np.floor(dst * np.float32(scale)).astype(np.int64), n_in - 1)
        mat[rows, src] = 1.0
        return mat
    dst = rows.astype(ftype)
    if align_corners:
        src = dst * ftype((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((dst + ftype(0.5)) * ftype(scale) - ftype(0.5), ftype(0.0))
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = (src - lo.astype(ftype)).astype(np.float64)
    np.add.at(mat, (rows, lo), 1.0 - frac)
    np.add.at(mat, (rows, hi), frac)
    return mat


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor`` (PyTorch semantics).

    >>> import glassnet
    >>> interpolate(glassnet.ones(1, 2, 4, 4), scale_factor=0.5, mode="bilinear").shape
    glassnet.Size([1, 2, 2, 2])
    """
    shape = tuple(input._data.shape)
    nd = len(shape) - 2
    if mode not in _NEAREST and mode not in _LINEAR:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported; use 'nearest', 'nearest-exact', "
            "'linear' (3-D input) or 'bilinear' (4-D input)."
        )
    if nd not in (1, 2):
        raise ShapeError(
            f"interpolate: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape {shape}"
            "; add a batch dim with x.unsqueeze(0) for a single image."
        )
    if mode in _LINEAR and _LINEAR[mode] != nd:
        want = "3-D" if mode == "linear" else "4-D"
        raise ShapeError(
            f"interpolate: mode {mode!r} expects {want} input, got shape {shape}; use "
            f"{'bilinear' if nd == 2 else 'linear'} for {nd + 2}-D input."
        )
    if mode in _NEAREST and align_corners is not None:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    spatial = shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        out = _per_dim(size, nd, "size")
        out = tuple(int(s) for s in out)
        scales = [n / o for n, o in zip(spatial, out)]
    else:
        factors = tuple(float(f) for f in _per_dim(scale_factor, nd, "scale_factor"))
        out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        if recompute_scale_factor:
            scales = [n / o for n, o in zip(spatial, out)]
        else:
            scales = [1.0 / f for f in factors]
    if min(out) < 1:
        raise ShapeError(
            f"interpolate: input of spatial size {spatial} gives output size {out}; the output "
            "must be at least 1 in every dim."
        )
    xp = get_array_module(input._data)
    ftype = np.float64 if input._data.dtype == np.float64 else np.float32
    mats = [
        None
        if o == n and (s == 1.0 or mode in _NEAREST)
        else xp.asarray(
            _source_matrix(n, o, mode, bool(align_corners), s, ftype), dtype=input._data.dtype
        )
        for n, o, s in zip(spatial, out, scales)
    ]
    if nd == 1:
        mats = [None] + mats
    if mats[0] is None and mats[1] is None:
        return input * 1
    return SeparableMap.apply(input, mats[0], mats[1])


def _per_dim(value, nd, name):
    if isinstance(value, (tuple, list)):
        if len(value) != nd:
            raise ShapeError(f"interpolate: {name} must have {nd} entries, got {tuple(value)}")
        return tuple(value)
    return (value,) * nd


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Older name of :func:`interpolate`.

    >>> import glassnet
    >>> upsample(glassnet.ones(1, 1, 2), scale_factor=2).shape
    glassnet.Size([1, 1, 4])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Nearest-neighbour upsampling (older name).

    >>> import glassnet
    >>> upsample_nearest(glassnet.ones(1, 1, 2, 2), scale_factor=2).shape
    glassnet.Size([1, 1, 4, 4])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with align_corners=True (older name).

    >>> import glassnet
    >>> upsample_bilinear(glassnet.ones(1, 1, 2, 2), size=3).shape
    glassnet.Size([1, 1, 3, 3])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
