"""Convolution as matrix products: conv1d/conv2d and conv_transpose1d/2d, forward and backward.

Every convolution is lowered to one 2-D geometry (1-D signals get a height of 1) and a few
kernels that share it:

- ``conv_forward``: ``im2col`` copies each kernel offset's strided view of the padded input into
  a ``(C*kh*kw, n*Ho*Wo)`` matrix, a few images at a time (``column_blocks``: each block is still
  in the CPU cache when one BLAS matmul with the ``(O, C*kh*kw)`` weight reads it);
- stride 1 and enough channels (``full_conv_backward``): the input gradient is itself a
  convolution, of the output gradient with the flipped kernel, and the column blocks of the
  output gradient it is built from also give the weight gradient against the plain input. Only
  the input is kept for backward, not the kh*kw times larger columns;
- otherwise the forward keeps its columns: ``conv_grad_weight`` is the output gradient
  ``(O, N*Ho*Wo)`` times them transposed, and ``conv_grad_input`` the weight transposed times the
  output gradient, then ``col2im`` adds each kernel offset's columns back into the padded input.
  For stride 1 the gradient is laid out over the padded image (zeros where no output is), so
  each offset's contribution is one long contiguous slice of a flat buffer.

A transposed convolution is the adjoint of a convolution: its forward is ``conv_grad_input`` and
its backward uses ``conv_forward`` and ``conv_grad_weight_blocked`` (``ConvTranspose``, in
``glassnet/ops/conv_transpose.py``).

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
from glassnet.memory_formats import channels_last_array
from glassnet.ops._util import rows_dot_rows
from glassnet.ops.conv_channels_last import (
    channels_last_pays,
    conv_backward_channels_last,
    conv_forward_channels_last,
    wants_channels_last,
)
from glassnet.ops.conv_columns import (
    Geometry,
    column_blocks,
    image_columns,
    input_gradient_geometry,
)
from glassnet.ops.depthwise_conv import depthwise_conv, is_depthwise


def _block_rows(a, n0, n):
    """Images n0..n0+n-1 of a (N, R, P) as (R, n*P), the layout of a column block's product."""
    if n == 1:
        return a[n0]
    xp = get_array_module(a)
    return xp.ascontiguousarray(a[n0 : n0 + n].transpose(1, 0, 2)).reshape(a.shape[1], -1)


def _grouped(wm, cols, G):
    """wm (O, K) times cols (K, M), or per group (wm's rows and cols' rows split G ways)."""
    return wm @ cols if G == 1 else _grouped_matmul_w(wm, cols, G)


