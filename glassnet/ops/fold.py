"""Unfold (im2col) and Fold (col2im) as differentiable ops on 4-D image batches.

``Unfold`` copies every sliding window of x (N, C, H, W) into a column: (N, C*kh*kw, L), with
rows in (channel, kernel row, kernel column) order and L windows in raster order, as PyTorch's
``F.unfold``. ``Fold`` is its adjoint: it sums such columns back into (N, C, H, W), adding
where windows overlap. Each is the other's backward.

>>> import glassnet
>>> x = glassnet.arange(9.0).reshape(1, 1, 3, 3)
>>> cols = Unfold.apply(x, (2, 2), (1, 1), (0, 0), (1, 1))
>>> cols.shape
glassnet.Size([1, 4, 4])
>>> Fold.apply(cols, (3, 3), (2, 2), (1, 1), (0, 0), (1, 1))[0, 0].tolist()
[[0.0, 2.0, 2.0], [6.0, 16.0, 10.0], [6.0, 14.0, 8.0]]
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.im2col import WindowGeometry, add_windows, crop_padding, pad_input, window_view


def _geometry(n, c, spatial, kernel, stride, padding, dilation):
    return WindowGeometry(n, c, spatial, kernel, stride, tuple((p, p) for p in padding), dilation)


def _unfold(x, g):
    xp = get_array_module(x)
    cols = xp.ascontiguousarray(window_view(pad_input(x, g), g))
    return cols.reshape(x.shape[0], g.c * g.window, g.positions)


def _fold(cols, g):
    cols = cols.reshape((cols.shape[0], g.c) + g.kernel + g.out)
    return get_array_module(cols).ascontiguousarray(crop_padding(add_windows(cols, g), g))


class Unfold(Function):
    """x (N, C, H, W) (or unbatched (C, H, W)) to its columns (N, C*K, L)."""

    saves_inputs = False

    def forward(self, x, kernel, stride, padding, dilation):
        self.unbatched = x.ndim == 3
        x = x[None] if self.unbatched else x
        self.g = _geometry(x.shape[0], x.shape[1], x.shape[2:], kernel, stride, padding, dilation)
        cols = _unfold(x, self.g)
        return cols[0] if self.unbatched else cols

    def backward(self, grad):
        dx = _fold(grad.reshape(-1, self.g.c * self.g.window, self.g.positions), self.g)
        return (dx[0] if self.unbatched else dx,)


class Fold(Function):
    """Columns (N, C*K, L) (or unbatched (C*K, L)) summed into (N, C, *output_size)."""

    saves_inputs = False

    def forward(self, cols, output_size, kernel, stride, padding, dilation):
        self.unbatched = cols.ndim == 2
        cols = cols[None] if self.unbatched else cols
        channels = cols.shape[1] // math.prod(kernel)
        self.g = _geometry(cols.shape[0], channels, output_size, kernel, stride, padding, dilation)
        out = _fold(cols, self.g)
        return out[0] if self.unbatched else out

    def backward(self, grad):
        g = self.g
        cols = _unfold(grad.reshape((-1, g.c) + g.spatial), g)
        return (cols[0] if self.unbatched else cols,)
