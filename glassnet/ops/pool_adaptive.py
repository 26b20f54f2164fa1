"""Adaptive pooling: ``AdaptiveMaxPool`` and the window indices and averaging matrices of
PyTorch's adaptive windows (window i spans [floor(i*H/Ho), ceil((i+1)*H/Ho))). Adaptive average
pooling is a ``SeparableMap`` with ``adaptive_avg_matrix``.

>>> import numpy as np
>>> adaptive_avg_matrix(3, 2, "float64", np).tolist()
[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.pool_windows import _as_4d


class AdaptiveMaxPool(Function):
    """adaptive_max_pool1d/2d: window i spans [floor(i*H/Ho), ceil((i+1)*H/Ho))."""

    def forward(self, x, output_size, indices_out=None):
        xp = get_array_module(x)
        nd = len(output_size)
        self.x_shape = x.shape
        x4 = _as_4d(x, nd)
        N, C, H, W = x4.shape
        Ho, Wo = (1, *output_size) if nd == 1 else output_size
        rows, cols = _adaptive_index(H, Ho, xp), _adaptive_index(W, Wo, xp)
        # Gather every window (padded to the longest one by repeating its last element).
        win = x4[:, :, rows][:, :, :, :, cols]  # (N, C, Ho, Lh, Wo, Lw)
        win = win.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, -1)
        arg = win.argmax(axis=-1)
        out = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        lw = cols.shape[1]
        src_h = rows[xp.arange(Ho)[:, None], arg // lw]
        src_w = cols[xp.arange(Wo), arg % lw]
        self.index = src_h * W + src_w  # (N, C, Ho, Wo) flat index into each (H, W) plane
        self.shape4 = x4.shape
        if indices_out is not None:
            indices_out.append(self._shape_back(self.index, nd))
        return self._shape_back(out, nd)

    def _shape_back(self, y, nd):
        if nd == 1:
            y = y[:, :, 0, :]
        return y[0] if len(self.x_shape) == nd + 1 else y

    def backward(self, grad):
        xp = get_array_module(grad)
        N, C, H, W = self.shape4
        plane = xp.arange(N * C).reshape(N, C, 1, 1) * (H * W)
        flat = xp.bincount(
            (self.index + plane).ravel(), weights=grad.ravel(), minlength=N * C * H * W
        )
        return (flat.astype(grad.dtype, copy=False).reshape(self.x_shape),)


def _adaptive_index(size, n_out, xp):
    """(n_out, L) input indices of each adaptive window, the short ones padded with their last."""
    import numpy as np

    i = np.arange(n_out)
    start = (i * size) // n_out
    end = -((-(i + 1) * size) // n_out)
    length = int((end - start).max())
    idx = np.minimum(start[:, None] + np.arange(length), end[:, None] - 1)
    return xp.asarray(idx)


def adaptive_avg_matrix(size, n_out, dtype, xp):
    """(n_out, size) matrix that averages each adaptive window."""
    import numpy as np

    i = np.arange(n_out)
    start = (i * size) // n_out
    end = -((-(i + 1) * size) // n_out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return xp.asarray(inside / (end - start)[:, None], dtype=dtype)
