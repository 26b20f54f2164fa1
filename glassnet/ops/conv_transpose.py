"""conv_transpose1d/2d as one Function: the adjoint of a convolution, built from the
convolution's own kernels (``glassnet/ops/convolution.py``): its forward is the convolution's
input gradient, its backward the convolution's forward and weight gradient.

>>> import glassnet
>>> x = glassnet.ones(1, 1, 2, 2)
>>> w = glassnet.ones(1, 1, 2, 2)
>>> ConvTranspose.apply(x, w, None, (2, 2), (0, 0, 0, 0), (1, 1), 1, (4, 4)).shape
glassnet.Size([1, 1, 4, 4])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.conv_columns import Geometry
from glassnet.ops.convolution import (
    _as_4d,
    conv_forward,
    conv_grad_input,
    conv_grad_weight_blocked,
)


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
            # Forward of the equivalent convolution gives dx; its weight gradient (with x as
            # the output gradient) gives dw.
            if nodes[0] is not None:
                dx = conv_forward(grad4, self.w4, None, g)[0].reshape(self.x_shape)
            if nodes[1] is not None:
                dw = conv_grad_weight_blocked(self.x4, grad4, g, self.w_shape)
        if self.has_bias:
            db = xp.sum(grad4, axis=(0, 2, 3))
        return dx, dw, db
