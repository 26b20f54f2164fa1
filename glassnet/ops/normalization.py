"""Fused normalisation ops: layer norm, group norm and RMS norm (batch norm is in
``glassnet/ops/batch_norm.py`` and re-exported here).

Each one normalises ``x`` over some axes (``xhat = (x - mean) / sqrt(var + eps)``) and then scales
and shifts it per channel. Written as one Function each rather than a chain of mean/sub/pow/div,
so the forward makes few temporaries and the backward is the compact analytic formula

    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))      (means over the axes)

with ``dxhat = grad * weight``. The variance is the biased one, as PyTorch normalises with.

>>> import glassnet
>>> from glassnet.ops.normalization import LayerNorm
>>> x = glassnet.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> y = LayerNorm.apply(x, None, None, 1, 1e-5)
>>> [round(v, 3) for v in y.tolist()[0]]
[-1.225, 0.0, 1.225]
"""

from __future__ import annotations

from glassnet import kernels
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.batch_norm import _SMALL, BatchNorm  # noqa: F401 - their old home
from glassnet.ops.norm_common import (  # noqa: F401 - needs_grad: nn.functional imports it here
    _channel_dot,
    _channel_sum,
    _prod,
    _spread,
    _wants,
    needs_grad,
)


def _affine(xhat, weight, bias):
    """``xhat * weight + bias`` (either may be None) as a new array: the output must not share
    memory with the saved ``xhat``, or an in-place op on the output would corrupt the backward."""
    if weight is not None:
        out = xhat * weight
        if bias is not None:
            out += bias
        return out
    return xhat.copy() if bias is None else xhat + bias


def _row_normalize(x, eps):
    """(xhat, invstd) of each row of a 2-D array; invstd has shape (rows, 1).

    The row sums go through BLAS (``x @ ones``, ``einsum``), about twice as fast as
    ``x.mean(-1)`` and ``(x * x).mean(-1)``, with no temporaries beyond ``xhat`` itself."""
    xp = get_array_module(x)
    d = x.shape[1]
    xc = x - (x @ xp.ones(d, dtype=x.dtype) / d)[:, None]
    var = xp.einsum("ij,ij->i", xc, xc) / d
    invstd = (1 / xp.sqrt(var + eps))[:, None]
    xc *= invstd
    return xc, invstd


def _row_input_grad(dxhat, xhat, invstd, own=False):
    """The gradient through (x - mean) / std over the rows of 2-D arrays, given the gradient of
    xhat: ``invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))``, row sums by BLAS.
    ``own``: dxhat is a scratch array that may become the result."""
    xp = get_array_module(dxhat)
    d = dxhat.shape[1]
    mean_d = dxhat @ xp.ones(d, dtype=dxhat.dtype) / d
    mean_dx = xp.einsum("ij,ij->i", dxhat, xhat) / d
    if own:
        gx = dxhat
        gx -= mean_d[:, None]
    else:
        gx = dxhat - mean_d[:, None]
    gx -= xhat * mean_dx[:, None]
    gx *= invstd
    return gx


def layer_norm_array(x, weight, bias, k, eps):
    """LayerNorm's forward on arrays, with no graph: nn.LayerNorm's path when nothing is
    recorded (a generation step), the same arithmetic as ``LayerNorm.forward``. The affine
    step works in place on the fresh ``xhat``, since no backward keeps it."""
    shape = x.shape
    x2 = x.reshape(-1, _prod(shape[x.ndim - k :]))
    if _layer_norm_kernel(x2, weight, bias) is not None:  # the Function's kernel forward
        fn = LayerNorm()
        fn.kernel, fn.param_shape = _layer_norm_kernel(x2, weight, bias), shape[x.ndim - k :]
        return fn._kernel_forward(x2, weight, bias, eps).reshape(shape)
    xhat, _ = _row_normalize(x2, eps)
    if weight is not None:
        if weight.dtype == xhat.dtype:
            xhat *= weight.reshape(-1)
        else:  # a wider weight: promote as the Function's ``xhat * weight`` does
            xhat = xhat * weight.reshape(-1)
    if bias is not None:
        if bias.dtype == xhat.dtype:
            xhat += bias.reshape(-1)
        else:
            xhat = xhat + bias.reshape(-1)
    return xhat.reshape(shape)


