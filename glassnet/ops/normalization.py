"""Fused normalisation ops: batch norm, layer norm, group norm and RMS norm.

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

from glassnet.autograd import Function
from glassnet.backend import get_array_module


def _normalize(x, axes, eps):
    """(xhat, invstd, mean, var) of ``x`` over ``axes``, the reduced axes kept as size 1."""
    xp = get_array_module(x)
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = xp.mean(xc * xc, axis=axes, keepdims=True)
    invstd = 1 / xp.sqrt(var + eps)
    return xc * invstd, invstd, mean, var


def _input_grad(dxhat, xhat, invstd, axes):
    """The gradient through (x - mean) / std, given the gradient of xhat."""
    mean_d = dxhat.mean(axis=axes, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return invstd * (dxhat - mean_d - xhat * mean_dx)


def _affine(xhat, weight, bias):
    """``xhat * weight + bias`` (either may be None) as a new array: the output must not share
    memory with the saved ``xhat``, or an in-place op on the output would corrupt the backward."""
    if weight is not None:
        out = xhat * weight
        if bias is not None:
            out += bias
        return out
    return xhat.copy() if bias is None else xhat + bias


def _wants(fn, i):
    """Whether input ``i`` needs a gradient (the caller says so in ``needs``; skip the work
    otherwise: a frozen weight, or the input of the first layer)."""
    return fn.needs[i]


def needs_grad(*tensors):
    """The ``needs`` argument of the Functions here: which of the tensors require grad."""
    return tuple(t is not None and t.requires_grad for t in tensors)


class BatchNorm(Function):
    """Batch norm over every axis but the channel axis 1 of an (N, C, ...) array.

    In training mode the batch statistics normalise, and ``running_mean``/``running_var`` (arrays
    or None) are updated in place: ``running = (1 - momentum) * running + momentum * batch`` with
    the unbiased batch variance, as PyTorch does. Otherwise the running statistics normalise.
    """

    def forward(
        self,
        x,
        weight,
        bias,
        running_mean,
        running_var,
        training,
        momentum,
        eps,
        needs=(True, True, True),
    ):
        self.needs = needs
        xp = get_array_module(x)
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        self.axes = axes = (0,) + tuple(range(2, x.ndim))
        self.training = training
        self.weight = weight
        self.shape = shape
        if training:
            xhat, invstd, mean, var = _normalize(x, axes, eps)
            if running_mean is not None:
                n = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += (momentum * n / (n - 1)) * var.reshape(-1)
            self.xhat, self.invstd = xhat, invstd
        else:
            invstd = (1 / xp.sqrt(running_var + eps)).reshape(shape)
            self.invstd = invstd
            self.x, self.mean = x, running_mean.reshape(shape)
            xhat = (x - self.mean) * invstd
        return _affine(
            xhat,
            None if weight is None else weight.reshape(shape),
            None if bias is None else bias.reshape(shape),
        )

    def backward(self, grad):
        axes, shape = self.axes, self.shape
        xhat = self.xhat if self.training else (self.x - self.mean) * self.invstd
        gw = (grad * xhat).sum(axis=axes) if self.weight is not None and _wants(self, 1) else None
        gb = grad.sum(axis=axes) if _wants(self, 2) else None
        gx = None
        if _wants(self, 0):
            dxhat = grad if self.weight is None else grad * self.weight.reshape(shape)
            if self.training:
                gx = _input_grad(dxhat, xhat, self.invstd, axes)
            else:
                gx = dxhat * self.invstd
        return gx, gw, gb


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


def _row_input_grad(dxhat, xhat, invstd):
    """``_input_grad`` over the rows of 2-D arrays, with the same BLAS row sums."""
    xp = get_array_module(dxhat)
    d = dxhat.shape[1]
    mean_d = dxhat @ xp.ones(d, dtype=dxhat.dtype) / d
    mean_dx = xp.einsum("ij,ij->i", dxhat, xhat) / d
    gx = dxhat - mean_d[:, None]
    gx -= xhat * mean_dx[:, None]
    gx *= invstd
    return gx


class LayerNorm(Function):
    """Layer norm of ``x`` over its last ``k`` axes; weight and bias have those axes' shape."""

    def forward(self, x, weight, bias, k, eps, needs=(True, True, True)):
        self.needs = needs
        self.param_shape = x.shape[x.ndim - k :]
        xhat, invstd = _row_normalize(x.reshape(-1, _prod(self.param_shape)), eps)
        self.xhat, self.invstd, self.weight, self.x_shape = xhat, invstd, weight, x.shape
        out = _affine(
            xhat,
            None if weight is None else weight.reshape(-1),
            None if bias is None else bias.reshape(-1),
        )
        return out.reshape(x.shape)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(self.xhat.shape)
        gw = gb = gx = None
        if self.weight is not None and _wants(self, 1):
            gw = xp.einsum("ij,ij->j", g, self.xhat).reshape(self.param_shape)
        if _wants(self, 2):
            gb = g.sum(axis=0).reshape(self.param_shape)
        if _wants(self, 0):
            dxhat = g if self.weight is None else g * self.weight.reshape(-1)
            gx = _row_input_grad(dxhat, self.xhat, self.invstd).reshape(self.x_shape)
        return gx, gw, gb


class GroupNorm(Function):
    """Group norm of an (N, C, ...) array: each of ``groups`` channel groups normalised per
    sample, then a per-channel weight and bias."""

    def forward(self, x, weight, bias, groups, eps, needs=(True, True, True)):
        self.needs = needs
        n, c = x.shape[0], x.shape[1]
        xhat, invstd = _row_normalize(x.reshape(n * groups, -1), eps)
        self.xhat, self.invstd, self.weight, self.x_shape = xhat, invstd, weight, x.shape
        self.cs = (n, c, -1)
        out = _affine(
            xhat.reshape(self.cs),
            None if weight is None else weight[:, None],
            None if bias is None else bias[:, None],
        )
        return out.reshape(x.shape)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(self.cs)
        gw = gb = gx = None
        if self.weight is not None and _wants(self, 1):
            gw = xp.einsum("ncs,ncs->c", g, self.xhat.reshape(self.cs))
        if _wants(self, 2):
            gb = g.sum(axis=(0, 2))
        if _wants(self, 0):
            dxhat = g if self.weight is None else g * self.weight[:, None]
            dxhat = dxhat.reshape(self.xhat.shape)
            gx = _row_input_grad(dxhat, self.xhat, self.invstd).reshape(self.x_shape)
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


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n
