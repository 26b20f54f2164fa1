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

from glassnet import kernels
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.conv_channels_last import is_channels_last, to_channels_last


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


def _channel_sum(xp, a, c, s, channels_last=False):
    """Per-channel sums of an (N, C*S) array (channels-last: (N, S*C)): two BLAS matrix-vector
    products, several times faster than ``sum(axis=(0, 2))`` on (N, C, S)."""
    col = xp.ones(a.shape[0], dtype=a.dtype) @ a
    return _fold(xp, col, c, s, channels_last)


def _channel_dot(xp, a, b, c, s, channels_last=False):
    """Per-channel sums of ``a * b`` over (N, C*S) arrays, without an (N, C*S) temporary."""
    return _fold(xp, xp.einsum("nk,nk->k", a, b), c, s, channels_last)


def _fold(xp, col, c, s, channels_last):
    """The (C*S,) column sums of an (N, C*S) array (channels-last: (S*C,)) summed per channel."""
    if s == 1:
        return col
    if channels_last:
        return xp.ones(s, dtype=col.dtype) @ col.reshape(s, c)
    return col.reshape(c, s) @ xp.ones(s, dtype=col.dtype)


def _spread(xp, v, s, channels_last=False):
    """A per-channel vector repeated to (C*S,) (channels-last: tiled to (S*C,)), so it
    broadcasts along the rows of an (N, C*S) array: NumPy's contiguous inner loop there is a
    few times faster than broadcasting a (C, 1) column over (N, C, S)."""
    if s == 1:
        return v
    return xp.tile(v, s) if channels_last else xp.repeat(v, s)


# Up to this many numbers, an eval-mode batch norm broadcasts its per-channel columns.
_SMALL = 1 << 16