def conv_forward(x, w, bias, g, keep_cols=False):
    """The convolution (N, O, Ho, Wo) of x (N, C, H, W) with w (O, C/G, kh, kw), and its
    whole im2col matrix (C*kh*kw, N*Ho*Wo) if ``keep_cols`` (else None)."""
    xp = get_array_module(x)
    wm = w.reshape(g.O, -1)
    if g.N == 1 and g.G == 1 and not keep_cols and xp.__name__ == "numpy":
        # One image (batch-1 inference): its product is already (O, Ho*Wo), and the fewer
        # small calls matter more than the copies here.
        y = wm @ image_columns(x, g)
        if bias is not None:
            y += bias.reshape(-1, 1)
        return y.reshape(1, g.O, g.Ho, g.Wo), None
    P = g.Ho * g.Wo
    y = xp.empty((g.N, g.O, P), dtype=x.dtype)
    keep = xp.empty((g.C * g.kh * g.kw, g.N * P), dtype=x.dtype) if keep_cols else None
    for n0, n, cols in column_blocks(x, g, keep):
        if n == 1 and g.G == 1 and cols.flags.c_contiguous:
            xp.matmul(wm, cols, out=y[n0])  # one image: already in (O, Ho*Wo) layout
        else:
            y[n0 : n0 + n] = _grouped(wm, cols, g.G).reshape(g.O, n, P).transpose(1, 0, 2)
    if bias is not None:
        y += bias.reshape(-1, 1)
    return y.reshape(g.N, g.O, g.Ho, g.Wo), keep


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
        return rows_dot_rows(grad_rows, cols).reshape(w_shape)
    xp = get_array_module(cols)
    n_out, M = grad_rows.shape
    gr = grad_rows.reshape(g.G, n_out // g.G, M)
    cc = cols.reshape(g.G, -1, M)
    return xp.matmul(gr, cc.transpose(0, 2, 1)).reshape(w_shape)


def conv_grad_weight_blocked(grad, x, g, w_shape):
    """dL/dw from the output gradient (N, O, Ho, Wo) and the input x (N, C, H, W), rebuilding
    the columns block by block instead of holding them."""
    grad = grad.reshape(g.N, g.O, g.Ho * g.Wo)
    dw = None
    for n0, n, cols in column_blocks(x, g):
        part = conv_grad_weight(_block_rows(grad, n0, n), cols, g, (g.O, -1))
        if dw is None:
            dw = part
        else:
            dw += part
    if dw is None:  # an empty batch
        dw = get_array_module(x).zeros(w_shape, dtype=x.dtype)
    return dw.reshape(w_shape)


def _full_conv_geometry(g):
    """For a stride-1 convolution, the geometry of its input gradient as a convolution of the
    output gradient (padded by the kernel extent less the padding) with the flipped kernel;
    None when that does not give the input's size (a pad wider than the kernel, say), or when
    the input has few channels per group: that product's few output rows run slowly in BLAS,
    and scattering the (C*kh*kw, ...) product of the weight and the gradient is faster (3x for
    LeNet's 6-channel 5x5 layer, where 16 channels are 1.3x faster this way). None as well
    when the weight outweighs the output positions (O/G > N*Ho*Wo / 2, ResNet-18's 256- and
    512-channel layers on 4x4 and 2x2 maps): the flipped kernel and the flipped-back weight
    gradient are then two weight-sized strided copies, where the column path reads the weight
    transposed in place and its gradient comes out in the weight's own layout (with
    ``_padded_layout_pays``: forward and backward 1.3x faster for 512 channels on 2x2, batch 8)."""
    if not g.unit_stride or g.C // g.G < 16 or 2 * (g.O // g.G) > g.N * g.Ho * g.Wo:
        return None
    return input_gradient_geometry(g)


def _flipped_kernel(w, g):
    """w (O, C/G, kh, kw) as the kernel (C, O/G, kh, kw) of the input gradient's convolution:
    in and out channels swapped within each group, and rotated by 180 degrees."""
    xp = get_array_module(w)
    wg = w.reshape(g.G, g.O // g.G, g.C // g.G, g.kh, g.kw).transpose(0, 2, 1, 3, 4)
    return xp.ascontiguousarray(wg[..., ::-1, ::-1]).reshape(g.C, g.O // g.G, g.kh, g.kw)


def _padded_layout_pays(g):
    """Whether a stride-1 input gradient should run its matmul over the padded image's
    positions (so that each kernel offset adds one contiguous slice) rather than over the
    output's (then strided adds): the padding's extra columns cost O/G multiply-adds each, a
    strided add instead of a contiguous one costs about 30 (measured: the padded layout wins
    for LeNet's 5x5 layers, 1.2-1.3x; for 512 channels on 2x2 maps, where the padded image has
    4 times the columns, the matmul over the output's positions is 2.8x faster)."""
    extra = (g.N * g.Hb * g.Wb) / max(g.N * g.Ho * g.Wo, 1) - 1
    return (g.O // g.G) * extra <= 30


def conv_grad_input(grad, w, g, grad_rows=None):
    """dL/dx (N, C, H, W) of a convolution, from the output gradient (N, O, Ho, Wo)."""
    xp = get_array_module(grad)
    full = _full_conv_geometry(g)
    if full is not None:
        # Stride 1: a convolution of the gradient (blocked, cache-sized, output in place).
        return conv_forward(grad, _flipped_kernel(w, g), None, full)[0]
    K = g.C // g.G * g.kh * g.kw
    wt = w.reshape(g.G, g.O // g.G, K).transpose(0, 2, 1)  # (G, K, O/G)
    if g.unit_stride and _padded_layout_pays(g):
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


def full_conv_backward(grad, x, w, g, full, need_x, need_w):
    """(dx, dw) of a stride-1 convolution through its input gradient's convolution ``full``.

    One pass of column blocks of the output gradient (rows (o, i', j'): the gradient shifted by
    each offset of the flipped kernel, over input positions) serves both products: dx is the
    flipped kernel times the block, and since the same shifted gradient meets x in dw,
    dw flipped back = block @ x.T: no im2col of x, and nothing but x saved from the forward.
    """
    xp = get_array_module(grad)
    P = g.H * g.W
    xs = x.reshape(g.N, g.C, P)
    dx = xp.empty((g.N, g.C, P), dtype=grad.dtype) if need_x else None
    wf = _flipped_kernel(w, g).reshape(g.C, -1) if need_x else None
    dwf = None
    for n0, n, gcols in column_blocks(grad, full):
        if need_x:
            if n == 1 and g.G == 1 and gcols.flags.c_contiguous:
                xp.matmul(wf, gcols, out=dx[n0])
            else:
                dx[n0 : n0 + n] = _grouped(wf, gcols, g.G).reshape(g.C, n, P).transpose(1, 0, 2)
        if need_w:
            rows = _block_rows(xs, n0, n)  # (C, n*P)
            if g.G == 1:
                part = rows_dot_rows(gcols, rows)
            else:
                gc = gcols.reshape(g.G, -1, gcols.shape[1])
                part = xp.matmul(gc, rows.reshape(g.G, g.C // g.G, -1).transpose(0, 2, 1))
            if dwf is None:
                dwf = part
            else:
                dwf += part
    dw = None
    if need_w:
        if dwf is None:  # an empty batch
            dwf = xp.zeros((g.O * g.kh * g.kw, g.C // g.G), dtype=grad.dtype)
        # rows (o, i', j') with (i', j') = (kh-1-i, kw-1-j); columns the group's input channels
        dwf = dwf.reshape(g.O, g.kh, g.kw, g.C // g.G)[:, ::-1, ::-1]
        dw = xp.ascontiguousarray(dwf.transpose(0, 3, 1, 2))
    if dx is not None:
        dx = dx.reshape(g.N, g.C, g.H, g.W)
    return dx, dw


def _as_4d(x, w):
    """View x and w as 2-D convolution operands: add the batch dim of an unbatched input and a
    height of 1 to 1-D signals."""
    if x.ndim == w.ndim - 1:
        x = x[None]
    if w.ndim == 3:
        x = x[:, :, None, :]
        w = w[:, :, None, :]
    return x, w


class ConvPlan:
    """What a convolution call needs that depends only on the shapes and arguments: the 2-D
    geometry, and the views that turn 1-D or unbatched operands into 2-D batched ones and back.
    A layer keeps one for gradient-free calls (inference), so a repeated input shape skips the
    checks and the bookkeeping."""

    __slots__ = ("g", "x4_shape", "w4_shape", "out_shape")

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
        one_d, unbatched = len(w_shape) == 3, len(x_shape) == len(w_shape) - 1
        x4 = (1, *x_shape) if unbatched else tuple(x_shape)
        w4 = tuple(w_shape)
        if one_d:
            x4, w4 = (x4[0], x4[1], 1, x4[2]), (w4[0], w4[1], 1, w4[2])
            stride, dilation, padding = (1, *stride), (1, *dilation), (0, 0, *padding)
        self.g = g = Geometry(x4, w4, stride, padding, dilation, groups)
        self.x4_shape, self.w4_shape = x4, w4
        out = (g.N, g.O, g.Wo) if one_d else (g.N, g.O, g.Ho, g.Wo)
        self.out_shape = out[1:] if unbatched else out

    def run(self, x, w, bias):
        """The convolution's output, with no graph recorded."""
        if is_depthwise(self.x4_shape, self.w4_shape, self.g.G):  # its own kernel, no im2col
            g = self.g
            pads = (g.pt, g.pb, g.pl, g.pr)
            x4, w4 = x.reshape(self.x4_shape), w.reshape(self.w4_shape)
            y = depthwise_conv(x4, w4, bias, (g.sh, g.sw), pads, (g.dh, g.dw))
            return y.reshape(self.out_shape)
        y = conv_forward(x.reshape(self.x4_shape), w.reshape(self.w4_shape), bias, self.g)[0]
        return y.reshape(self.out_shape)


class Convolution(Function):
    """conv1d/conv2d of x with weight w and optional bias. ``padding`` is (top, bottom, left,
    right) for 2-D and (left, right) for 1-D; ``stride``/``dilation`` are per spatial dim."""

    def forward(self, x, w, bias, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        self.x_shape, self.w_shape = x.shape, w.shape
        plan = ConvPlan(x.shape, w.shape, stride, padding, dilation, groups)
        g, x4, w4 = plan.g, x.reshape(plan.x4_shape), w.reshape(plan.w4_shape)
        self.g, self.w4, self.has_bias = g, w4, bias is not None
        asked = len(plan.x4_shape) == x.ndim == 4 and wants_channels_last(x4, w4, g)
        self.channels_last = asked and channels_last_pays(g)
        if self.channels_last:  # glassnet/ops/conv_channels_last.py: the output stays so
            y, self.x4 = conv_forward_channels_last(x4, w4, bias, g)
            return y
        if asked:  # few channels: NCHW arithmetic is faster; the output keeps the format
            x4 = get_array_module(x4).ascontiguousarray(x4)
        self.full = _full_conv_geometry(g)
        # With a full-convolution backward, only the input is kept (the graph mostly holds it
        # anyway, a ReLU's output say), not the kh*kw times larger columns.
        y, self.cols = conv_forward(x4, w4, bias, g, keep_cols=self.full is None)
        self.x4 = x4
        return channels_last_array(y) if asked else y.reshape(plan.out_shape)

    def backward(self, grad):
        g = self.g
        nodes = self.next_functions  # None where an input needs no gradient
        need_x, need_w = nodes[0] is not None, nodes[1] is not None
        xp = get_array_module(grad)
        grad = grad.reshape(g.N, g.O, g.Ho, g.Wo)
        if not (need_x or need_w):
            dx = dw = None
        elif self.channels_last:
            dx, dw = conv_backward_channels_last(grad, self.x4, self.w4, g, need_x, need_w)
        elif self.full is not None:
            dx, dw = full_conv_backward(grad, self.x4, self.w4, g, self.full, need_x, need_w)
        else:
            grad_rows = _grad_rows(grad, g)
            dx = conv_grad_input(grad, self.w4, g, grad_rows) if need_x else None
            dw = conv_grad_weight(grad_rows, self.cols, g, self.w_shape) if need_w else None
        dx = None if dx is None else dx.reshape(self.x_shape)
        dw = None if dw is None else dw.reshape(self.w_shape)
        db = None
        if self.has_bias and self.channels_last:  # ones @ (N*Ho*Wo, O): one BLAS product
            rows = grad.transpose(0, 2, 3, 1).reshape(-1, g.O)
            db = xp.ones(rows.shape[0], dtype=grad.dtype) @ rows
        elif self.has_bias:  # per-channel sums by BLAS: (N, O, P) @ ones, then over the batch
            P = g.Ho * g.Wo
            db = (grad.reshape(g.N, g.O, P) @ xp.ones(P, dtype=grad.dtype)).sum(0)
        return dx, dw, db


def conv_output_size(size, kernel, stride, pad_total, dilation):
    """The output length of a convolution along one dim (may be < 1 for too-small inputs)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1
