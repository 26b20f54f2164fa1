"""The shared geometry of a 2-D convolution and its im2col columns, built a block at a time.

``column_blocks`` yields the im2col matrix of a few images at a time, so the matmul that reads a
block finds it still in the CPU cache; ``image_columns`` is the one-image case (batch-1
inference). Row (c, i, j) of a column matrix holds kernel offset (i, j) of channel c under every
output position.

>>> import numpy as np
>>> g = Geometry((1, 1, 3, 3), (1, 1, 2, 2), (1, 1), (0, 0, 0, 0), (1, 1), 1)
>>> [cols.tolist() for _, _, cols in column_blocks(np.arange(9.0).reshape(1, 1, 3, 3), g)]
[[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
"""

from __future__ import annotations

from glassnet.backend import get_array_module


class Geometry:
    """Sizes of one 2-D convolution: input (N, C, H, W), weight (O, C/G, kh, kw), output
    (N, O, Ho, Wo), padding (top, bottom, left, right), stride, dilation, groups."""

    __slots__ = (
        "N",
        "C",
        "H",
        "W",
        "O",
        "kh",
        "kw",
        "sh",
        "sw",
        "dh",
        "dw",
        "pt",
        "pb",
        "pl",
        "pr",
        "Ho",
        "Wo",
        "Hb",
        "Wb",
        "G",
    )

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups, out_hw=None):
        self.N, self.C, self.H, self.W = x_shape
        self.O, _, self.kh, self.kw = w_shape
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = padding
        self.G = groups
        # The padded buffer, and the output: the windows that fit in it.
        self.Hb = self.H + self.pt + self.pb
        self.Wb = self.W + self.pl + self.pr
        if out_hw is None:
            out_hw = (
                (self.Hb - self.dh * (self.kh - 1) - 1) // self.sh + 1,
                (self.Wb - self.dw * (self.kw - 1) - 1) // self.sw + 1,
            )
        self.Ho, self.Wo = out_hw

    @property
    def unit_stride(self):
        return self.sh == 1 and self.sw == 1


