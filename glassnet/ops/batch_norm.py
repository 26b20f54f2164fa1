"""Batch norm as one fused op (the statistics over every axis but the channels, then a
per-channel scale and shift), on NCHW and channels-last arrays, with its compiled training
path in :mod:`glassnet.kernels.batch_norm`; the other normalisations are in
``glassnet/ops/normalization.py``.

>>> import glassnet
>>> x = glassnet.tensor([[1.0], [3.0]], requires_grad=True)
>>> BatchNorm.apply(x, None, None, None, None, True, 0.1, 0.0).tolist()
[[-1.0], [1.0]]
"""

from __future__ import annotations

from glassnet import kernels
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.conv_channels_last import is_channels_last, to_channels_last
from glassnet.ops.norm_common import _channel_dot, _channel_sum, _prod, _spread, _wants

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
            _update_running(running_mean, running_var, mean, var, momentum, m)
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

    def _kernel_view(self, X):
        """X (N, C*S), or channels-last (N, S*C), as the kernels' (N, C, S) planes or (R, C)
        rows."""
        c = self.x_shape[1]
        return X.reshape(-1, c) if self.channels_last else X.reshape(X.shape[0], c, self.s)

    def _kernel_functions(self):
        """The kernels for this layout: (moments, affine, grad_sums, input_grad)."""
        k, prefix = self.kernel, "rows_" if self.channels_last else "planes_"
        return tuple(
            getattr(k, prefix + n) for n in ("moments", "affine", "grad_sums", "input_grad")
        )

    def _kernel_forward(self, X, weight, bias, running_mean, running_var, momentum, eps):
        import numpy as np  # the kernels take NumPy arrays only (kernels.wanted)

        data = self._kernel_view(X)
        moments, affine, _, _ = self._kernel_functions()
        c = data.shape[1]
        m = X.size // c
        total, squares = np.zeros(c), np.zeros(c)
        moments(data, total, squares)
        mean, var = (total / m).astype(X.dtype), (squares / m).astype(X.dtype)
        _update_running(running_mean, running_var, mean, var, momentum, m)
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
        _, _, grad_sums, input_grad = self._kernel_functions()
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


def _update_running(running_mean, running_var, mean, var, momentum, m):
    """PyTorch's running statistics, in place: ``running = (1 - momentum) * running + momentum
    * batch``, the variance's batch value unbiased (times m / (m - 1)). Nothing without them."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += (momentum * m / (m - 1)) * var


def _batch_norm_kernel(X, weight, bias):
    """:mod:`glassnet.kernels.batch_norm` where kernels are wanted for these float32 NumPy
    operands (two reads and one write each way, instead of five and seven passes), else None."""
    if not kernels.wanted(X) or X.dtype.name != "float32" or not X.flags.c_contiguous:
        return None
    if any(p is not None and p.dtype != X.dtype for p in (weight, bias)):
        return None
    from glassnet.kernels import batch_norm

    return batch_norm
