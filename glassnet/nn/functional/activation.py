"""Activation functions: relu, gelu, silu, softplus, ... with PyTorch's names and arguments.

Each nonlinearity that is not already a core op is one fused Function here (forward and its
derivative side by side) rather than a chain of ops: activations run on every hidden unit of
every layer, so one pass over the array forward and one backward is what keeps them cheap.
Gradients at kinks follow PyTorch (leaky_relu takes the slope at 0, hardtanh passes nothing at
its bounds). ``inplace=True`` overwrites the input, as in PyTorch.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.leaky_relu(glassnet.tensor([-2.0, 3.0]), 0.1)
tensor([-0.2000,  3.0000])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops import softmax as _softmax_ops
from glassnet.ops.elementwise import relu as _relu
from glassnet.ops.elementwise import sigmoid as _sigmoid
from glassnet.ops.elementwise import sigmoid_array
from glassnet.ops.elementwise import tanh as _tanh
from glassnet.ops.erf import gelu_and_slope_array

__all__ = [
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "sigmoid",
    "tanh",
    "hardtanh",
    "softmax",
    "log_softmax",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class LeakyRelu(Function):
    def forward(self, a, slope):
        self.mask = a > 0
        self.slope = slope
        return get_array_module(a).where(self.mask, a, a * slope)

    def backward(self, grad):
        return get_array_module(grad).where(self.mask, grad, grad * self.slope), None


class Hardtanh(Function):
    def forward(self, a, low, high):
        self.mask = (a > low) & (a < high)
        return get_array_module(a).clip(a, low, high)

    def backward(self, grad):
        return grad * self.mask, None, None


class Elu(Function):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)); SELU is ELU with fixed alpha and scale."""

    def forward(self, a, alpha, scale):
        xp = get_array_module(a)
        self.mask = a > 0
        self.scale, self.coef = scale, alpha * scale
        self.neg = xp.expm1(xp.minimum(a, 0)) * self.coef  # expm1: exact near 0
        return xp.where(self.mask, a * scale, self.neg)

    def backward(self, grad):
        xp = get_array_module(grad)
        # d/dx coef * (exp(x) - 1) = coef * exp(x) = out + coef
        return xp.where(self.mask, grad * self.scale, grad * (self.neg + self.coef)), None, None


class Gelu(Function):
    def forward(self, a, approximate):
        xp = get_array_module(a)
        self.approximate = approximate
        if approximate == "tanh":
            self.a = a
            self.t = xp.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a * a * a))
            return 0.5 * a * (1 + self.t)
        # the exact form keeps its derivative, not the input: the backward is one multiply
        out, self.slope = gelu_and_slope_array(a)
        return out

    def backward(self, grad):
        if self.approximate == "tanh":
            a, t = self.a, self.t
            inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner), None
        return grad * self.slope, None


class Silu(Function):
    def forward(self, a):
        self.a, self.s = a, sigmoid_array(a)
        return a * self.s

    def backward(self, grad):
        s = self.s
        return (grad * (s * (1 + self.a * (1 - s))),)


class Mish(Function):
    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        self.t = xp.tanh(xp.logaddexp(0, a).astype(a.dtype, copy=False))
        return a * self.t

    def backward(self, grad):
        t = self.t
        return (grad * (t + self.a * sigmoid_array(self.a) * (1 - t * t)),)


class Softplus(Function):
    def forward(self, a, beta, threshold):
        xp = get_array_module(a)
        self.a, self.beta, self.threshold = a, beta, threshold
        z = a * beta
        soft = (xp.logaddexp(0, z) / beta).astype(a.dtype, copy=False)
        return xp.where(z > threshold, a, soft)

    def backward(self, grad):
        xp = get_array_module(grad)
        z = self.a * self.beta
        return xp.where(z > self.threshold, grad, grad * sigmoid_array(z)), None, None


def _run(fn, input, inplace, *args):
    if inplace:
        return input._inplace(lambda t: fn.apply(t, *args))
    return fn.apply(input, *args)


def relu(input, inplace=False):
    """max(0, x).

    >>> import glassnet
    >>> relu(glassnet.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    True
    """
    return input._inplace(_relu) if inplace else _relu(input)


def relu6(input, inplace=False):
    """min(max(0, x), 6): ReLU capped at 6 (MobileNet).

    >>> import glassnet
    >>> relu6(glassnet.tensor([-1.0, 7.0]))
    tensor([0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere.

    >>> import glassnet
    >>> hardtanh(glassnet.tensor([-3.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    return _run(Hardtanh, input, inplace, min_val, max_val)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise (keeps a gradient for negative inputs)."""
    return _run(LeakyRelu, input, inplace, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise: smooth, saturating at -alpha.

    >>> import glassnet
    >>> elu(glassnet.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    return _run(Elu, input, inplace, alpha, 1.0)


def selu(input, inplace=False):
    """Self-normalising ELU: scale * elu(x, alpha) with the fixed constants of Klambauer et al.

    >>> import glassnet
    >>> round(selu(glassnet.tensor([1.0])).item(), 4)
    1.0507
    """
    return _run(Elu, input, inplace, _SELU_ALPHA, _SELU_SCALE)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

    >>> import glassnet
    >>> round(gelu(glassnet.tensor([1.0])).item(), 4)
    0.8413
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x), a.k.a. swish.

    >>> import glassnet
    >>> round(silu(glassnet.tensor([1.0])).item(), 4)
    0.7311
    """
    return _run(Silu, input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x)).

    >>> import glassnet
    >>> round(mish(glassnet.tensor([1.0])).item(), 4)
    0.8651
    """
    return _run(Mish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; linear where beta * x > threshold.

    >>> import glassnet
    >>> round(softplus(glassnet.tensor([0.0])).item(), 4)
    0.6931
    """
    return Softplus.apply(input, beta, threshold)


def sigmoid(input):
    """1 / (1 + exp(-x)).

    >>> import glassnet
    >>> sigmoid(glassnet.tensor([0.0]))
    tensor([0.5000])
    """
    return _sigmoid(input)


def tanh(input):
    """Hyperbolic tangent.

    >>> import glassnet
    >>> tanh(glassnet.tensor([0.0]))
    tensor([0.])
    """
    return _tanh(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``: scores to probabilities (glassnet.softmax, with
    PyTorch's functional signature).

    >>> import glassnet
    >>> softmax(glassnet.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably (glassnet.log_softmax).

    >>> import glassnet
    >>> log_softmax(glassnet.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    return _softmax_ops.log_softmax(input, dim, dtype=dtype)
