"""Pooling over windows in any number of spatial dims (max_pool3d, avg_pool3d,
adaptive_max_pool3d), forward and backward.

Windows are strided slices of the padded input, one per kernel offset (glassnet.ops.im2col), so
no window is copied: the max is a running ``maximum`` over the offsets, the average a running
sum, and backward adds each offset's share back through the same slices. The 1-D and 2-D pools
keep their own tuned kernels (glassnet.ops.pooling).

>>> import glassnet
>>> x = glassnet.arange(8.0).reshape(1, 1, 2, 2, 2)
>>> MaxPoolNd.apply(x, (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), False, None).tolist()
[[[[[7.0]]]]]
>>> AvgPoolNd.apply(x, (2, 2, 2), (2, 2, 2), (0, 0, 0), False, True, None).tolist()
[[[[[3.5]]]]]
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.im2col import WindowGeometry, crop_padding, pad_input
from glassnet.ops.pooling import _adaptive_index, pool_output_size


def pool_geometry(shape, kernel, stride, padding, dilation, ceil_mode):
    """The window geometry of a pool over (N, C, *spatial): the padding after each dim grows
    to hold ceil_mode's partial last window."""
    spatial = shape[2:]
    out = tuple(
        pool_output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
    )
    pads = tuple(
        (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, out)
    )
    return WindowGeometry(shape[0], shape[1], spatial, kernel, stride, pads, dilation, out)


def _batched(x, nd):
    return x[None] if x.ndim == nd + 1 else x


def _lowest(dtype, xp):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


_LEAD = (slice(None), slice(None))


class MaxPoolNd(Function):
    """The max over each window; ``indices_out``, a list, receives PyTorch's flat indices into
    each (N, C) volume. Backward sends each window's gradient to its first maximum in raster
    order (PyTorch's rule for ties)."""

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        xp = get_array_module(x)
        self.x_shape = x.shape
        unbatched = x.ndim == len(kernel) + 1
        x = _batched(x, len(kernel))
        g = pool_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
        xb = pad_input(x, g, _lowest(x.dtype, xp))
        best = None
        for _, slices in g.offset_slices():
            view = xb[_LEAD + slices]
            best = view.copy() if best is None else xp.maximum(best, view, out=best)
        self.g, self.xb, self.best = g, xb, best
        if indices_out is not None:
            flat = self._indices(xp)
            indices_out.append(flat[0] if unbatched else flat)
        return best[0] if unbatched else best

    def _firsts(self):
        """Per kernel offset: (offset, where it is its window's first maximum)."""
        xp = get_array_module(self.best)
        taken = None
        for offset, slices in self.g.offset_slices():
            hit = self.xb[_LEAD + slices] == self.best
            if taken is None:
                taken = hit.copy()
            else:
                xp.greater(hit, taken, out=hit)  # a hit not already taken
                taken |= hit
            yield offset, slices, hit

    def _indices(self, xp):
        g = self.g
        flat = xp.zeros(self.best.shape, dtype=xp.int64)
        for offset, _, first in self._firsts():
            pos = 0
            for dim, (o, (before, _), s, d, n) in enumerate(
                zip(offset, g.pads, g.stride, g.dilation, g.spatial)
            ):
                shape = [1] * g.nd
                shape[dim] = g.out[dim]
                coord = (xp.arange(g.out[dim]) * s - before + o * d).reshape(shape)
                pos = pos * n + coord
            flat[first] = xp.broadcast_to(pos, flat.shape)[first]
        return flat

    def backward(self, grad):
        xp = get_array_module(grad)
        grad = grad.reshape(self.best.shape)
        dxb = xp.zeros(self.xb.shape, dtype=grad.dtype)
        for _, slices, first in self._firsts():
            dxb[_LEAD + slices] += grad * first
        return (crop_padding(dxb, self.g).reshape(self.x_shape),)


