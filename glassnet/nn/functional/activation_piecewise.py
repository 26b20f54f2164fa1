"""Piecewise-linear activations: threshold, hardshrink, softshrink, hardsigmoid, hardswish,
prelu (a learned slope per channel) and rrelu (a random slope while training).

Each runs one fused Function of ``glassnet.ops.activation``; ``inplace=True`` overwrites the
input, as in PyTorch.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.hardshrink(glassnet.tensor([-1.0, 0.2, 0.7]))
tensor([-1.0000,  0.0000,  0.7000])
"""

from __future__ import annotations

import glassnet
from glassnet.errors import DTypeError, ShapeError
from glassnet.nn.functional.activation import leaky_relu
from glassnet.ops import activation as ops
from glassnet.tensor import Tensor

__all__ = ["threshold", "hardshrink", "softshrink", "hardsigmoid", "hardswish", "prelu", "rrelu"]


def check_float(name, input):
    """Raise a clear error unless ``input`` is a floating point Tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
    if not input.is_floating_point():
        raise DTypeError(
            f"{name}: expected a floating point input, got dtype {input.dtype}; "
            "convert it with .float() first."
        )


def run(fn, input, inplace, *args):
    """``fn.apply(input, *args)``, written into ``input`` when ``inplace``."""
    if inplace:
        return input._inplace(lambda t: fn.apply(t, *args))
    return fn.apply(input, *args)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``.

    >>> import glassnet
    >>> threshold(glassnet.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"threshold: expected a Tensor as input, got {type(input).__name__}")
    return run(ops.Threshold, input, inplace, threshold, value)


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0.

    >>> import glassnet
    >>> hardshrink(glassnet.tensor([-0.6, 0.5]))
    tensor([-0.6000,  0.0000])
    """
    check_float("hardshrink", input)
    return ops.Hardshrink.apply(input, lambd)


def softshrink(input, lambd=0.5):
    """Shrink towards 0 by ``lambd`` (0 inside [-lambd, lambd]): the soft-thresholding of lasso.

    >>> import glassnet
    >>> softshrink(glassnet.tensor([-2.0, 0.25, 1.5]), 1.0)
    tensor([-1.0000,  0.0000,  0.5000])
    """
    check_float("softshrink", input)
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return ops.Softshrink.apply(input, lambd)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid (MobileNetV3).

    >>> import glassnet
    >>> hardsigmoid(glassnet.tensor([-4.0, 0.0, 4.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    check_float("hardsigmoid", input)
    return run(ops.Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``: a piecewise swish (MobileNetV3).

    >>> import glassnet
    >>> hardswish(glassnet.tensor([-4.0, 1.0, 4.0]))
    tensor([-0.0000,  0.6667,  4.0000])
    """
    check_float("hardswish", input)
    return run(ops.Hardswish, input, inplace)


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x``, with one slope per channel (dim 1) or one
    for all.

    >>> import glassnet
    >>> prelu(glassnet.tensor([[-1.0, -1.0]]), glassnet.tensor([0.1, 0.2]))
    tensor([[-0.1000, -0.2000]])
    """
    check_float("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: expected weight to be a Tensor, got {type(weight).__name__}")
    if weight.ndim > 1:
        raise ShapeError(
            f"prelu: expected weight to be a scalar or 1-D tensor, got shape {tuple(weight.shape)}"
        )
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise ShapeError(
            f"prelu: weight has {n} slopes but the input of shape {tuple(input.shape)} has "
            f"{channels} channels (dim 1); use PReLU(num_parameters={channels}) or 1 for all."
        )
    if n != 1:  # one slope per channel: shape it to broadcast along dim 1
        weight = weight.reshape(n, *([1] * (input.ndim - 2)))
    elif weight.ndim:
        weight = weight.reshape(())
    return ops.Prelu.apply(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: while training, each negative ``x`` is scaled by its own slope
    drawn from U(lower, upper); otherwise by the fixed ``(lower + upper) / 2``.

    >>> import glassnet
    >>> rrelu(glassnet.tensor([-3.0, 2.0]), 0.1, 0.3)
    tensor([-0.6000,  2.0000])
    """
    check_float("rrelu", input)
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must be less than or equal to upper ({upper})")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = glassnet.empty_like(input).uniform_(lower, upper)
    return run(ops.RreluNoise, input, inplace, slopes)
