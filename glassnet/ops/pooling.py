"""Pooling over 1-D and 2-D windows: max, average, adaptive max, and separable linear maps.

Inputs are viewed as (N, C, H, W) (1-D signals get a height of 1, unbatched inputs a batch of 1).
Windows are strided views of the padded input (no copies until the reduction). Backward adds
each kernel offset's share back with one strided slice per offset; when windows do not overlap
(stride == kernel, the usual 2x2 pool) one reshape does it instead.

``SeparableMap`` applies ``out[n, c] = A @ x[n, c] @ B.T`` with small dense matrices: adaptive
average pooling and nearest/linear/bilinear interpolation are all such maps, so one forward and
one backward (the transposed matrices) serve them all.

>>> import glassnet
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4)
>>> MaxPool.apply(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1)).tolist()
[[[[5.0, 7.0], [13.0, 15.0]]]]
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module


def pool_output_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output length along one dim (ceil_mode drops a last window that would
    start in the right padding)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _as_4d(x, nd):
    """x as (N, C, H, W): add a batch of 1 to unbatched input and a height of 1 to 1-D input."""
    if x.ndim == nd + 1:
        x = x[None]
    if nd == 1:
        x = x[:, :, None, :]
    return x


class _Windows:
    """The window geometry of one pooling call, in 2-D (a 1-D pool has kh = 1)."""

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode):
        self.N, self.C, self.H, self.W = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.dh, self.dw = dilation
        self.Ho = pool_output_size(self.H, self.kh, self.sh, self.ph, self.dh, ceil_mode)
        self.Wo = pool_output_size(self.W, self.kw, self.sw, self.pw, self.dw, ceil_mode)
        # Buffer large enough for every window, including ceil_mode's partial last one.
        self.Hb = max(self.H + 2 * self.ph, (self.Ho - 1) * self.sh + self.dh * (self.kh - 1) + 1)
        self.Wb = max(self.W + 2 * self.pw, (self.Wo - 1) * self.sw + self.dw * (self.kw - 1) + 1)
        self.tiled = (
            self.sh == self.kh
            and self.sw == self.kw
            and self.dh == self.dw == 1
            and self.ph == self.pw == 0
        )

    def padded(self, x, fill):
        if (self.Hb, self.Wb) == (self.H, self.W):
            return x
        xp = get_array_module(x)
        buf = xp.full((self.N, self.C, self.Hb, self.Wb), fill, dtype=x.dtype)
        buf[:, :, self.ph : self.ph + self.H, self.pw : self.pw + self.W] = x
        return buf

    def view(self, xb):
        """(N, C, Ho, Wo, kh, kw) strided view of the padded input."""
        xp = get_array_module(xb)
        sn, sc, sy, sx = xb.strides
        return xp.lib.stride_tricks.as_strided(
            xb,
            (self.N, self.C, self.Ho, self.Wo, self.kh, self.kw),
            (sn, sc, self.sh * sy, self.sw * sx, self.dh * sy, self.dw * sx),
        )

    def offsets(self, xb):
        """The (N, C, Ho, Wo) strided view of each kernel offset, row by row."""
        h_end, w_end = self.sh * (self.Ho - 1) + 1, self.sw * (self.Wo - 1) + 1
        for i in range(self.kh):
            for j in range(self.kw):
                y0, x0 = i * self.dh, j * self.dw
                yield xb[:, :, y0 : y0 + h_end : self.sh, x0 : x0 + w_end : self.sw]

    def scatter(self, parts, dtype, xp):
        """Sum per-offset gradients ``parts(i, j) -> (N, C, Ho, Wo)`` back into (N, C, H, W)."""
        # Non-overlapping windows (the usual 2x2 pool) are plain writes; others accumulate.
        make = (
            xp.empty
            if self.tiled and (self.Ho * self.kh, self.Wo * self.kw) == (self.H, self.W)
            else xp.zeros
        )
        dxb = make((self.N, self.C, self.Hb, self.Wb), dtype=dtype)
        views = self.offsets(dxb)
        for i in range(self.kh):
            for j in range(self.kw):
                view = next(views)
                if self.tiled:
                    view[...] = parts(i, j)
                else:
                    view += parts(i, j)
        if (self.Hb, self.Wb) == (self.H, self.W):
            return dxb
        return dxb[:, :, self.ph : self.ph + self.H, self.pw : self.pw + self.W]


def _fill_low(dtype, xp):
    floating = dtype.kind == "f" or dtype.name == "bfloat16"  # ml_dtypes' kind is "V"
    return -xp.inf if floating else xp.iinfo(dtype).min


def _running_max(w, xb):
    """The max over each window of the padded input: one ``maximum`` per kernel offset."""
    xp = get_array_module(xb)
    views = w.offsets(xb)
    best = next(views).copy()
    for view in views:
        xp.maximum(best, view, out=best)
    return best


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


def _rank_one_pair(a, b):
    """Both maps one row (a global average), or both one column (its adjoint)."""
    return (a.shape[0] == 1 and b.shape[0] == 1) or (a.shape[1] == 1 and b.shape[1] == 1)


def _separable_rank_one(xp, x, a, b):
    """``_separable`` where both maps are a single row (global average pooling: A (1, H),
    B (1, W)) or a single column (its backward): one matrix-vector product against the
    (H*W,) weights ``kron(A, B)``, or one outer product, instead of two products and a
    transposed copy (3x faster on the squeeze-and-excitation blocks of EfficientNet)."""
    lead = x.shape[:-2]
    weights = xp.multiply.outer(a.ravel(), b.ravel()).ravel()  # (H*W,) or (H'*W',)
    if a.shape[0] == 1 and b.shape[0] == 1:  # (..., H, W) -> (..., 1, 1)
        flat = x.reshape(-1, x.shape[-2] * x.shape[-1])
        return (flat @ weights).reshape(*lead, 1, 1)
    # (..., 1, 1) -> (..., H', W'): each input number spread over the whole grid
    out = x.reshape(-1, 1) * weights
    return out.reshape(*lead, a.shape[0], b.shape[0])


class SeparableMap(Function):
    """out[n, c] = A @ x[n, c] @ B.T over the last two dims (A or B None: that dim unchanged).

    Matrices are constants (no gradient). Used by adaptive average pooling and interpolation.
    """

    saves_inputs = False

    def forward(self, x, a, b):
        self.a, self.b = a, b
        return _separable(x, a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        return (
            _separable(grad, None if a is None else a.T, None if b is None else b.T),
            None,
            None,
        )


def _separable(x, a, b):
    xp = get_array_module(x)
    if a is not None and b is not None and _rank_one_pair(a, b):
        return _separable_rank_one(xp, x, a, b)
    if b is not None:
        lead = x.shape[:-1]
        x = (x.reshape(-1, x.shape[-1]) @ b.T).reshape(*lead, b.shape[0])
    if a is not None:
        # Contract dim -2 with A in one matmul: move it first, then back.
        moved = xp.moveaxis(x, -2, 0)
        rest = moved.shape[1:]
        y = (a @ moved.reshape(moved.shape[0], -1)).reshape(a.shape[0], *rest)
        x = xp.ascontiguousarray(xp.moveaxis(y, 0, -2))
    return x