def input_gradient_geometry(g):
    """For a stride-1 convolution ``g``, the geometry of its input gradient as a convolution of
    the output gradient (padded by the dilated kernel extent less each padding) with the
    flipped kernel; None when that is not stride 1 or does not give the input's size (a
    padding wider than the kernel)."""
    if not g.unit_stride:
        return None
    ext_h, ext_w = g.dh * (g.kh - 1), g.dw * (g.kw - 1)
    pads = (ext_h - g.pt, ext_h - g.pb, ext_w - g.pl, ext_w - g.pr)
    if min(pads) < 0:
        return None
    full = Geometry(
        (g.N, g.O, g.Ho, g.Wo), (g.C, g.O // g.G, g.kh, g.kw), (1, 1), pads, (g.dh, g.dw), g.G
    )
    return full if (full.Ho, full.Wo) == (g.H, g.W) else None


def _padded(x, g):
    """The zero-padded input (N, C, Hb, Wb) (x itself when there is no padding)."""
    if g.pt == g.pb == g.pl == g.pr == 0:
        return x
    xp = get_array_module(x)
    buf = xp.zeros((g.N, g.C, g.Hb, g.Wb), dtype=x.dtype)
    buf[:, :, g.pt : g.pt + g.H, g.pl : g.pl + g.W] = x
    return buf


# Columns are built and consumed a few images at a time, so each block (about this many bytes)
# is still in the CPU cache when its matmul reads it: 1.2-1.5x faster than one big im2col and
# matmul on CIFAR-sized layers. 1 MiB rather than 512 KiB: the matmuls of the CIFAR ResNet's
# 32- and 64-channel 3x3 layers get wider (3 images of 16x16 per block instead of 1, 7 of 8x8
# instead of 3), 1-9% faster per layer, forward and backward (1 BLAS thread, best of 9
# interleaved rounds; within the noise of a whole training step); 4 MiB loses 5-25%.
_BLOCK_BYTES = 1 << 20


def _images_per_block(x, g, rows):
    """How many images one column block covers (all of them on a GPU: one big matmul)."""
    xp = get_array_module(x)
    if xp.__name__ != "numpy":
        return g.N
    per_image = rows * g.Ho * g.Wo * x.dtype.itemsize
    return max(1, min(g.N, _BLOCK_BYTES // max(per_image, 1)))


def column_blocks(x, g, keep=None):
    """Yield (n0, n, columns): the im2col matrix (C*kh*kw, n*Ho*Wo) of images n0..n0+n-1 of
    x (N, C, H, W); row (c, i, j) holds kernel offset (i, j) of channel c under every output
    position. Blocks share one buffer (use each before the next), unless ``keep``, a
    (C*kh*kw, N*Ho*Wo) array, is given: the blocks are then its column slices."""
    xp = get_array_module(x)
    rows, P = g.C * g.kh * g.kw, g.Ho * g.Wo
    per_block = _images_per_block(x, g, rows)
    buf = keep if keep is not None else xp.empty((rows, per_block * P), dtype=x.dtype)
    two_step = xp.__name__ == "numpy" and g.kh > 1
    if two_step:
        # Two copies beat one: first each horizontal shift of the rows (C, kw, n, Hb, Wo), then
        # each vertical shift is a run of whole rows in that (one contiguous Ho*Wo run per
        # image at stride 1), instead of one short Wo-long inner loop per output row and
        # offset: 1.2-1.6x faster for 16x16 and 8x8 images. The shifts are copied straight
        # from x into a buffer whose padding is zeroed once, with no padded copy of x.
        shifted = xp.zeros((g.C, g.kw, per_block, g.Hb, g.Wo), dtype=x.dtype)
        isz = x.dtype.itemsize
        t0, t1, t2 = shifted.strides[:3]
        rows_view = (t0, g.dh * g.Wo * isz, t1, t2, g.sh * g.Wo * isz, isz)
        shifts = _horizontal_shifts(g)
    else:
        xb = _padded(x, g)
        sn, sc, sy, sx = xb.strides
        fast = xp.__name__ == "numpy" and xb.flags.c_contiguous
        strides = (sc, g.dh * sy, g.dw * sx, sn, g.sh * sy, g.sw * sx)
    for n0 in range(0, g.N, per_block):
        n = min(per_block, g.N - n0)
        shape = (g.C, g.kh, g.kw, n, g.Ho, g.Wo)
        if two_step:
            src = x[n0 : n0 + n].transpose(1, 0, 2, 3)
            for j, lo, hi, start, stop in shifts:
                shifted[:, j, :n, g.pt : g.pt + g.H, lo:hi] = src[..., start : stop : g.sw]
            view = xp.ndarray(shape, x.dtype, shifted, 0, rows_view)
        elif fast:
            # The ndarray constructor makes the same view ~7x faster than as_strided (which
            # matters for small batches, where per-call overhead dominates).
            view = xp.ndarray(shape, xb.dtype, xb, n0 * sn, strides)
        else:
            view = xp.lib.stride_tricks.as_strided(xb[n0:], shape, strides)
        if keep is None:
            cols = buf[:, : n * P]
            cols.reshape(shape)[...] = view
        else:
            cols = buf[:, n0 * P : (n0 + n) * P]
            buf.reshape(g.C, g.kh, g.kw, g.N, g.Ho, g.Wo)[:, :, :, n0 : n0 + n] = view
        yield n0, n, cols


def _horizontal_shifts(g):
    """Per kernel column j: (j, lo, hi, start, stop), the output columns lo:hi whose input
    column (x*sw + j*dw - pl) lies inside the image, and the input columns start:stop (step sw)
    they read; the other output columns read padding."""
    out = []
    for j in range(g.kw):
        first = j * g.dw - g.pl  # the input column that output column 0 reads
        lo = max(0, -(first // g.sw))
        hi = min(g.Wo, (g.W - 1 - first) // g.sw + 1) if g.W - 1 - first >= 0 else 0
        if hi > lo:
            start = lo * g.sw + first
            out.append((j, lo, hi, start, start + (hi - lo - 1) * g.sw + 1))
    return out


def image_columns(x, g):
    """The im2col matrix (C*kh*kw, Ho*Wo) of a single NumPy image x (1, C, H, W), with the
    same two copies as ``column_blocks`` (the horizontal shifts, then whole rows of them)."""
    import numpy as np  # only called on NumPy arrays

    xb = _padded(x, g)
    if not xb.flags.c_contiguous:
        xb = np.ascontiguousarray(xb)
    _, sc, sy, sx = xb.strides
    shape = (g.C, g.kh, g.kw, g.Ho, g.Wo)
    if g.kh == 1:
        view = np.ndarray(shape, xb.dtype, xb, 0, (sc, sy, g.dw * sx, g.sh * sy, g.sw * sx))
        return view.reshape(g.C * g.kw, g.Ho * g.Wo)  # a copy, unless the view flattens
    shifted = np.ndarray((g.C, g.kw, g.Hb, g.Wo), xb.dtype, xb, 0, (sc, g.dw * sx, sy, g.sw * sx))
    shifted = shifted.copy()
    t0, t1 = shifted.strides[:2]
    isz = x.dtype.itemsize
    view = np.ndarray(
        shape, xb.dtype, shifted, 0, (t0, g.dh * g.Wo * isz, t1, g.sh * g.Wo * isz, isz)
    )
    return view.reshape(g.C * g.kh * g.kw, g.Ho * g.Wo)
