"""Fractional max pooling (Graham, 2014): max pooling whose output size need not divide the
input, with pooling regions placed pseudo-randomly. Each (sample, channel) draws one number u
in [0, 1) per spatial dim (``_random_samples``, from glassnet's seeded generator unless given);
region i starts at ``int((i + u) * alpha) - int(u * alpha)`` with
``alpha = (input - kernel) / (output - 1)``, the last one at ``input - kernel`` (PyTorch's rule).
The output is a gather of the inputs followed by a max, so its backward comes from those.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.arange(25.0).reshape(1, 1, 5, 5)
>>> u = glassnet.tensor([[[0.5, 0.5]]])
>>> F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u).flatten().tolist()
[6.0, 8.0, 9.0, 16.0, 18.0, 19.0, 21.0, 23.0, 24.0]
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import backend
from glassnet import random as grandom
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d"]


def _tuple(v, k):
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * k


def _starts(u, size, out, kernel):
    """Region starts for samples u (P,): (P, out), float64 arithmetic as PyTorch's double
    accumulator for float inputs."""
    if out == 1:
        return np.full((u.size, 1), size - kernel, dtype=np.int64)
    alpha = (size - kernel) / (out - 1)
    i = np.arange(out - 1)
    seq = np.floor((i[None, :] + u[:, None]) * alpha).astype(np.int64) - np.floor(
        u[:, None] * alpha
    ).astype(np.int64)
    return np.concatenate([seq, np.full((u.size, 1), size - kernel, dtype=np.int64)], axis=1)


def _fractional(name, input, kernel_size, output_size, output_ratio, return_indices, samples, k):
    spatial_in = tuple(input.shape[-k:])
    if input.ndim not in (k + 1, k + 2):
        raise ShapeError(
            f"{name}: expected a {k + 1}-D or {k + 2}-D input, got shape {tuple(input.shape)}"
        )
    kernel = _tuple(kernel_size, k)
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
        ratio = (
            tuple(float(r) for r in output_ratio)
            if isinstance(output_ratio, (tuple, list))
            else (float(output_ratio),) * k
        )
        output_size = tuple(int(s * r) for s, r in zip(spatial_in, ratio))
    out = _tuple(output_size, k)
    for s, o, kk in zip(spatial_in, out, kernel):
        if o + kk - 1 > s:
            raise ShapeError(
                f"{name}: output size {out} with kernel {kernel} does not fit the input's "
                f"spatial size {spatial_in}: need output + kernel - 1 <= input in every dim"
            )
    unbatched = input.ndim == k + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c = x.shape[0], x.shape[1]
    if samples is None:
        g = grandom.rng(str(x.device))
        u = backend.to_numpy(g.random(size=(n, c, k))).astype(x._data.dtype)
    else:
        u = np.asarray(backend.to_numpy(samples._data))
        if u.shape != (n, c, k):
            raise ShapeError(f"{name}: _random_samples must have shape {(n, c, k)}, got {u.shape}")
    u = u.reshape(n * c, k).astype(np.float64)
    # PyTorch's sample order: (W, H) in 2-D, (T, H, W) in 3-D
    dim_of_sample = [1, 0] if k == 2 else [0, 1, 2]
    starts = [None] * k
    for s_idx, d in enumerate(dim_of_sample):
        starts[d] = _starts(u[:, s_idx], spatial_in[d], out[d], kernel[d])  # (P, out_d)
    # flat input positions of every (output position, kernel offset): (P, *out, K)
    strides = np.cumprod((1,) + spatial_in[::-1])[:-1][::-1]
    pos = np.zeros((n * c,) + out + kernel, dtype=np.int64)
    for d in range(k):
        shape_o = [n * c] + [1] * k + [1] * k
        shape_o[1 + d] = out[d]
        shape_k = [1] * (1 + 2 * k)
        shape_k[1 + k + d] = kernel[d]
        coord = starts[d].reshape(shape_o) + np.arange(kernel[d]).reshape(shape_k)
        pos = pos + coord * strides[d]
    kprod = int(np.prod(kernel))
    pos = pos.reshape(n, c, -1)
    flat = x.reshape(n, c, -1)
    picked = flat.gather(2, glassnet.tensor(pos, device=x.device))
    picked = picked.reshape((n, c) + out + (kprod,))
    result = picked.max(dim=-1)
    values = result.values
    if unbatched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    which = backend.to_numpy(result.indices._data)
    idx = np.take_along_axis(pos.reshape((n, c) + out + (kprod,)), which[..., None], axis=-1)[
        ..., 0
    ]
    idx_t = Tensor._make(backend.to_device(idx.astype(np.int64), str(x.device)))
    return values, (idx_t.squeeze(0) if unbatched else idx_t)


def fractional_max_pool2d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Fractional max pooling over (N, C, H, W) (or (C, H, W)); ``_random_samples`` (N, C, 2)
    fixes the regions (u for the width, then the height, as PyTorch)."""
    return _fractional(
        "fractional_max_pool2d",
        input,
        kernel_size,
        output_size,
        output_ratio,
        return_indices,
        _random_samples,
        2,
    )


def fractional_max_pool3d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Fractional max pooling over (N, C, T, H, W) (or (C, T, H, W)); ``_random_samples``
    (N, C, 3) holds u for T, H and W."""
    return _fractional(
        "fractional_max_pool3d",
        input,
        kernel_size,
        output_size,
        output_ratio,
        return_indices,
        _random_samples,
        3,
    )
