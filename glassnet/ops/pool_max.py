"""Max pooling over 1-D and 2-D windows: the ``MaxPool`` Function and ``MaxPoolPlan``, its
shape-only part that a layer keeps for gradient-free calls. The window geometry is shared with
average pooling (``pool_windows``).
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.pool_windows import _as_4d, _fill_low, _running_max, _Windows


class MaxPoolPlan:
    """The shape-only part of a max pool call (already checked by the caller), kept by a layer
    for gradient-free calls (inference) so a repeated input shape skips that work."""

    __slots__ = ("w", "nd", "unbatched", "x4_shape")

    def __init__(self, x_shape, kernel, stride, padding, dilation, ceil_mode):
        nd = self.nd = len(kernel)
        self.unbatched = len(x_shape) == nd + 1
        x4 = (1, *x_shape) if self.unbatched else tuple(x_shape)
        if nd == 1:
            x4 = (x4[0], x4[1], 1, x4[2])
            kernel, stride, padding, dilation = (
                (1, *kernel),
                (1, *stride),
                (0, *padding),
                (1, *dilation),
            )
        self.x4_shape = x4
        self.w = _Windows(x4, kernel, stride, padding, dilation, ceil_mode)

    def run(self, x):
        """The pooled array, with no graph recorded."""
        xp = get_array_module(x)
        best = _running_max(self.w, self.w.padded(x.reshape(self.x4_shape), _fill_low(x.dtype, xp)))
        if self.nd == 1:
            best = best[:, :, 0, :]
        return best[0] if self.unbatched else best


class MaxPool(Function):
    """max_pool1d/2d. ``indices_out``, a list, receives PyTorch's flat input indices.

    Forward keeps only running maxima (one ``maximum`` per kernel offset, NaN propagating as in
    PyTorch); backward finds, per window, the first offset equal to the maximum (PyTorch's tie
    rule) with cheap boolean passes, instead of tracking an argmax during the forward.
    """

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode=False, indices_out=None):
        xp = get_array_module(x)
        nd = len(kernel)
        self.x_shape = x.shape
        x4 = _as_4d(x, nd)
        if nd == 1:
            kernel, stride, padding, dilation = (
                (1, *kernel),
                (1, *stride),
                (0, *padding),
                (1, *dilation),
            )
        w = _Windows(x4.shape, kernel, stride, padding, dilation, ceil_mode)
        xb = w.padded(x4, _fill_low(x.dtype, xp))
        best = _running_max(w, xb)
        self.w, self.xb, self.best = w, xb, best
        if indices_out is not None:
            arg = xp.zeros(best.shape, dtype=xp.int64)
            for k, first in enumerate(self._firsts()):
                arg[first] = k
            rows = xp.arange(w.Ho).reshape(-1, 1) * w.sh - w.ph + (arg // w.kw) * w.dh
            cols = xp.arange(w.Wo) * w.sw - w.pw + (arg % w.kw) * w.dw
            indices_out.append(self._shape_back(rows * w.W + cols, nd))
        return self._shape_back(best, nd)

    def _firsts(self):
        """Per kernel offset, where it is the first (raster order) maximum of its window."""
        taken = None
        for view in self.w.offsets(self.xb):
            hit = view == self.best
            if taken is None:
                taken = hit.copy()
            else:
                xp = get_array_module(hit)
                xp.greater(hit, taken, out=hit)  # hit and not already taken
                taken |= hit
            yield hit

    def _shape_back(self, y, nd):
        if nd == 1:
            y = y[:, :, 0, :]
        return y[0] if len(self.x_shape) == nd + 1 else y

    def backward(self, grad):
        w = self.w
        xp = get_array_module(grad)
        grad = grad.reshape(w.N, w.C, w.Ho, w.Wo)
        covered = (w.Ho * w.kh, w.Wo * w.kw) == (w.Hb, w.Wb)
        dxb = (xp.empty if w.tiled and covered else xp.zeros)(
            (w.N, w.C, w.Hb, w.Wb), dtype=grad.dtype
        )
        for view, first in zip(w.offsets(dxb), self._firsts()):
            if w.tiled:  # windows do not overlap: write each offset's share in place
                xp.multiply(grad, first, out=view)
            else:
                view += grad * first
        dx = dxb
        if (w.Hb, w.Wb) != (w.H, w.W):
            dx = dxb[:, :, w.ph : w.ph + w.H, w.pw : w.pw + w.W]
        return (dx.reshape(self.x_shape),)
