"""Fused activation Functions: one pass forward, one backward, for the nonlinearities that
``glassnet.nn.functional`` adds beyond the core ones (threshold, the shrinks, the hard
sigmoid/swish, CELU, log-sigmoid, softsign, tanhshrink, PReLU and RReLU's noise).

Each keeps on ``self`` only what its derivative needs. Gradients at the kinks are PyTorch's:
threshold, hardshrink and softshrink pass nothing at the boundary itself, hardsigmoid passes
nothing at +-3, hardswish takes the outer branches' slopes (0 and 1) at -3 and 3, and PReLU
the weight's at 0.

>>> import glassnet
>>> x = glassnet.tensor([-4.0, 0.0, 4.0], requires_grad=True)
>>> y = Hardswish.apply(x)
>>> y
tensor([-0., 0., 4.], grad_fn=<HardswishBackward0>)
>>> y.sum().backward(); x.grad
tensor([0.0000, 0.5000, 1.0000])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module

__all__: list = []  # Functions only; the user-facing names are in nn.functional


def _scalar(a, value):
    """``value`` as a scalar of ``a``'s dtype (keeps float32 arrays float32)."""
    return a.dtype.type(value)


class Threshold(Function):
    """``x`` where ``x > threshold``, else ``value``."""

    def forward(self, a, threshold, value):
        self.mask = a > threshold
        return get_array_module(a).where(self.mask, a, _scalar(a, value))

    def backward(self, grad):
        return grad * self.mask, None, None


class Hardshrink(Function):
    """``x`` where ``|x| > lambd``, else 0."""

    def forward(self, a, lambd):
        self.mask = (a > lambd) | (a < -lambd)
        return a * self.mask

    def backward(self, grad):
        return grad * self.mask, None


class Softshrink(Function):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""

    def forward(self, a, lambd):
        xp = get_array_module(a)
        lam = _scalar(a, lambd)
        self.mask = (a > lam) | (a < -lam)
        return xp.where(a > lam, a - lam, xp.where(a < -lam, a + lam, _scalar(a, 0)))

    def backward(self, grad):
        return grad * self.mask, None


class Hardsigmoid(Function):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""

    def forward(self, a):
        xp = get_array_module(a)
        self.mask = (a > -3) & (a < 3)
        return xp.clip(a / _scalar(a, 6) + _scalar(a, 0.5), 0, 1).astype(a.dtype, copy=False)

    def backward(self, grad):
        return (grad * self.mask / grad.dtype.type(6),)


class Hardswish(Function):
    """``x * relu6(x + 3) / 6`` (MobileNetV3's swish)."""

    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        gate = xp.clip(a + _scalar(a, 3), 0, 6) / _scalar(a, 6)
        return (a * gate).astype(a.dtype, copy=False)

    def backward(self, grad):
        xp = get_array_module(grad)
        a = self.a
        inner = a / a.dtype.type(3) + a.dtype.type(0.5)
        slope = xp.where(a <= -3, a.dtype.type(0), xp.where(a < 3, inner, a.dtype.type(1)))
        return (grad * slope,)


class Celu(Function):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    def forward(self, a, alpha):
        xp = get_array_module(a)
        self.mask = a > 0
        self.alpha = _scalar(a, alpha)
        self.neg = self.alpha * xp.expm1(xp.minimum(a, 0) / self.alpha)  # expm1: exact near 0
        return xp.where(self.mask, a, self.neg)

    def backward(self, grad):
        xp = get_array_module(grad)
        # d/dx alpha * (exp(x / alpha) - 1) = exp(x / alpha) = neg / alpha + 1
        return xp.where(self.mask, grad, grad * (self.neg / self.alpha + 1)), None


class LogSigmoid(Function):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, finite for every x."""

    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        self.e = xp.exp(-xp.abs(a))
        return xp.minimum(a, 0) - xp.log1p(self.e)

    def backward(self, grad):
        xp = get_array_module(grad)
        e = self.e
        # d/dx log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x), in the branch that cannot overflow
        return (grad * xp.where(self.a >= 0, e / (1 + e), 1 / (1 + e)),)


class Softsign(Function):
    """``x / (1 + |x|)``."""

    def forward(self, a):
        xp = get_array_module(a)
        self.denom = 1 + xp.abs(a)
        return a / self.denom

    def backward(self, grad):
        return (grad / (self.denom * self.denom),)


class Tanhshrink(Function):
    """``x - tanh(x)``; the derivative ``tanh(x)^2`` avoids the cancellation of 1 - (1 - t^2)."""

    def forward(self, a):
        self.t = get_array_module(a).tanh(a)
        return a - self.t

    def backward(self, grad):
        return (grad * self.t * self.t,)


class Prelu(Function):
    """``x`` where ``x > 0``, else ``weight * x``; ``weight`` broadcasts against ``x`` (one
    slope per channel) and the engine sums its gradient back to its shape."""

    def forward(self, a, weight):
        xp = get_array_module(a)
        self.mask = a > 0
        self.a, self.weight = a, weight
        return xp.where(self.mask, a, a * weight)

    def backward(self, grad):
        xp = get_array_module(grad)
        zero = grad.dtype.type(0)
        grad_a = xp.where(self.mask, grad, grad * self.weight)
        grad_w = xp.where(self.mask, zero, grad * self.a)
        return grad_a, grad_w


class RreluNoise(Function):
    """``x * noise`` with ``noise`` 1 where ``x > 0`` and a random slope elsewhere (RReLU while
    training); the gradient is ``grad * noise``, as PyTorch's."""

    saves_inputs = False

    def forward(self, a, slopes):
        self.noise = get_array_module(a).where(a > 0, _scalar(a, 1), slopes)
        return a * self.noise

    def backward(self, grad):
        return grad * self.noise, None
