"""Convolution in the channels-last layout: (N, H, W, C) in memory, the NCHW shape outside.

PyTorch's ``memory_format=torch.channels_last`` (``glassnet/memory_formats.py``), done the
NumPy way: asked for with ``x.to(memory_format=glassnet.channels_last)`` (or a channels-last
weight, ``model.to(memory_format=...)``), a convolution in training gives an (N, C, H, W)
array whose strides walk the channels fastest (``y.transpose(0, 2, 3, 1)`` is C-contiguous).
Elementwise ops keep that layout (NumPy's outputs follow their inputs' memory order), batch
norm reads it as (N, H*W*C) rows (``glassnet.ops.normalization``), and the next convolution
reads it with no copy. A learner sees the same shapes; only the strides differ.

Why: im2col in this layout puts the kernel window of every output position in one row, so the
matrix product is ``columns (N*Ho*Wo, kh*kw*C) @ weight (kh*kw*C, O)``. OpenBLAS runs that
tall-and-narrow shape faster than ``weight (O, C*kh*kw) @ columns (C*kh*kw, N*Ho*Wo)``, whose
few rows (16 to 64 output channels) are a poor fit for its kernels: 1.2-1.5x on the CIFAR
ResNet's layers (benchmarks/conv_layers.py). The output comes out in its final layout, where the
NCHW path transposes every block's product; a window's (kw, C) entries are one contiguous run of
the input, so the im2col copy moves long runs.

- forward: the column block of a few images (cache-sized) is one strided copy of the padded
  input, then one product into the output's rows;
- backward at stride 1: the input gradient is the convolution of the output gradient with the
  flipped kernel, and the same column blocks of the output gradient give the weight gradient
  against the plain input (as ``convolution.full_conv_backward`` does in NCHW);
- backward otherwise: the weight gradient is ``columns.T @ grad``, and the input gradient the
  product ``grad @ weight`` added back, one strided add per kernel offset.

>>> import numpy as np
>>> from glassnet.ops.conv_columns import Geometry
>>> x = np.arange(2 * 16 * 9, dtype=np.float32).reshape(2, 3, 3, 16).transpose(0, 3, 1, 2)
>>> w = np.ones((16, 16, 2, 2), dtype=np.float32)
>>> g = Geometry(x.shape, w.shape, (1, 1), (0, 0, 0, 0), (1, 1), 1)
>>> y, _ = conv_forward_channels_last(x, w, None, g)
>>> y.shape, is_channels_last(y)
((2, 16, 2, 2), True)
>>> float(y[0, 0, 0, 0]) == float(x[0, :, :2, :2].sum())
True
"""

from __future__ import annotations

import numpy as np

from glassnet.memory_formats import suggests_channels_last
from glassnet.ops.conv_columns import input_gradient_geometry

# Bytes of one column block: it stays in the L2 cache for the product that reads it (1 MiB
# measured best for the CIFAR ResNet's step, against 0.5, 2, 4 and 8 MiB).
_BLOCK_BYTES = 1 << 20


def is_channels_last(a) -> bool:
    """Whether a 4-D NumPy array is laid out channels-last, its strides saying so where a
    single channel or a 1x1 image makes the layout ambiguous (``suggests_channels_last``)."""
    return isinstance(a, np.ndarray) and a.ndim == 4 and suggests_channels_last(a)