class BatchNorm(Function):
    """Batch norm over every axis but the channel axis 1 of an (N, C, ...) array.

    In training mode the batch statistics normalise, and ``running_mean``/``running_var`` (arrays
    or None) are updated in place: ``running = (1 - momentum) * running + momentum * batch`` with
    the unbiased batch variance, as PyTorch does. Otherwise the running statistics normalise.

    The input is viewed as (N, C*S) (S: the spatial size) and every per-channel coefficient is
    spread to a (C*S,) row, so each pass over the data is one fast contiguous NumPy loop; the
    forward is ``(x - mean) * (weight * invstd) + bias`` in three such passes. A channels-last
    input (a convolution's output, ``glassnet/ops/conv_channels_last.py``) is viewed as an
    (N*H*W, C) matrix instead, with no copy, and the output keeps its layout.
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
        xp = get_array_module(x)
        self.needs, self.training, self.weight, self.x_shape = needs, training, weight, x.shape
        n, c = x.shape[0], x.shape[1]
        self.s = s = _prod(x.shape[2:])
        self.channels_last = cl = is_channels_last(x)
        # (N, S*C) rows for a channels-last input: each image's memory, with no copy
        X = to_channels_last(x).reshape(n, s * c) if cl else x.reshape(n, c * s)
        self.kernel = _batch_norm_kernel(X, weight, bias) if training else None
        if self.kernel is not None:
            return self._kernel_forward(X, weight, bias, running_mean, running_var, momentum, eps)
        if training:
            m = n * s
            mean = _channel_sum(xp, X, c, s, cl) / m
            xc = X - _spread(xp, mean, s, cl)
            var = _channel_dot(xp, xc, xc, c, s, cl) / m
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += (momentum * m / (m - 1)) * var
        else:
            mean, var = running_mean, running_var
        self.invstd = invstd = 1 / xp.sqrt(var + eps)
        scale = invstd if weight is None else weight * invstd
        if training:
            self.xc = xc
            out = xc * _spread(xp, scale, s, cl)
            if bias is not None:
                out += _spread(xp, bias, s, cl)
        else:
            self.X, self.mean = X, mean
            shift = -mean * scale if bias is None else bias - mean * scale
            if X.size <= _SMALL and not cl:
                # Small (batch-1 inference): broadcast the (C, 1) columns rather than build two
                # spread rows; fewer, cheaper calls (17 us against 40 at 1x672x4x4).
                out = X.reshape(n, c, s) * scale[:, None]
                out += shift[:, None]
            else:
                out = X * _spread(xp, scale, s, cl)
                out += _spread(xp, shift, s, cl)
        return self._shaped(out)

    def _shaped(self, rows):
        """The (N, C*S) or channels-last (N, S*C) rows as an array of the input's shape."""
        if self.channels_last:
            N, C, H, W = self.x_shape
            return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
        return rows.reshape(self.x_shape)

    def _layout(self, X):
        """X (N, C*S), or channels-last (N, S*C), as the kernels' (N, C, S) planes or (R, C)
        rows, with the kernels' functions for that layout (moments, affine, grad_sums,
        input_grad)."""
        k, c = self.kernel, self.x_shape[1]
        if self.channels_last:
            rows = (k.rows_moments, k.rows_affine, k.rows_grad_sums, k.rows_input_grad)
            return X.reshape(-1, c), rows
        planes = (k.planes_moments, k.planes_affine, k.planes_grad_sums, k.planes_input_grad)
        return X.reshape(X.shape[0], c, self.s), planes

    def _kernel_forward(self, X, weight, bias, running_mean, running_var, momentum, eps):
        import numpy as np  # the kernels take NumPy arrays only (kernels.wanted)

        data, (moments, affine, _, _) = self._layout(X)
        c = data.shape[1]
        m = X.size // c
        total, squares = np.zeros(c), np.zeros(c)
        moments(data, total, squares)
        mean, var = (total / m).astype(X.dtype), (squares / m).astype(X.dtype)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var
        self.invstd = invstd = 1 / np.sqrt(var + eps)
        scale = invstd if weight is None else weight * invstd
        shift = np.zeros_like(scale) if bias is None else bias.astype(X.dtype, copy=False)
        out = np.empty_like(data)
        affine(data, mean, scale, shift, out)
        self.data, self.mean = data, mean
        return self._shaped(out.reshape(X.shape))

    def _kernel_backward(self, grad):
        import numpy as np

        cl, invstd, data = self.channels_last, self.invstd, self.data
        G = to_channels_last(grad) if cl else np.ascontiguousarray(grad)
        g = G.reshape(data.shape)
        _, (_, _, grad_sums, input_grad) = self._layout(data.reshape(self.x_shape[0], -1))
        c = data.shape[1]
        m = data.size // c
        total, dot = np.zeros(c), np.zeros(c)
        grad_sums(g, data, self.mean, total, dot)
        sg, sgc = total.astype(g.dtype), dot.astype(g.dtype)
        gw = sgc * invstd if self.weight is not None and _wants(self, 1) else None
        gb = sg if _wants(self, 2) else None
        gx = None
        if _wants(self, 0):
            a = invstd if self.weight is None else self.weight * invstd
            out = np.empty_like(g)
            input_grad(g, data, self.mean, a, a * (invstd * invstd) * (sgc / m), a * (sg / m), out)
            gx = self._shaped(out.reshape(self.x_shape[0], -1))
        return gx, gw, gb

    def backward(self, grad):
        if self.kernel is not None:
            return self._kernel_backward(grad)
        xp = get_array_module(grad)
        n, s, invstd = grad.shape[0], self.s, self.invstd
        c = invstd.shape[0]
        cl = self.channels_last
        # a view when the gradient is channels-last too, else one copy
        G = to_channels_last(grad).reshape(n, s * c) if cl else grad.reshape(n, c * s)
        if self.training:
            xc = self.xc
        else:  # rare (a backward through an eval-mode layer): rebuild x - mean here
            xc = self.X - _spread(xp, self.mean, s, cl)
        want_w = self.weight is not None and _wants(self, 1)
        sg = _channel_sum(xp, G, c, s, cl) if _wants(self, 2) or self.training else None
        sgc = _channel_dot(xp, G, xc, c, s, cl) if want_w or self.training else None
        gw = sgc * invstd if want_w else None
        gb = sg if _wants(self, 2) else None
        gx = None
        if _wants(self, 0):
            a = invstd if self.weight is None else self.weight * invstd
            gx = G * _spread(xp, a, s, cl)
            if self.training:
                # dx = a * (g - mean(g) - xhat * mean(g * xhat)), with xhat = xc * invstd
                m = n * s
                gx -= xc * _spread(xp, a * (invstd * invstd) * (sgc / m), s, cl)
                gx -= _spread(xp, a * (sg / m), s, cl)
            gx = self._shaped(gx)
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


def _batch_norm_kernel(X, weight, bias):
    """:mod:`glassnet.kernels.batch_norm` where kernels are wanted for these float32 NumPy
    operands (two reads and one write each way, instead of five and seven passes), else None."""
    if not kernels.wanted(X) or X.dtype.name != "float32" or not X.flags.c_contiguous:
        return None
    if any(p is not None and p.dtype != X.dtype for p in (weight, bias)):
        return None
    from glassnet.kernels import batch_norm

    return batch_norm


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


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n