def _window_counts(g, include_pad):
    """The number of inputs (or, with ``include_pad``, of inputs and padding) under each
    window, an array of shape ``g.out``; PyTorch's divisor of avg_pool (the padding counted
    is the requested one, never ceil_mode's extra)."""
    import numpy as np  # the divisor table is tiny: built on the host

    table = np.ones((), dtype=np.int64)
    for n, k, s, (p, _), o in zip(g.spatial, g.kernel, g.stride, g.pads, g.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        count = end - start if include_pad else np.minimum(end, n) - np.maximum(start, 0)
        table = np.multiply.outer(table, count)
    return table


class AvgPoolNd(Function):
    """The mean over each window, with PyTorch's divisor (count_include_pad, ceil_mode,
    divisor_override)."""

    saves_inputs = False

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
        xp = get_array_module(x)
        self.x_shape = x.shape
        x = _batched(x, len(kernel))
        g = pool_geometry(x.shape, kernel, stride, padding, (1,) * len(kernel), ceil_mode)
        xb = pad_input(x, g)
        total = None
        for _, slices in g.offset_slices():
            view = xb[_LEAD + slices]
            total = view.copy() if total is None else xp.add(total, view, out=total)
        if divisor is None:
            divisor = _window_counts(g, count_include_pad)
        self.scale = xp.asarray(1.0 / divisor, dtype=x.dtype)
        self.g, self.padded_shape = g, xb.shape
        out = total * self.scale
        return out[0] if len(self.x_shape) == g.nd + 1 else out

    def backward(self, grad):
        xp = get_array_module(grad)
        g = self.g
        share = grad.reshape((self.padded_shape[0], g.c) + g.out) * self.scale
        dxb = xp.zeros(self.padded_shape, dtype=grad.dtype)
        for _, slices in g.offset_slices():
            dxb[_LEAD + slices] += share
        return (crop_padding(dxb, g).reshape(self.x_shape),)


class AdaptiveMaxPoolNd(Function):
    """The max over ``output_size`` evenly spread windows per dim: window i of a dim of size n
    spans [floor(i*n/o), ceil((i+1)*n/o)). Every window is gathered (the short ones padded by
    repeating their last element, which never changes a max or its first position)."""

    def forward(self, x, output_size, indices_out):
        xp = get_array_module(x)
        nd = len(output_size)
        self.x_shape = x.shape
        x = _batched(x, nd)
        spatial = x.shape[2:]
        idx = [_adaptive_index(n, o, xp) for n, o in zip(spatial, output_size)]
        win = x
        for d, index in enumerate(idx):
            win = xp.take(win, index, axis=2 + 2 * d)  # (N, C, o1, L1, ..., od, Ld, rest)
        order = (0, 1) + tuple(2 + 2 * d for d in range(nd)) + tuple(3 + 2 * d for d in range(nd))
        lengths = tuple(i.shape[1] for i in idx)
        win = win.transpose(order).reshape(x.shape[:2] + tuple(output_size) + (-1,))
        arg = win.argmax(axis=-1)
        out = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        flat = 0
        for d, (index, length) in enumerate(zip(idx, lengths)):
            inner = math.prod(lengths[d + 1 :])
            shape = [1] * nd
            shape[d] = output_size[d]
            rows = xp.arange(output_size[d]).reshape(shape)
            flat = flat * spatial[d] + index[rows, (arg // inner) % length]
        self.index, self.shape = flat, x.shape
        unbatched = len(self.x_shape) == nd + 1
        if indices_out is not None:
            indices_out.append(flat[0] if unbatched else flat)
        return out[0] if unbatched else out

    def backward(self, grad):
        xp = get_array_module(grad)
        n, c = self.shape[:2]
        volume = math.prod(self.shape[2:])
        plane = xp.arange(n * c).reshape((n, c) + (1,) * (len(self.shape) - 2)) * volume
        flat = xp.bincount(
            (self.index + plane).ravel(), weights=grad.ravel(), minlength=n * c * volume
        )
        return (flat.astype(grad.dtype, copy=False).reshape(self.x_shape),)
