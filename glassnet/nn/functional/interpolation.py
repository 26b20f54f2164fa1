"""Resizing signals, images and volumes: ``interpolate`` with every mode of PyTorch's.

Modes: 'nearest' and 'nearest-exact' (any rank), 'linear' (3-D input), 'bilinear' and
'bicubic' (4-D), 'trilinear' (5-D) and 'area' (adaptive average pooling, any rank), with
``size`` or ``scale_factor``, ``align_corners``, ``recompute_scale_factor`` and, for bilinear and
bicubic, ``antialias``. Every mode resizes each spatial dim by a small (out, in) matrix
(glassnet.nn.functional.resample_weights) built by PyTorch's sampling rules, so the resize is a
product with a few matrices and its gradient a product with their transposes.

Integer images: uint8 works with bilinear and bicubic through PyTorch's fixed-point algorithm
(bit for bit), and every integer dtype with the nearest modes (a copy). Other integer inputs to
the interpolating modes are refused, as in PyTorch: convert with ``x.float()`` first.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
>>> F.interpolate(x, scale_factor=2, mode="nearest").tolist()[0][0][0]
[1.0, 1.0, 2.0, 2.0]
>>> F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).tolist()[0][0][1]
[2.0, 2.5, 3.0]
>>> F.interpolate(glassnet.ones(1, 1, 2, 2, 2), scale_factor=2, mode="trilinear").shape
glassnet.Size([1, 1, 4, 4, 4])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.nn.functional import resample_weights as rw
from glassnet.nn.functional.resample_uint8 import resize_uint8
from glassnet.ops.axis_maps import AxisMaps
from glassnet.ops.pooling import SeparableMap
from glassnet.tensor import Tensor

__all__ = ["interpolate"]

# The rank of input (spatial dims) each interpolating mode needs; the others take any.
_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_NEAREST = ("nearest", "nearest-exact")


def _per_dim(value, nd, name, spatial):
    if isinstance(value, (tuple, list)):
        if len(value) != nd:
            raise ValueError(
                f"interpolate: input and output must have the same number of spatial dims, but "
                f"got input with spatial dims {tuple(spatial)} and {name}={tuple(value)}; give "
                f"{nd} values, or one for all dims."
            )
        return tuple(value)
    return (value,) * nd


def _check_mode(mode, nd, shape, align_corners, antialias):
    if mode not in _MODES or nd not in (1, 2, 3):
        raise NotImplementedError(
            f"interpolate: only 3-D, 4-D and 5-D inputs (N, C, *spatial) are supported, for the "
            f"modes {', '.join(_MODES)}; got a {len(shape)}-D input of shape {shape} and mode="
            f"{mode!r}" + ("; add a batch dim with x.unsqueeze(0)." if len(shape) < 3 else ".")
        )
    if mode in _RANK and _RANK[mode] != nd:
        fits = {1: "linear", 2: "bilinear or bicubic", 3: "trilinear"}[nd]
        raise NotImplementedError(
            f"interpolate: got a {nd + 2}-D input of shape {shape}, but mode {mode!r} needs a "
            f"{_RANK[mode] + 2}-D input; use {fits} for {nd + 2}-D input."
        )
    if align_corners is not None and mode not in _RANK:
        raise ValueError(
            "interpolate: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear, got mode={mode!r}"
        )
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(
            "interpolate: antialias is only for the bilinear and bicubic modes (4-D input), got "
            f"mode={mode!r}"
        )


def _output_size(spatial, size, scale_factor, recompute_scale_factor, mode):
    """The output size, and the scale factor per dim the kernels sample at (None: n_in/n_out)."""
    nd = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: give only one of size and scale_factor")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: give either size or scale_factor")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                "interpolate: recompute_scale_factor is not meaningful with an explicit size."
            )
        out = tuple(int(s) for s in _per_dim(size, nd, "size", spatial))
        scales = (None,) * nd
    else:
        factors = tuple(float(f) for f in _per_dim(scale_factor, nd, "scale_factor", spatial))
        out = tuple(int(math.floor(float(n) * f)) for n, f in zip(spatial, factors))
        # 'area' always samples by the sizes (PyTorch recomputes its scale).
        scales = (None,) * nd if recompute_scale_factor or mode == "area" else factors
    if min(out) < 1 or min(spatial) < 1:
        raise ShapeError(
            f"interpolate: input and output sizes should be greater than 0, but got input "
            f"spatial size {tuple(spatial)} and output size {out}"
        )
    return out, scales


def _matrix(n_in, n_out, mode, align_corners, scale, antialias, ftype):
    """The (out, in) float64 matrix of one dim for the interpolating modes and 'area', or None
    when the dim is left as it is (bicubic samples even an unchanged size at the scale)."""
    if mode == "area":
        return None if n_out == n_in else _area(n_in, n_out)
    if antialias:
        return rw.antialias_matrix(n_in, n_out, align_corners, scale, mode == "bicubic", ftype)
    if mode == "bicubic":
        return rw.cubic_matrix(n_in, n_out, align_corners, scale, ftype)
    return None if n_out == n_in else rw.linear_matrix(n_in, n_out, align_corners, scale, ftype)


def _area(n_in, n_out):
    from glassnet.ops.pooling import adaptive_avg_matrix

    return adaptive_avg_matrix(n_in, n_out, np.float64, np)


def _nearest_index(n_in, n_out, mode, scale, ftype, nd, out_sum):
    # PyTorch takes its small-image kernel for 2-D outputs with H + W <= 128 (shortcuts for
    # unchanged and doubled sizes, float32 arithmetic), the general kernel otherwise.
    shortcuts = nd == 2 and out_sum is not None and out_sum <= 128
    return rw.nearest_index(
        n_in, n_out, scale, exact=mode == "nearest-exact", shortcuts=shortcuts, ftype=ftype
    )


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by ``scale_factor``
    (PyTorch semantics; see the module docstring for the modes).

    >>> import glassnet
    >>> interpolate(glassnet.ones(1, 2, 4, 4), scale_factor=0.5, mode="bilinear").shape
    glassnet.Size([1, 2, 2, 2])
    """
    shape = tuple(input._data.shape)
    nd = len(shape) - 2
    _check_mode(mode, nd, shape, align_corners, antialias)
    spatial = shape[2:]
    out, scales = _output_size(spatial, size, scale_factor, recompute_scale_factor, mode)
    data = input._data
    xp = get_array_module(data)
    kind = data.dtype.kind
    ac = bool(align_corners)
    if kind in "iub":
        return _interpolate_integer(input, out, scales, mode, ac, antialias, nd)
    ftype = np.float64 if data.dtype == np.float64 else np.float32
    if mode in _NEAREST:
        total = sum(out) if nd == 2 else None
        mats = []
        for n, o, s in zip(spatial, out, scales):
            index = _nearest_index(n, o, mode, s, ftype, nd, total)
            same = o == n and np.array_equal(index, np.arange(n))
            mats.append(None if same else rw.index_matrix(index, n))
    else:
        mats = [
            _matrix(n, o, mode, ac, s, antialias, ftype) for n, o, s in zip(spatial, out, scales)
        ]
    mats = [None if m is None else xp.asarray(m, dtype=data.dtype) for m in mats]
    if all(m is None for m in mats):
        return input * 1  # unchanged: a fresh tensor, as PyTorch
    if nd == 3:
        return AxisMaps.apply(input, tuple(mats))
    if nd == 1:
        mats = [None] + mats
    return SeparableMap.apply(input, mats[0], mats[1])


def _interpolate_integer(input, out, scales, mode, align_corners, antialias, nd):
    data = input._data
    xp = get_array_module(data)
    if mode in _NEAREST:
        total = sum(out) if nd == 2 else None
        result = data
        for d, (n, o, s) in enumerate(zip(data.shape[2:], out, scales)):
            index = _nearest_index(n, o, mode, s, np.float32, nd, total)
            result = xp.take(result, xp.asarray(index), axis=2 + d)
        return Tensor._make(xp.ascontiguousarray(result))
    if data.dtype == np.uint8 and mode in ("bilinear", "bicubic"):
        return Tensor._make(resize_uint8(data, out, mode, align_corners, scales, antialias))
    raise NotImplementedError(
        f"interpolate: mode {mode!r} is not implemented for {data.dtype} input (PyTorch resizes "
        "integers only with the nearest modes, and uint8 also with bilinear and bicubic); "
        "convert it first, e.g. interpolate(x.float(), ...)"
    )
