"""Convolution over any number of spatial dims (conv3d, conv_transpose3d), forward and backward.

The same three matrix products as the 2-D kernels (glassnet.ops.convolution), on im2col
matrices built a few images at a time from ``window_view`` (glassnet.ops.im2col):

- forward: the weight (O, C/G*K) times the columns (C*K, n*P) of a block of n images;
- weight gradient: the output gradient (O, n*P) times the columns transposed, summed over blocks
  (the columns are rebuilt in backward rather than kept: for volumes they are K times the size
  of the input);
- input gradient: the weight transposed times the output gradient, then ``add_windows`` sums
  each kernel offset's rows back into the padded input (col2im).

A transposed convolution is the adjoint of a convolution: its forward is the input gradient and
its backward uses the forward and the weight gradient.

>>> import glassnet
>>> x = glassnet.ones(1, 1, 3, 3, 3, requires_grad=True)
>>> w = glassnet.ones(1, 1, 2, 2, 2, requires_grad=True)
>>> y = ConvolutionNd.apply(x, w, None, (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1)
>>> y.shape, y.sum().item()
(glassnet.Size([1, 1, 2, 2, 2]), 64.0)
>>> y.sum().backward()
>>> w.grad.sum().item()
64.0
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.im2col import WindowGeometry, add_windows, crop_padding, pad_input, window_view

# Columns of about this many bytes per block: the memory of a volume's im2col stays bounded
# (a 3x3x3 kernel makes columns 27 times the input), and each block is reused while cached.
_BLOCK_BYTES = 1 << 23


def _images_per_block(xp, g, itemsize):
    if xp.__name__ != "numpy":
        return max(g.n, 1)  # a GPU: one big product
    per_image = g.c * g.window * g.positions * itemsize
    return max(1, min(g.n, _BLOCK_BYTES // max(per_image, 1)))


def _blocks(xp, g, itemsize):
    per = _images_per_block(xp, g, itemsize)
    for n0 in range(0, g.n, per):
        yield n0, min(per, g.n - n0)


def _columns(xb, g, n0, n):
    """The im2col matrix (C*K, n*P) of images n0..n0+n-1 of the padded input xb."""
    xp = get_array_module(xb)
    view = xp.moveaxis(window_view(xb[n0 : n0 + n], g), 0, 1 + g.nd)  # (C, *k, n, *out)
    return xp.ascontiguousarray(view).reshape(g.c * g.window, n * g.positions)


def _rows(a, n0, n):
    """Images n0..n0+n-1 of a (N, R, P) as the (R, n*P) rows of a block product."""
    xp = get_array_module(a)
    return xp.ascontiguousarray(a[n0 : n0 + n].transpose(1, 0, 2)).reshape(a.shape[1], -1)


def conv_forward_nd(x, w, bias, g, groups):
    """The convolution (N, O, *out) of x (N, C, *spatial) with w (O, C/G, *kernel)."""
    xp = get_array_module(x)
    n_out = w.shape[0]
    wg = w.reshape(groups, n_out // groups, -1)  # (G, O/G, C/G*K)
    xb = pad_input(x, g)
    y = xp.empty((g.n, n_out, g.positions), dtype=x.dtype)
    for n0, n in _blocks(xp, g, x.dtype.itemsize):
        cols = _columns(xb, g, n0, n)
        part = xp.matmul(wg, cols.reshape(groups, wg.shape[2], -1)).reshape(n_out, n, -1)
        y[n0 : n0 + n] = part.transpose(1, 0, 2)
    if bias is not None:
        y += bias.reshape(-1, 1)
    return y.reshape(g.n, n_out, *g.out)


def conv_grad_input_nd(grad, w, g, groups):
    """dL/dx (N, C, *spatial) of a convolution, from the output gradient (N, O, *out)."""
    xp = get_array_module(grad)
    n_out = w.shape[0]
    wt = w.reshape(groups, n_out // groups, -1).transpose(0, 2, 1)  # (G, C/G*K, O/G)
    grad = grad.reshape(g.n, n_out, g.positions)
    dx = xp.empty((g.n, g.c, *g.spatial), dtype=grad.dtype)
    for n0, n in _blocks(xp, g, grad.dtype.itemsize):
        rows = _rows(grad, n0, n).reshape(groups, n_out // groups, -1)
        dcols = xp.matmul(wt, rows).reshape(g.c, *g.kernel, n, *g.out)
        dxb = add_windows(xp.moveaxis(dcols, 1 + g.nd, 0), g)
        dx[n0 : n0 + n] = crop_padding(dxb, g)
    return dx


def conv_grad_weight_nd(grad, x, g, groups, w_shape):
    """dL/dw (O, C/G, *kernel) from the output gradient (N, O, *out) and the input x."""
    xp = get_array_module(x)
    n_out = w_shape[0]
    grad = grad.reshape(g.n, n_out, g.positions)
    xb = pad_input(x, g)
    dw = xp.zeros((groups, n_out // groups, g.c // groups * g.window), dtype=x.dtype)
    for n0, n in _blocks(xp, g, x.dtype.itemsize):
        cols = _columns(xb, g, n0, n).reshape(groups, -1, n * g.positions)
        rows = _rows(grad, n0, n).reshape(groups, n_out // groups, -1)
        dw += xp.matmul(rows, cols.transpose(0, 2, 1))
    return dw.reshape(w_shape)


def _bias_grad(grad, n_out):
    return grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))


class ConvolutionNd(Function):
    """A convolution of x (N, C, *spatial) (or unbatched (C, *spatial)) with w (O, C/G,
    *kernel) and an optional bias; ``pads`` lists (before, after) per spatial dim."""

    def forward(self, x, w, bias, stride, pads, dilation, groups):
        self.x_shape = x.shape
        if x.ndim == w.ndim - 1:
            x = x[None]
        g = WindowGeometry(x.shape[0], x.shape[1], x.shape[2:], w.shape[2:], stride, pads, dilation)
        self.g, self.groups, self.x, self.w = g, groups, x, w
        self.has_bias = bias is not None
        y = conv_forward_nd(x, w, bias, g, groups)
        return y[0] if len(self.x_shape) == w.ndim - 1 else y

    def backward(self, grad):
        g, groups, w = self.g, self.groups, self.w
        grad = grad.reshape(g.n, w.shape[0], *g.out)
        need_x, need_w = self.next_functions[0] is not None, self.next_functions[1] is not None
        dx = conv_grad_input_nd(grad, w, g, groups).reshape(self.x_shape) if need_x else None
        dw = conv_grad_weight_nd(grad, self.x, g, groups, w.shape) if need_w else None
        db = _bias_grad(grad, w.shape[0]) if self.has_bias else None
        return dx, dw, db


class ConvTransposeNd(Function):
    """The transposed convolution of x (N, C_in, *spatial) with w (C_in, C_out/G, *kernel):
    the adjoint of the convolution that maps (N, C_out, *out_size) to x's shape."""

    def forward(self, x, w, bias, stride, pads, dilation, groups, out_size):
        self.x_shape = x.shape
        if x.ndim == w.ndim - 1:
            x = x[None]
        n_out = w.shape[1] * groups
        # The equivalent convolution: input (N, C_out, *out_size), output x's spatial size.
        g = WindowGeometry(x.shape[0], n_out, out_size, w.shape[2:], stride, pads, dilation)
        g.out = tuple(x.shape[2:])
        self.g, self.groups, self.x, self.w = g, groups, x, w
        self.has_bias = bias is not None
        y = conv_grad_input_nd(x, w, g, groups)
        if bias is not None:
            y += bias.reshape((1, -1) + (1,) * g.nd)
        return y[0] if len(self.x_shape) == w.ndim - 1 else y

    def backward(self, grad):
        g, groups, w = self.g, self.groups, self.w
        grad = grad.reshape(g.n, g.c, *g.spatial)
        need_x, need_w = self.next_functions[0] is not None, self.next_functions[1] is not None
        dx = conv_forward_nd(grad, w, None, g, groups).reshape(self.x_shape) if need_x else None
        dw = conv_grad_weight_nd(self.x, grad, g, groups, w.shape) if need_w else None
        db = _bias_grad(grad, g.c) if self.has_bias else None
        return dx, dw, db
