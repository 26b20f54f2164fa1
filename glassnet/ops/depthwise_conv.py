"""Depthwise convolution (``groups == in_channels == out_channels``), the spatial step of
MobileNet's and EfficientNet's separable convolutions, without im2col.

Each output channel sees only its own input channel, so the convolution is a sum over the
kernel offsets (i, j) of the input shifted by that offset (a strided slice of the padded
input) times one number per channel, ``w[c, 0, i, j]``:

    y[n, c] = sum_ij w[c, 0, i, j] * xpad[n, c, i*dh + sh*ho, j*dw + sw*wo]

im2col would copy the input kh*kw times and then run C tiny (1 x kh*kw) matrix products; here
every step is one elementwise pass over the output. The backward is the same sums read the
other way: dx adds ``grad * w[:, 0, i, j]`` into each offset's slice of the padded input, and
``dw[c, 0, i, j]`` is the sum of ``grad * slice`` over the batch and the positions. For NumPy
batches with many positions the forward, and at stride 1 the input gradient (a depthwise
convolution of the padded gradient with the kernel rotated by 180 degrees), are one einsum
over a window view (no copy) instead. For small images (at most 256 input pixels, the
later stages of MobileNet and EfficientNet) NumPy's passes in (N, C, H, W) order run along
rows only 2 to 16 long; there the same sums run channels-last (``_channels_last_forward``
and its backward): the input is copied once to (N, H, W, C) and every pass runs along C
contiguous numbers, 2 to 8x faster; the forward there is one einsum over the channels-last
window view, whose inner loop runs along C too.

>>> import glassnet
>>> x = glassnet.ones(1, 2, 3, 3, requires_grad=True)
>>> w = glassnet.ones(2, 1, 2, 2, requires_grad=True)
>>> y = DepthwiseConv.apply(x, w, None, (1, 1), (0, 0, 0, 0), (1, 1))
>>> y.tolist()
[[[[4.0, 4.0], [4.0, 4.0]], [[4.0, 4.0], [4.0, 4.0]]]]
>>> y.sum().backward()
>>> x.grad[0, 0].tolist()
[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module

__all__ = ["DepthwiseConv", "is_depthwise", "depthwise_conv", "depthwise_forward", "pad_input"]

# For input images of at most this many pixels, the channels-last passes are the faster way.
_CHANNELS_LAST_PIXELS = 256
# From this many positions (batch times output size) on, the window contraction beats passes.
_CONTRACTION_POSITIONS = 4096


def is_depthwise(x_shape, w_shape, groups) -> bool:
    """True for a batched 2-D convolution with one filter per input channel (weight
    (C, 1, kh, kw), groups == C > 1): the case this file computes."""
    return (
        groups > 1
        and len(x_shape) == 4
        and len(w_shape) == 4
        and w_shape[1] == 1
        and w_shape[0] == groups == x_shape[1]
    )


def pad_input(x, padding):
    """x with zeros around it: (top, bottom, left, right)."""
    pt, pb, pl, pr = padding
    if not (pt or pb or pl or pr):
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def _out_size(xb_shape, kernel, stride, dilation):
    (hb, wb), (kh, kw), (sh, sw), (dh, dw) = xb_shape[2:], kernel, stride, dilation
    return (hb - dh * (kh - 1) - 1) // sh + 1, (wb - dw * (kw - 1) - 1) // sw + 1


def _offsets(kernel, out_hw, stride, dilation):
    """(i, j, rows slice, columns slice) for every kernel offset: which strided window of the
    padded input meets the whole output at that offset."""
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            yield i, j, rows, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)


def _use_contraction(xp, n, out_hw, dilation):
    """Whether the window-view contraction (NumPy, no dilation, at least 4096 positions per
    channel) is the faster way to compute a depthwise convolution of this size."""
    return (
        xp.__name__ == "numpy"
        and tuple(dilation) == (1, 1)
        and n * out_hw[0] * out_hw[1] >= _CONTRACTION_POSITIONS
    )


def _window_view(xb, kernel, out_hw, stride):
    """The (N, C, Ho, Wo, kh, kw) view (no copy) of every window of the padded NumPy array xb:
    entry [n, c, y, x, i, j] is xb[n, c, y*sh + i, x*sw + j]."""
    import numpy as np  # only called on NumPy arrays

    sn, sc, sy, sx = xb.strides
    shape = (*xb.shape[:2], *out_hw, *kernel)
    return np.ndarray(shape, xb.dtype, xb, 0, (sn, sc, stride[0] * sy, stride[1] * sx, sy, sx))


def _input_grad_contraction(grad, w, x_shape, padding):
    """dL/dx of a stride-1, undilated depthwise convolution as one depthwise convolution of the
    output gradient, padded by the kernel size less one, with the kernel rotated by 180
    degrees: the window-view contraction instead of kh*kw multiply and scatter-add passes."""
    xp = get_array_module(grad)
    kh, kw = w.shape[2:]
    pt, _, pl, _ = padding
    n, c, h, wd = x_shape
    gp = pad_input(grad, (kh - 1, kh - 1, kw - 1, kw - 1))
    # Only the windows over the unpadded input: they start pt rows and pl columns in.
    sn, sc, sy, sx = gp.strides
    windows = xp.lib.stride_tricks.as_strided(
        gp[:, :, pt:, pl:], (n, c, h, wd, kh, kw), (sn, sc, sy, sx, sy, sx)
    )
    # A contiguous copy of the rotated kernel: with the negative strides of a reversed view,
    # einsum's loop runs 3x slower (4.7 ms against 1.6 for 8x32x32x32, 3x3).
    rotated = xp.ascontiguousarray(w[:, 0, ::-1, ::-1])
    dx = xp.einsum("nchwij,cij->nchw", windows, rotated, optimize=True)
    return xp.ascontiguousarray(dx)


def _use_channels_last(xp, x_shape):
    """Whether the channels-last passes are the faster way (NumPy, small input images).
    Measured on EfficientNet-B0's layers at batch 8: 2-8x faster from 16x16 inputs down, but
    1.2x slower for a stride-2 layer on 32x32 inputs, whose NCHW rows are long enough."""
    return xp.__name__ == "numpy" and x_shape[2] * x_shape[3] <= _CHANNELS_LAST_PIXELS


def _pad_channels_last(x, padding):
    """x (N, C, H, W) copied once into a zero-padded channels-last buffer (N, Hb, Wb, C)."""
    xp = get_array_module(x)
    pt, pb, pl, pr = padding
    n, c, h, w = x.shape
    out = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
    out[:, pt : pt + h, pl : pl + w, :] = x.transpose(0, 2, 3, 1)
    return out


def _channels_last_forward(xl, taps, kernel, bias, out_hw, stride, dilation):
    """y (N, C, Ho, Wo) from the padded channels-last NumPy input xl (N, Hb, Wb, C) and the
    taps (kh*kw, C) of a kernel (kh, kw): one einsum over the (N, Ho, Wo, kh, kw, C) window
    view of xl (no copy), whose innermost loop runs along contiguous channels. Measured on
    EfficientNet-B0's layers (16x16 maps and smaller): 1.2-3x faster than a multiply and an
    add per kernel offset (98 us against 257 for 1x1152x2x2, 5x5; 0.8 against 1.7 ms for
    8x672x4x4), which pay NumPy's call overhead kh*kw times."""
    import numpy as np  # the channels-last path is NumPy's (``_use_channels_last``)

    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, c = xl.shape[0], xl.shape[3]
    sn, sy, sx, sc = xl.strides
    windows = np.lib.stride_tricks.as_strided(
        xl, (n, *out_hw, kh, kw, c), (sn, sy * sh, sx * sw, sy * dh, sx * dw, sc), writeable=False
    )
    y = np.einsum("nhwijc,ijc->nhwc", windows, taps.reshape(kh, kw, c))
    if bias is not None:
        y += bias
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def depthwise_forward(xb, w, bias, stride, dilation):
    """The depthwise convolution of the (already padded) input xb (N, C, Hb, Wb) with w
    (C, 1, kh, kw), plus bias (C,) if given."""
    xp = get_array_module(xb)
    n, c = xb.shape[:2]
    kernel = w.shape[2:]
    ho, wo = _out_size(xb.shape, kernel, stride, dilation)
    if _use_contraction(xp, n, (ho, wo), dilation):
        # On the CPU, for many positions per channel (training batches), one contraction over
        # a window view (no copy) beats kh*kw elementwise passes (7 ms against 10 for 8x96x32x32,
        # 3x3); for one small image the passes win (1.1 ms against 1.3 at 1x96x32x32).
        windows = _window_view(xb, tuple(kernel), (ho, wo), stride)
        y = xp.einsum("nchwij,cij->nchw", windows, w[:, 0], optimize=True)
        if bias is not None:
            y += bias.reshape(1, c, 1, 1)
        return xp.ascontiguousarray(y)
    y = xp.zeros((n, c, ho, wo), dtype=xb.dtype)
    tmp = xp.empty_like(y)
    taps = w.reshape(c, -1)
    for i, j, rows, cols in _offsets(kernel, (ho, wo), stride, dilation):
        xp.multiply(xb[:, :, rows, cols], taps[:, i * kernel[1] + j].reshape(1, c, 1, 1), out=tmp)
        y += tmp
    if bias is not None:
        y += bias.reshape(1, c, 1, 1)
    return y


