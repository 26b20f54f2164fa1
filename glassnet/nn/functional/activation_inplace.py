"""The in-place spellings of the activations (``F.relu_(x)`` is ``F.relu(x, inplace=True)``).

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([-1.0, 2.0])
>>> _ = F.relu_(x)
>>> x
tensor([0., 2.])
"""

from __future__ import annotations

from glassnet.nn.functional import activation as _basic
from glassnet.nn.functional import activation_piecewise as _piecewise
from glassnet.nn.functional import activation_smooth as _smooth

__all__ = [
    "relu_",
    "elu_",
    "selu_",
    "celu_",
    "leaky_relu_",
    "hardtanh_",
    "threshold_",
    "rrelu_",
]


def relu_(input):
    """``relu(input, inplace=True)``."""
    return _basic.relu(input, inplace=True)


def elu_(input, alpha=1.0):
    """``elu(input, alpha, inplace=True)``."""
    return _basic.elu(input, alpha, inplace=True)


def selu_(input):
    """``selu(input, inplace=True)``."""
    return _basic.selu(input, inplace=True)


def celu_(input, alpha=1.0):
    """``celu(input, alpha, inplace=True)``."""
    return _smooth.celu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """``leaky_relu(input, negative_slope, inplace=True)``."""
    return _basic.leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """``hardtanh(input, min_val, max_val, inplace=True)``."""
    return _basic.hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):
    """``threshold(input, threshold, value, inplace=True)``."""
    return _piecewise.threshold(input, threshold, value, inplace=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``rrelu(input, lower, upper, training, inplace=True)``."""
    return _piecewise.rrelu(input, lower, upper, training, inplace=True)
