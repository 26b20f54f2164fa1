"""Convolution as matrix products: conv1d/conv2d and conv_transpose1d/2d, forward and backward.

Every convolution is lowered to one 2-D geometry (1-D signals get a height of 1) and three
kernels that share it:

- ``conv_forward``: ``im2col`` copies each kernel offset's strided view of the padded input into
  a ``(C*kh*kw, N*Ho*Wo)`` matrix, then one BLAS matmul with the ``(O, C*kh*kw)`` weight;
- ``conv_grad_weight``: the output gradient ``(O, N*Ho*Wo)`` times that same matrix transposed;
- ``conv_grad_input``: the weight transposed times the output gradient, then ``col2im`` adds each
  kernel offset's columns back into the padded input. For stride 1 the gradient is laid out over
  the padded image (zeros where no output is), so each offset's contribution is one long
  contiguous slice of a flat buffer: much faster than strided 4-D adds.

A transposed convolution is the adjoint of a convolution: its forward is ``conv_grad_input`` and
its backward uses ``conv_forward`` and ``conv_grad_weight``.

>>> import glassnet
>>> x = glassnet.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
>>> w = glassnet.ones(1, 1, 2, 2, requires_grad=True)
>>> y = Convolution.apply(x, w, None, stride=(2, 2), padding=(0, 0, 0, 0))
>>> y.tolist()
[[[[10.0, 18.0], [42.0, 50.0]]]]
>>> y.sum().backward()
>>> w.grad.tolist()
[[[[20.0, 24.0], [36.0, 40.0]]]]
"""

from __future__ import annotations

from glassnet.autograd import Function
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


def _padded(x, g, layout_cn=False):
    """The zero-padded input (N, C, Hb, Wb), or (C, N, Hb, Wb) with ``layout_cn``."""
    xp = get_array_module(x)
    if not layout_cn and g.pt == g.pb == g.pl == g.pr == 0:
        return x
    shape = (g.C, g.N, g.Hb, g.Wb) if layout_cn else (g.N, g.C, g.Hb, g.Wb)
    buf = xp.zeros(shape, dtype=x.dtype)
    src = x.transpose(1, 0, 2, 3) if layout_cn else x
    buf[:, :, g.pt : g.pt + g.H, g.pl : g.pl + g.W] = src
    return buf


def im2col(x, g):
    """(N, C, H, W) -> columns (C*kh*kw, N*Ho*Wo): row (c, i, j) holds kernel offset (i, j) of
    channel c under every output position."""
    xp = get_array_module(x)
    xb = _padded(x, g)
    sn, sc, sy, sx = xb.strides
    shape = (g.C, g.kh, g.kw, g.N, g.Ho, g.Wo)
    strides = (sc, g.dh * sy, g.dw * sx, sn, g.sh * sy, g.sw * sx)
    if xp.__name__ == "numpy" and xb.flags.c_contiguous:
        # The ndarray constructor makes the same view ~7x faster than as_strided (which
        # matters for small batches, where per-call overhead dominates).
        view = xp.ndarray(shape, xb.dtype, xb, 0, strides)
    else:
        view = xp.lib.stride_tricks.as_strided(xb, shape, strides)
    return xp.ascontiguousarray(view).reshape(g.C * g.kh * g.kw, g.N * g.Ho * g.Wo)


def _to_nchw(y, g, n_rows, rows_h, rows_w):
    """(R, N*rows_h*rows_w) -> (N, R, Ho, Wo) contiguous, dropping padded-layout garbage."""
    xp = get_array_module(y)
    y = y.reshape(n_rows, g.N, rows_h, rows_w)
    if rows_h != g.Ho or rows_w != g.Wo:
        y = y[:, :, : g.Ho, : g.Wo]
    return xp.ascontiguousarray(y.transpose(1, 0, 2, 3))


def conv_forward(x, w, bias, g):
    """The convolution of x (N, C, H, W) with w (O, C/G, kh, kw): returns (output, columns)."""
    cols = im2col(x, g)
    wm = w.reshape(g.O, -1)
    if g.G == 1:
        y = wm @ cols
    else:
        y = _grouped_matmul_w(wm, cols, g.G)
    if bias is not None:
        y += bias.reshape(-1, 1)
    return _to_nchw(y, g, g.O, g.Ho, g.Wo), cols


