"""Activation layers: the nonlinearities of glassnet.nn.functional as modules for Sequential.

Reprs match PyTorch's (``LeakyReLU(negative_slope=0.01)``, ``GELU(approximate='none')``).

>>> import glassnet
>>> from glassnet import nn
>>> nn.Sequential(nn.Linear(2, 2), nn.GELU(approximate="tanh"))
Sequential(
  (0): Linear(in_features=2, out_features=2, bias=True)
  (1): GELU(approximate='tanh')
)
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.backend import get_array_module
from glassnet.nn import _arguments
from glassnet.nn.functional import activation as F
from glassnet.nn.module import Module
from glassnet.ops.elementwise import Relu as _Relu
from glassnet.ops.elementwise import relu_array as _relu_array
from glassnet.ops.elementwise import relu_zeros
from glassnet.ops.elementwise import sigmoid_array as _sigmoid_array
from glassnet.tensor import Tensor
from glassnet.tensor import wrap as _wrap

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Softplus",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Softmax",
    "LogSoftmax",
]


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


class ReLU(Module):
    """max(0, x), elementwise.

    >>> import glassnet
    >>> ReLU()(glassnet.tensor([-1.0, 1.0])).tolist() == [0.0, 1.0]
    True
    """

    _in_place_after_fresh = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _apply_in_place(self, array):
        """max(array, 0) written into ``array`` (Sequential's inference path)."""
        get_array_module(array).maximum(array, relu_zeros(array), out=array)

    def forward(self, input):
        if self.inplace or not isinstance(input, Tensor):
            return F.relu(input, self.inplace)
        if grad_mode._enabled and input.requires_grad:
            return _Relu.apply(input)
        return _wrap(_relu_array(input._data))  # nothing to record: no graph node

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    >>> Hardtanh(-2.0, 2.0)
    Hardtanh(min_val=-2.0, max_val=2.0)
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        suffix = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{suffix}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6).

    >>> ReLU6()
    ReLU6()
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x for x > 0 else negative_slope * x.

    >>> LeakyReLU(0.2)
    LeakyReLU(negative_slope=0.2)
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        suffix = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{suffix}"


class ELU(Module):
    """x for x > 0 else alpha * (exp(x) - 1).

    >>> ELU()
    ELU(alpha=1.0)
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        suffix = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{suffix}"


class SELU(Module):
    """Self-normalising ELU (pair it with ``init.kaiming_normal_(..., nonlinearity='linear')``).

    >>> SELU()
    SELU()
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class GELU(Module):
    """x * Phi(x), the transformer activation; ``approximate='tanh'`` for the fast formula.

    >>> GELU()
    GELU(approximate='none')
    """

    def __init__(self, approximate="none"):
        super().__init__()
        # a RuntimeError in PyTorch (on the first call): InvalidArgumentError is both
        _arguments.check_choice(
            "GELU",
            "approximate",
            approximate,
            ("none", "tanh"),
            error=_arguments.InvalidArgumentError,
        )
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (swish).

    >>> SiLU()
    SiLU()
    """

    _in_place_after_fresh = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _apply_in_place(self, array):
        """array * sigmoid(array) written into ``array`` (Sequential's inference path): the
        eager forward's two arrays, the product into the input's memory."""
        get_array_module(array).multiply(array, _sigmoid_array(array), out=array)

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Mish(Module):
    """x * tanh(softplus(x)).

    >>> Mish()
    Mish()
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU.

    >>> Softplus()
    Softplus(beta=1.0, threshold=20.0)
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)): squashes to (0, 1).

    >>> Sigmoid()
    Sigmoid()
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent: squashes to (-1, 1).

    >>> Tanh()
    Tanh()
    """

    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``: turns scores into probabilities.

    >>> Softmax(dim=1)
    Softmax(dim=1)
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably (pair it with NLLLoss).

    >>> LogSoftmax(dim=-1)
    LogSoftmax(dim=-1)
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