def depthwise_conv(x, w, bias, stride, padding, dilation):
    """The depthwise convolution of the unpadded input x (N, C, H, W) with w (C, 1, kh, kw):
    the channels-last passes for small images on the CPU, else ``depthwise_forward``."""
    xp = get_array_module(x)
    out_hw = _out_size(_padded_shape(x.shape, padding), w.shape[2:], stride, dilation)
    if _use_channels_last(xp, x.shape):
        taps = xp.ascontiguousarray(w.reshape(w.shape[0], -1).T)
        xl = _pad_channels_last(x, padding)
        return _channels_last_forward(xl, taps, w.shape[2:], bias, out_hw, stride, dilation)
    return depthwise_forward(pad_input(x, padding), w, bias, stride, dilation)


def _padded_shape(x_shape, padding):
    n, c, h, w = x_shape
    pt, pb, pl, pr = padding
    return (n, c, h + pt + pb, w + pl + pr)


class DepthwiseConv(Function):
    """conv2d with ``groups == in_channels == out_channels``: x (N, C, H, W), w (C, 1, kh, kw),
    optional bias (C,); ``padding`` is (top, bottom, left, right)."""

    def forward(self, x, w, bias, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
        xp = get_array_module(x)
        self.stride, self.dilation = tuple(stride), tuple(dilation)
        self.x_shape, self.padding, self.w = x.shape, padding, w
        self.has_bias = bias is not None
        out_hw = _out_size(_padded_shape(x.shape, padding), w.shape[2:], stride, dilation)
        self.channels_last = _use_channels_last(xp, x.shape)
        if self.channels_last:
            taps = xp.ascontiguousarray(w.reshape(w.shape[0], -1).T)  # (kh*kw, C)
            self.xb, self.taps = _pad_channels_last(x, padding), taps
            return _channels_last_forward(
                self.xb, taps, w.shape[2:], bias, out_hw, self.stride, self.dilation
            )
        xb = pad_input(x, padding)
        self.xb = xb
        return depthwise_forward(xb, w, bias, self.stride, self.dilation)

    def _channels_last_backward(self, grad, need_x, need_w):
        """dx and dw of the channels-last forward: per kernel offset, dw's row is the sum over
        batch and positions of grad times that offset's input slice, and grad times the tap
        adds into that slice of dx; every pass runs along contiguous channels."""
        xp = get_array_module(grad)
        xl, taps = self.xb, self.taps
        kh, kw = self.w.shape[2:]
        gl = xp.ascontiguousarray(grad.transpose(0, 2, 3, 1))  # (N, Ho, Wo, C)
        tmp = xp.empty_like(gl) if need_x else None
        dxl = xp.zeros(xl.shape, dtype=grad.dtype) if need_x else None
        dtaps = xp.empty_like(taps) if need_w else None
        for i, j, rows, cols in _offsets((kh, kw), gl.shape[1:3], self.stride, self.dilation):
            k = i * kw + j
            if need_w:  # one pass with no temporary: 2x faster than a multiply and a sum
                dtaps[k] = xp.einsum("nhwc,nhwc->c", gl, xl[:, rows, cols, :])
            if need_x:
                xp.multiply(gl, taps[k], out=tmp)
                dxl[:, rows, cols, :] += tmp
        dx = dw = None
        if need_x:
            pt, _, pl, _ = self.padding
            h, wd = self.x_shape[2:]
            dx = xp.ascontiguousarray(dxl[:, pt : pt + h, pl : pl + wd, :].transpose(0, 3, 1, 2))
        if need_w:
            dw = xp.ascontiguousarray(dtaps.T).reshape(self.w.shape)
        return dx, dw

    def backward(self, grad):
        xp = get_array_module(grad)
        nodes = self.next_functions  # None where an input needs no gradient
        need_x, need_w = nodes[0] is not None, nodes[1] is not None
        db = grad.sum(axis=(0, 2, 3)) if self.has_bias else None
        if self.channels_last:
            dx, dw = self._channels_last_backward(grad, need_x, need_w)
            return dx, dw, db
        xb, w = self.xb, self.w
        c, kw = w.shape[0], w.shape[3]
        taps = w.reshape(c, -1)
        contract_x = (
            need_x
            and self.stride == (1, 1)
            and _use_contraction(xp, grad.shape[0], grad.shape[2:], self.dilation)
        )
        dx = None
        if contract_x:
            dx = _input_grad_contraction(grad, w, self.x_shape, self.padding)
            need_x = False
        dxb = xp.zeros(xb.shape, dtype=grad.dtype) if need_x else None
        dtaps = xp.empty_like(taps) if need_w else None
        tmp = xp.empty_like(grad) if need_x else None
        offsets = _offsets(w.shape[2:], grad.shape[2:], self.stride, self.dilation)
        for i, j, rows, cols in offsets:
            k = i * kw + j
            if need_x:
                xp.multiply(grad, taps[:, k].reshape(1, c, 1, 1), out=tmp)
                dxb[:, :, rows, cols] += tmp
            if need_w:
                dtaps[:, k] = xp.einsum("nchw,nchw->c", grad, xb[:, :, rows, cols])
        if need_x:
            pt, _, pl, _ = self.padding
            h, wd = self.x_shape[2:]
            dx = xp.ascontiguousarray(dxb[:, :, pt : pt + h, pl : pl + wd])
        dw = dtaps.reshape(w.shape) if need_w else None
        return dx, dw, db