def _grouped_matmul_w(wm, cols, G):
    """wm (O, K/G) grouped against cols (K, M): out (O, M)."""
    xp = get_array_module(wm)
    n_out, kg = wm.shape
    out = xp.matmul(wm.reshape(G, n_out // G, kg), cols.reshape(G, kg, cols.shape[1]))
    return out.reshape(n_out, cols.shape[1])


def _grad_rows(grad, g):
    """The output gradient as (O, N*Ho*Wo)."""
    xp = get_array_module(grad)
    return xp.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(g.O, -1)


def conv_grad_weight(grad_rows, cols, g, w_shape):
    """dL/dw from the output gradient (O, N*Ho*Wo) and the forward's columns (K, N*Ho*Wo)."""
    if g.G == 1:
        return (grad_rows @ cols.T).reshape(w_shape)
    xp = get_array_module(cols)
    n_out, M = grad_rows.shape
    gr = grad_rows.reshape(g.G, n_out // g.G, M)
    cc = cols.reshape(g.G, -1, M)
    return xp.matmul(gr, cc.transpose(0, 2, 1)).reshape(w_shape)


def conv_grad_input(grad, w, g, grad_rows=None):
    """dL/dx (N, C, H, W) of a convolution, from the output gradient (N, O, Ho, Wo)."""
    xp = get_array_module(grad)
    K = g.C // g.G * g.kh * g.kw
    wt = w.reshape(g.G, g.O // g.G, K).transpose(0, 2, 1)  # (G, K, O/G)
    if g.unit_stride:
        # Lay the gradient over the padded image so each offset is one contiguous slice.
        gb = xp.zeros((g.O, g.N, g.Hb, g.Wb), dtype=grad.dtype)
        src = grad.transpose(1, 0, 2, 3) if grad_rows is None else grad_rows
        gb[:, :, : g.Ho, : g.Wo] = src.reshape(g.O, g.N, g.Ho, g.Wo)
        M = g.N * g.Hb * g.Wb
        gm = gb.reshape(g.O, M)
        dcols = wt[0] @ gm if g.G == 1 else xp.matmul(wt, gm.reshape(g.G, -1, M))
        dcols = dcols.reshape(g.C, g.kh, g.kw, M)
        span = (g.kh - 1) * g.dh * g.Wb + (g.kw - 1) * g.dw
        flat = xp.zeros((g.C, M + span), dtype=grad.dtype)
        for i in range(g.kh):
            for j in range(g.kw):
                off = i * g.dh * g.Wb + j * g.dw
                flat[:, off : off + M] += dcols[:, i, j]
        dxb = flat[:, :M].reshape(g.C, g.N, g.Hb, g.Wb)
    else:
        if grad_rows is None:
            grad_rows = _grad_rows(grad, g)
        M = grad_rows.shape[1]
        if g.G == 1:
            dcols = wt[0] @ grad_rows
        else:
            dcols = xp.matmul(wt, grad_rows.reshape(g.G, -1, M))
        dcols = dcols.reshape(g.C, g.kh, g.kw, g.N, g.Ho, g.Wo)
        dxb = xp.zeros((g.C, g.N, g.Hb, g.Wb), dtype=grad.dtype)
        h_end, w_end = g.sh * (g.Ho - 1) + 1, g.sw * (g.Wo - 1) + 1
        for i in range(g.kh):
            for j in range(g.kw):
                y0, x0 = i * g.dh, j * g.dw
                dxb[:, :, y0 : y0 + h_end : g.sh, x0 : x0 + w_end : g.sw] += dcols[:, i, j]
    dx = dxb[:, :, g.pt : g.pt + g.H, g.pl : g.pl + g.W]
    return xp.ascontiguousarray(dx.transpose(1, 0, 2, 3))


def _as_4d(x, w):
    """View x and w as 2-D convolution operands: add the batch dim of an unbatched input and a
    height of 1 to 1-D signals."""
    if x.ndim == w.ndim - 1:
        x = x[None]
    if w.ndim == 3:
        x = x[:, :, None, :]
        w = w[:, :, None, :]
    return x, w


class Convolution(Function):
    """conv1d/conv2d of x with weight w and optional bias. ``padding`` is (top, bottom, left,
    right) for 2-D and (left, right) for 1-D; ``stride``/``dilation`` are per spatial dim."""

    def forward(self, x, w, bias, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        self.x_shape, self.w_shape = x.shape, w.shape
        x4, w4 = _as_4d(x, w)
        if w.ndim == 3:
            stride, dilation, padding = (1, *stride), (1, *dilation), (0, 0, *padding)
        g = Geometry(x4.shape, w4.shape, stride, padding, dilation, groups)
        y, cols = conv_forward(x4, w4, bias, g)
        self.g, self.w4, self.cols = g, w4, cols
        self.has_bias = bias is not None
        return y.reshape(self._out_shape(y))

    def _out_shape(self, y):
        shape = y.shape if len(self.w_shape) == 4 else (y.shape[0], y.shape[1], y.shape[3])
        return shape[1:] if len(self.x_shape) == len(self.w_shape) - 1 else shape

    def backward(self, grad):
        g = self.g
        nodes = self.next_functions  # None where an input needs no gradient
        need_x, need_w = nodes[0] is not None, nodes[1] is not None
        grad = grad.reshape(g.N, g.O, g.Ho, g.Wo)
        grad_rows = _grad_rows(grad, g)
        dx = conv_grad_input(grad, self.w4, g, grad_rows).reshape(self.x_shape) if need_x else None
        dw = conv_grad_weight(grad_rows, self.cols, g, self.w_shape) if need_w else None
        db = grad_rows.sum(axis=1) if self.has_bias else None
        return dx, dw, db


class ConvTranspose(Function):
    """conv_transpose1d/2d: the adjoint (input gradient) of the convolution with weight w of
    shape (C_in, C_out/G, kh, kw). ``padding`` is (top, bottom, left, right) of the equivalent
    convolution and ``out_hw`` the output's spatial size."""

    def forward(
        self,
        x,
        w,
        bias,
        stride=(1, 1),
        padding=(0, 0, 0, 0),
        dilation=(1, 1),
        groups=1,
        out_size=None,
    ):
        self.x_shape, self.w_shape = x.shape, w.shape
        x4, w4 = _as_4d(x, w)
        if w.ndim == 3:
            stride, dilation, padding = (1, *stride), (1, *dilation), (0, 0, *padding)
            out_size = (1, *out_size)
        N, _, Hx, Wx = x4.shape
        cout = w4.shape[1] * groups
        pt, pb, pl, pr = padding
        y_shape = (N, cout, out_size[0], out_size[1])
        # The equivalent convolution maps y (N, C_out, H, W) to x (N, C_in, Hx, Wx).
        g = Geometry(y_shape, w4.shape, stride, padding, dilation, groups, out_hw=(Hx, Wx))
        y = conv_grad_input(x4, w4, g)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        self.g, self.w4, self.x4 = g, w4, x4
        self.has_bias = bias is not None
        out = y if w.ndim == 4 else y[:, :, 0, :]
        return out[0] if x.ndim == w.ndim - 1 else out

    def backward(self, grad):
        g = self.g
        xp = get_array_module(grad)
        grad4 = grad.reshape(g.N, g.C, g.H, g.W)
        dx = dw = db = None
        nodes = self.next_functions  # None where an input needs no gradient
        if nodes[0] is not None or nodes[1] is not None:
            # Forward of the equivalent convolution gives dx; its columns give dw.
            y, cols = conv_forward(grad4, self.w4, None, g)
            dx = y.reshape(self.x_shape) if nodes[0] is not None else None
            if nodes[1] is not None:
                dw = conv_grad_weight(_grad_rows(self.x4, g), cols, g, self.w_shape)
        if self.has_bias:
            db = xp.sum(grad4, axis=(0, 2, 3))
        return dx, dw, db


def conv_output_size(size, kernel, stride, pad_total, dilation):
    """The output length of a convolution along one dim (may be < 1 for too-small inputs)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1