def to_channels_last(a):
    """The (N, H, W, C) array of an (N, C, H, W) one: a view when the memory is already
    channels-last, else one copy."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def wants_channels_last(x, w, g) -> bool:
    """Whether a convolution of NumPy arrays ``x`` and ``w`` (geometry ``g``) runs channels-last:
    asked for by either operand's layout (PyTorch's rule), ungrouped, floating point."""
    return (
        isinstance(x, np.ndarray)
        and x.dtype.kind == "f"
        and g.G == 1
        and (is_channels_last(x) or is_channels_last(w))
    )


# Below this many input or output channels the window's (kw, C) runs are short and the NCHW
# arithmetic is faster (LeNet's 1- and 6-channel layers: 1.8x slower channels-last); such a
# convolution computes in NCHW and hands its output on channels-last.
_MIN_CHANNELS = 16


def channels_last_pays(g) -> bool:
    """Whether a convolution asked to run channels-last should compute so (see above)."""
    return min(g.C, g.O) >= _MIN_CHANNELS


def _windows(xl, g):
    """The (N, Ho, Wo, kh, kw, C) strided view of each output position's kernel window in the
    zero-padded channels-last input ``xl`` (N, H, W, C)."""
    if g.pt or g.pb or g.pl or g.pr:
        xb = np.zeros((g.N, g.Hb, g.Wb, g.C), dtype=xl.dtype)
        xb[:, g.pt : g.pt + g.H, g.pl : g.pl + g.W] = xl
    else:
        xb = xl
    sn, sy, sx, sc = xb.strides
    shape = (g.N, g.Ho, g.Wo, g.kh, g.kw, g.C)
    strides = (sn, g.sh * sy, g.sw * sx, g.dh * sy, g.dw * sx, sc)
    return np.ndarray(shape, xb.dtype, xb, 0, strides)


def _column_blocks(windows, k):
    """Yield (n0, n, columns (n*Ho*Wo, k)): a few images' windows copied into one buffer,
    reused from block to block (use each before the next)."""
    N, Ho, Wo = windows.shape[:3]
    per_image = Ho * Wo * k * windows.dtype.itemsize
    per_block = max(1, min(N, _BLOCK_BYTES // max(per_image, 1)))
    buf = np.empty((per_block, *windows.shape[1:]), dtype=windows.dtype)
    for n0 in range(0, N, per_block):
        n = min(per_block, N - n0)
        block = buf[:n]
        block[...] = windows[n0 : n0 + n]
        yield n0, n, block.reshape(n * Ho * Wo, k)


def conv_forward_channels_last(x, w, bias, g):
    """The convolution of x (N, C, H, W) (any layout) with w (O, C, kh, kw): the output as an
    (N, O, Ho, Wo) channels-last array, and x's channels-last (N, H, W, C) array (for the
    backward)."""
    xl = to_channels_last(x)
    k = g.kh * g.kw * g.C
    w_cols = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(k, g.O)  # rows (i, j, c)
    y = np.empty((g.N, g.Ho, g.Wo, g.O), dtype=x.dtype)
    rows = y.reshape(-1, g.O)
    P = g.Ho * g.Wo
    for n0, n, cols in _column_blocks(_windows(xl, g), k):
        np.matmul(cols, w_cols, out=rows[n0 * P : (n0 + n) * P])
    if bias is not None:
        rows += bias
    return y.transpose(0, 3, 1, 2), xl


def conv_backward_channels_last(grad, xl, w, g, need_x, need_w):
    """(dx, dw) of :func:`conv_forward_channels_last` from the output gradient (N, O, Ho, Wo)
    (any layout): dx an (N, C, H, W) channels-last array, dw in w's (O, C, kh, kw) layout;
    each None where not needed."""
    gl = to_channels_last(grad)
    full = input_gradient_geometry(g)
    if full is not None:
        return _backward_by_full_convolution(gl, xl, w, g, full, need_x, need_w)
    k = g.kh * g.kw * g.C
    grad_rows = gl.reshape(-1, g.O)
    P = g.Ho * g.Wo
    dw_cols = np.zeros((k, g.O), dtype=gl.dtype) if need_w else None
    if need_w:
        for n0, n, cols in _column_blocks(_windows(xl, g), k):
            dw_cols += cols.T @ grad_rows[n0 * P : (n0 + n) * P]
    dx = None
    if need_x:
        w_rows = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(g.O, k)  # cols (i, j, c)
        dxb = np.zeros((g.N, g.Hb, g.Wb, g.C), dtype=gl.dtype)
        h_end, w_end = g.sh * (g.Ho - 1) + 1, g.sw * (g.Wo - 1) + 1
        per_block = max(1, min(g.N, _BLOCK_BYTES // max(P * k * gl.dtype.itemsize, 1)))
        for n0 in range(0, g.N, per_block):
            n = min(per_block, g.N - n0)
            dcols = grad_rows[n0 * P : (n0 + n) * P] @ w_rows
            dcols = dcols.reshape(n, g.Ho, g.Wo, g.kh, g.kw, g.C)
            for i in range(g.kh):
                for j in range(g.kw):
                    y0, x0 = i * g.dh, j * g.dw
                    window = dxb[n0 : n0 + n, y0 : y0 + h_end : g.sh, x0 : x0 + w_end : g.sw]
                    window += dcols[:, :, :, i, j]
        dx = dxb[:, g.pt : g.pt + g.H, g.pl : g.pl + g.W]
        dx = np.ascontiguousarray(dx).transpose(0, 3, 1, 2)
    dw = None
    if need_w:
        dw = np.ascontiguousarray(dw_cols.reshape(g.kh, g.kw, g.C, g.O).transpose(3, 2, 0, 1))
    return dx, dw


def _backward_by_full_convolution(gl, xl, w, g, full, need_x, need_w):
    """Stride 1: one pass of column blocks of the output gradient, windows of the flipped
    kernel's extent (rows (n, y, x), columns (i', j', o)), serves both products: dx = blocks
    @ the flipped kernel, and dw (flipped) = blocks.T @ x's rows. No im2col of x at all."""
    k = g.kh * g.kw * g.O
    P = g.H * g.W
    x_rows = xl.reshape(-1, g.C)
    dx = np.empty((g.N, g.H, g.W, g.C), dtype=gl.dtype) if need_x else None
    dx_rows = None if dx is None else dx.reshape(-1, g.C)
    flipped = None
    if need_x:  # rows (i', j', o) = w[o, c, kh-1-i', kw-1-j']
        flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(2, 3, 0, 1)).reshape(k, g.C)
    dw_flipped = np.zeros((k, g.C), dtype=gl.dtype) if need_w else None
    for n0, n, cols in _column_blocks(_windows(gl, full), k):
        rows = slice(n0 * P, (n0 + n) * P)
        if need_x:
            np.matmul(cols, flipped, out=dx_rows[rows])
        if need_w:
            dw_flipped += cols.T @ x_rows[rows]
    dw = None
    if need_w:  # back from rows (i', j', o) to (o, c, i, j)
        dw = dw_flipped.reshape(g.kh, g.kw, g.O, g.C)[::-1, ::-1].transpose(2, 3, 0, 1)
        dw = np.ascontiguousarray(dw)
    return (None if dx is None else dx.transpose(0, 3, 1, 2)), dw
