"""The window geometry every 1-D and 2-D pool shares: PyTorch's output size, the (N, C, H, W)
view of an input, the padded buffer, its strided window views, the per-offset scatter that sums
gradients back, and the running max. Kept apart from the pooling Functions that use it
(``pooling``, ``pool_max``).

>>> pool_output_size(5, 2, 2, 0, 1, ceil_mode=True)
3
"""

from __future__ import annotations

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