def _layer_norm_kernel(x2, weight, bias):
    """:mod:`glassnet.kernels.layer_norm` where kernels are wanted for these float32 NumPy
    operands (one pass per row each way, instead of about eight array passes), else None."""
    if not kernels.wanted(x2) or x2.dtype.name != "float32":
        return None
    if any(p is not None and p.dtype != x2.dtype for p in (weight, bias)):
        return None
    from glassnet.kernels import layer_norm

    return layer_norm


class LayerNorm(Function):
    """Layer norm of ``x`` over its last ``k`` axes; weight and bias have those axes' shape.
    float32 arrays of 4096 elements or more go through the compiled kernels of
    :mod:`glassnet.kernels.layer_norm` where numba is installed (the same formulas)."""

    def forward(self, x, weight, bias, k, eps, needs=(True, True, True)):
        self.needs = needs
        self.param_shape = x.shape[x.ndim - k :]
        x2 = x.reshape(-1, _prod(self.param_shape))
        self.kernel = _layer_norm_kernel(x2, weight, bias)
        self.x_shape = x.shape
        if self.kernel is not None:
            return self._kernel_forward(x2, weight, bias, eps).reshape(x.shape)
        xhat, invstd = _row_normalize(x2, eps)
        self.xhat, self.invstd, self.weight, self.x_shape = xhat, invstd, weight, x.shape
        out = _affine(
            xhat,
            None if weight is None else weight.reshape(-1),
            None if bias is None else bias.reshape(-1),
        )
        return out.reshape(x.shape)

    def _kernel_forward(self, x2, weight, bias, eps):
        import numpy as np  # the kernels take NumPy arrays only (kernels.wanted)

        x2 = np.ascontiguousarray(x2)
        d = x2.shape[1]
        w = np.ones(d, x2.dtype) if weight is None else np.ascontiguousarray(weight.reshape(-1))
        b = np.zeros(d, x2.dtype) if bias is None else np.ascontiguousarray(bias.reshape(-1))
        out, xhat = np.empty_like(x2), np.empty_like(x2)
        invstd = np.empty(x2.shape[0], x2.dtype)
        self.kernel.layer_norm_forward(x2, w, b, x2.dtype.type(eps), out, xhat, invstd)
        self.xhat, self.invstd, self.weight, self.w_row = xhat, invstd, weight, w
        return out

    def _kernel_backward(self, grad):
        import numpy as np

        g = np.ascontiguousarray(grad.reshape(self.xhat.shape), dtype=self.xhat.dtype)
        d = g.shape[1]
        gx = np.empty_like(g)
        gw, gb = np.zeros(d), np.zeros(d)  # float64 column sums
        self.kernel.layer_norm_backward(g, self.xhat, self.invstd, self.w_row, gx, gw, gb)
        shape = self.param_shape
        gw = (
            gw.astype(g.dtype).reshape(shape)
            if self.weight is not None and _wants(self, 1)
            else None
        )
        gb = gb.astype(g.dtype).reshape(shape) if _wants(self, 2) else None
        return (gx.reshape(self.x_shape) if _wants(self, 0) else None), gw, gb

    def backward(self, grad):
        if self.kernel is not None:
            return self._kernel_backward(grad)
        xp = get_array_module(grad)
        g = grad.reshape(self.xhat.shape)
        xhat, invstd = self.xhat, self.invstd
        w = None if self.weight is None else self.weight.reshape(-1)
        gw = gb = gx = None
        ones = xp.ones(g.shape[0], dtype=g.dtype)
        want_x, want_w = _wants(self, 0), w is not None and _wants(self, 1)
        if w is not None and (want_w or want_x):
            # g * xhat serves twice: its column sums are gw, and its rows dotted with w are
            # the row sums of dxhat * xhat that dx needs (BLAS, no second product array)
            gxh = g * xhat
            if want_w:
                gw = (ones @ gxh).reshape(self.param_shape)
        if _wants(self, 2):
            gb = (ones @ g).reshape(self.param_shape)
        if want_x:
            if w is None:
                gx = _row_input_grad(g, xhat, invstd)
            else:
                d = g.shape[1]
                mean_dx, mean_d = gxh @ w, g @ w  # row means of dxhat * xhat and dxhat, * d
                mean_dx /= d
                mean_d /= d
                gx = g * w
                gx -= mean_d[:, None]
                gx -= xp.multiply(xhat, mean_dx[:, None], out=gxh)
                gx *= invstd
            gx = gx.reshape(self.x_shape)
        return gx, gw, gb


