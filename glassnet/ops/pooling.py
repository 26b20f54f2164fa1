"""Pooling over 1-D and 2-D windows: max, average, adaptive max, and separable linear maps.

Inputs are viewed as (N, C, H, W) (1-D signals get a height of 1, unbatched inputs a batch of 1).
Windows are strided views of the padded input (no copies until the reduction). Backward adds
each kernel offset's share back with one strided slice per offset; when windows do not overlap
(stride == kernel, the usual 2x2 pool) one reshape does it instead.

``SeparableMap`` applies ``out[n, c] = A @ x[n, c] @ B.T`` with small dense matrices: adaptive
average pooling and nearest/linear/bilinear interpolation are all such maps, so one forward and
one backward (the transposed matrices) serve them all.

Average pooling (``AvgPool``) lives here; max pooling in ``pool_max``, adaptive max pooling in
``pool_adaptive``, ``SeparableMap`` in ``separable_map`` and the shared window geometry in
``pool_windows``; this module re-exports them all.

>>> import glassnet
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> MaxPool.apply(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1)).tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.pool_adaptive import (  # noqa: F401 - re-exported
    AdaptiveMaxPool,
    _adaptive_index,
    adaptive_avg_matrix,
)
from glassnet.ops.pool_max import MaxPool, MaxPoolPlan  # noqa: F401 - re-exported
from glassnet.ops.pool_windows import (  # noqa: F401 - re-exported
    _as_4d,
    _fill_low,
    _running_max,
    _Windows,
    pool_output_size,
)
from glassnet.ops.separable_map import (  # noqa: F401 - re-exported
    SeparableMap,
    _rank_one_pair,
    _separable,
    _separable_rank_one,
)


class AvgPool(Function):
    """avg_pool1d/2d with PyTorch's divisor rules (count_include_pad, ceil_mode, override)."""

    saves_inputs = False

    def forward(
        self,
        x,
        kernel,
        stride,
        padding,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        xp = get_array_module(x)
        nd = len(kernel)
        self.x_shape = x.shape
        x4 = _as_4d(x, nd)
        if nd == 1:
            kernel, stride, padding = (1, *kernel), (1, *stride), (0, *padding)
        w = _Windows(x4.shape, kernel, stride, padding, (1, 1), ceil_mode)
        self.w = w
        if w.tiled and (w.Ho * w.kh, w.Wo * w.kw) == (w.H, w.W) and divisor_override is None:
            out = x4.reshape(w.N, w.C, w.Ho, w.kh, w.Wo, w.kw).mean(axis=(3, 5))
            self.scale = None
        else:
            total = w.view(w.padded(x4, 0)).sum(axis=(4, 5))
            if divisor_override is not None:
                div = xp.full((w.Ho, w.Wo), divisor_override, dtype=x.dtype)
            else:
                div = xp.asarray(self._counts(w, count_include_pad), dtype=x.dtype)
            self.scale = 1 / div
            out = total * self.scale
        if nd == 1:
            out = out[:, :, 0, :]
        return out[0] if len(self.x_shape) == nd + 1 else out

    @staticmethod
    def _counts(w, include_pad):
        import numpy as np  # the divisor table is tiny: build it on the host

        def along(n_out, stride, pad, k, size):
            start = np.arange(n_out) * stride - pad
            end = np.minimum(start + k, size + pad)
            whole = end - start
            clipped = np.minimum(end, size) - np.maximum(start, 0)
            return whole if include_pad else clipped

        return np.outer(along(w.Ho, w.sh, w.ph, w.kh, w.H), along(w.Wo, w.sw, w.pw, w.kw, w.W))

    def backward(self, grad):
        w = self.w
        xp = get_array_module(grad)
        grad = grad.reshape(w.N, w.C, w.Ho, w.Wo)
        if self.scale is None:
            share = grad * grad.dtype.type(1 / (w.kh * w.kw))
            dx = xp.broadcast_to(share[:, :, :, None, :, None], (w.N, w.C, w.Ho, w.kh, w.Wo, w.kw))
            dx = dx.reshape(w.N, w.C, w.H, w.W)
        else:
            share = grad * self.scale
            dx = w.scatter(lambda i, j: share, grad.dtype, xp)
        return (dx.reshape(self.x_shape),)
