"""Sliding windows in any number of spatial dims: im2col (a strided view of every window) and
col2im (each window's values added back where they came from).

These serve the N-d convolution (conv3d, conv_transpose3d) and ``F.unfold``/``F.fold``. The
1-D/2-D convolutions keep their own tuned 2-D kernels (glassnet.ops.conv_columns).

``window_view`` is a view, not a copy: entry ``[n, c, *offset, *position]`` is input
``[n, c, position * stride + offset * dilation]`` of the padded input. ``add_windows`` is its
adjoint: it sums such an array back into a padded input, one strided slice per kernel offset.

>>> import numpy as np
>>> g = WindowGeometry(1, 1, (4,), (2,), (2,), ((0, 0),), (1,))
>>> window_view(np.arange(4.0).reshape(1, 1, 4), g)[0, 0].tolist()
[[0.0, 2.0], [1.0, 3.0]]
>>> add_windows(np.ones((1, 1, 2, 2)), g).tolist()
[[[1.0, 1.0, 1.0, 1.0]]]
"""

from __future__ import annotations

import itertools
import math

from glassnet.backend import get_array_module


class WindowGeometry:
    """Sizes of one sliding-window op: ``n`` images of ``c`` channels and spatial size
    ``spatial``; ``kernel``, ``stride`` and ``dilation`` per dim, ``pads`` as (before, after)
    per dim. ``out`` (windows per dim) is computed unless given (a transposed convolution
    knows both sizes)."""

    __slots__ = ("n", "c", "spatial", "kernel", "stride", "pads", "dilation", "padded", "out")

    def __init__(self, n, c, spatial, kernel, stride, pads, dilation, out=None):
        self.n, self.c = n, c
        self.spatial, self.kernel = tuple(spatial), tuple(kernel)
        self.stride, self.dilation = tuple(stride), tuple(dilation)
        self.pads = tuple(tuple(p) for p in pads)
        self.padded = tuple(s + a + b for s, (a, b) in zip(self.spatial, self.pads))
        if out is None:
            out = tuple(
                (p - d * (k - 1) - 1) // s + 1
                for p, k, s, d in zip(self.padded, self.kernel, self.stride, self.dilation)
            )
        self.out = tuple(out)

    @property
    def nd(self):
        return len(self.kernel)

    @property
    def window(self):
        """Elements in one window of one channel (the product of the kernel sizes)."""
        return math.prod(self.kernel)

    @property
    def positions(self):
        """Windows per image (the product of ``out``)."""
        return math.prod(self.out)

    def interior(self):
        """The index of the unpadded input inside the padded buffer."""
        return (slice(None), slice(None)) + tuple(
            slice(a, a + s) for (a, _), s in zip(self.pads, self.spatial)
        )

    def offset_slices(self):
        """Per kernel offset: (offset, the slices of the padded buffer its windows read)."""
        for offset in itertools.product(*(range(k) for k in self.kernel)):
            yield (
                offset,
                tuple(
                    slice(o * d, o * d + s * (n - 1) + 1, s)
                    for o, d, s, n in zip(offset, self.dilation, self.stride, self.out)
                ),
            )


def pad_input(x, g, fill=0):
    """x (n, c, *spatial) with g's padding (x itself when there is none)."""
    if all(a == 0 and b == 0 for a, b in g.pads):
        return x
    xp = get_array_module(x)
    buf = xp.full((x.shape[0], x.shape[1], *g.padded), fill, dtype=x.dtype)
    buf[g.interior()] = x
    return buf


def window_view(xb, g):
    """The (n, c, *kernel, *out) strided view of every window of the padded input xb."""
    xp = get_array_module(xb)
    sn, sc, *spatial_strides = xb.strides
    shape = (xb.shape[0], g.c, *g.kernel, *g.out)
    strides = (
        sn,
        sc,
        *(d * s for d, s in zip(g.dilation, spatial_strides)),
        *(st * s for st, s in zip(g.stride, spatial_strides)),
    )
    return xp.lib.stride_tricks.as_strided(xb, shape, strides)


def add_windows(cols, g):
    """The adjoint of ``window_view``: cols (n, c, *kernel, *out) summed into a zero padded
    buffer (n, c, *padded), one strided slice per kernel offset."""
    xp = get_array_module(cols)
    buf = xp.zeros((cols.shape[0], g.c, *g.padded), dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for offset, slices in g.offset_slices():
        buf[lead + slices] += cols[lead + offset]
    return buf


def crop_padding(buf, g):
    """The unpadded part of a padded buffer (buf itself when there is no padding)."""
    if all(a == 0 and b == 0 for a, b in g.pads):
        return buf
    return buf[g.interior()]