class GroupNorm(Function):
    """Group norm of an (N, C, ...) array: each of ``groups`` channel groups normalised per
    sample, then a per-channel weight and bias (spread to (C*S,) rows, as in BatchNorm, so the
    affine passes are contiguous)."""

    def forward(self, x, weight, bias, groups, eps, needs=(True, True, True)):
        xp = get_array_module(x)
        self.needs = needs
        n, c = x.shape[0], x.shape[1]
        self.s = s = _prod(x.shape[2:])
        xhat, invstd = _row_normalize(x.reshape(n * groups, -1), eps)
        self.xhat, self.invstd, self.weight, self.x_shape = xhat, invstd, weight, x.shape
        X = xhat.reshape(n, c * s)
        if weight is None:
            out = X.copy() if bias is None else X + _spread(xp, bias, s)
        else:
            out = X * _spread(xp, weight, s)
            if bias is not None:
                out += _spread(xp, bias, s)
        return out.reshape(x.shape)

    def backward(self, grad):
        xp = get_array_module(grad)
        n, s = grad.shape[0], self.s
        c = grad.shape[1]
        G = grad.reshape(n, c * s)
        gw = gb = gx = None
        if self.weight is not None and _wants(self, 1):
            gw = _channel_dot(xp, G, self.xhat.reshape(n, c * s), c, s)
        if _wants(self, 2):
            gb = _channel_sum(xp, G, c, s)
        if _wants(self, 0):
            own = self.weight is not None
            dxhat = G * _spread(xp, self.weight, s) if own else G
            dxhat = dxhat.reshape(self.xhat.shape)
            gx = _row_input_grad(dxhat, self.xhat, self.invstd, own).reshape(self.x_shape)
        return gx, gw, gb


class RMSNorm(Function):
    """RMS norm of ``x`` over its last ``k`` axes: ``x / sqrt(mean(x^2) + eps) * weight``."""

    def forward(self, x, weight, k, eps, needs=(True, True)):
        self.needs = needs
        xp = get_array_module(x)
        self.param_shape = x.shape[x.ndim - k :]
        flat = x.reshape(-1, _prod(self.param_shape))
        invrms = (1 / xp.sqrt(xp.einsum("ij,ij->i", flat, flat) / flat.shape[1] + eps))[:, None]
        xhat = flat * invrms
        self.xhat, self.invrms, self.weight, self.x_shape = xhat, invrms, weight, x.shape
        out = _affine(xhat, None if weight is None else weight.reshape(-1), None)
        return out.reshape(x.shape)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(self.xhat.shape)
        gw = gx = None
        if self.weight is not None and _wants(self, 1):
            gw = xp.einsum("ij,ij->j", g, self.xhat).reshape(self.param_shape)
        if _wants(self, 0):
            dxhat = g if self.weight is None else g * self.weight.reshape(-1)
            mean_dx = xp.einsum("ij,ij->i", dxhat, self.xhat) / dxhat.shape[1]
            gx = dxhat - self.xhat * mean_dx[:, None]
            gx *= self.invrms
            gx = gx.reshape(self.x_shape)
        return gx, gw
