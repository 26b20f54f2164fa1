"""Smooth activations and gates: celu, logsigmoid, softsign, tanhshrink, glu, softmin and
gumbel_softmax.

The first four are fused Functions of ``glassnet.ops.activation``; glu, softmin and
gumbel_softmax are written from existing ops (split, sigmoid, softmax), so autograd derives
their backward.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.glu(glassnet.tensor([[1.0, 2.0, 0.0, 0.0]]))
tensor([[0.5000, 1.0000]])
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.errors import ShapeError
from glassnet.nn._arguments import InvalidArgumentError
from glassnet.nn.functional.activation_piecewise import check_float, run
from glassnet.ops import activation as ops
from glassnet.ops._util import normalize_dim
from glassnet.ops.softmax import softmax

__all__ = ["celu", "logsigmoid", "softsign", "tanhshrink", "glu", "softmin", "gumbel_softmax"]


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``: an ELU that is smooth at 0 for
    every alpha.

    >>> import glassnet
    >>> celu(glassnet.tensor([-1.0, 1.0]), alpha=2.0)
    tensor([-0.7869,  1.0000])
    """
    check_float("celu", input)
    if alpha == 0:
        raise InvalidArgumentError("celu: alpha cannot be 0 (it divides x)")
    return run(ops.Celu, input, inplace, alpha)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed so that it stays finite for large negative x.

    >>> import glassnet
    >>> logsigmoid(glassnet.tensor([0.0, -200.0]))
    tensor([  -0.6931, -200.0000])
    """
    check_float("logsigmoid", input)
    return ops.LogSigmoid.apply(input)


def softsign(input):
    """``x / (1 + |x|)``: squashes to (-1, 1) more slowly than tanh.

    >>> import glassnet
    >>> softsign(glassnet.tensor([-1.0, 3.0]))
    tensor([-0.5000,  0.7500])
    """
    check_float("softsign", input)
    return ops.Softsign.apply(input)


def tanhshrink(input):
    """``x - tanh(x)``.

    >>> import glassnet
    >>> tanhshrink(glassnet.tensor([0.0]))
    tensor([0.])
    """
    check_float("tanhshrink", input)
    return ops.Tanhshrink.apply(input)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in two halves ``a, b`` along ``dim`` and return
    ``a * sigmoid(b)``.

    >>> import glassnet
    >>> glu(glassnet.zeros(2, 6)).shape
    glassnet.Size([2, 3])
    """
    check_float("glu", input)
    if input.ndim == 0:
        raise ShapeError("glu: does not take a 0-D tensor; it halves a dimension of its input")
    axis = normalize_dim(dim, input.ndim, "glu")
    size = input.shape[axis]
    if size % 2:
        raise ShapeError(
            f"glu: the halved dimension must have an even size, but dim {dim} of the input of "
            f"shape {tuple(input.shape)} has size {size}."
        )
    a, b = input.split(size // 2, axis)
    return a * b.sigmoid()


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``: the smallest entries get the largest weights.

    >>> import glassnet
    >>> softmin(glassnet.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample of a categorical distribution: ``softmax((logits + g) / tau)``
    with Gumbel(0, 1) noise ``g``. With ``hard``, the result is the one-hot vector of the
    sample's largest entry, with the gradient of the soft sample (straight-through).

    >>> import glassnet
    >>> _ = glassnet.manual_seed(0)
    >>> y = gumbel_softmax(glassnet.zeros(2, 5), hard=True)
    >>> y.sum(dim=-1).tolist(), sorted(set(y.flatten().tolist()))
    ([1.0, 1.0], [0.0, 1.0])
    """
    check_float("gumbel_softmax", logits)
    if eps != 1e-10:
        import warnings

        warnings.warn("gumbel_softmax: `eps` is deprecated and has no effect.", stacklevel=2)
    u = glassnet.rand_like(logits)
    # An Exponential(1) draw -log(1 - u), kept away from 0 so that its log stays finite.
    tiny = float(np.finfo(logits.dtype).tiny)
    exponential = (-(-u).log1p()).clamp(min=tiny)
    gumbels = -exponential.log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    axis = normalize_dim(dim, logits.ndim, "gumbel_softmax")
    index = y_soft.detach().argmax(dim=axis, keepdim=True)
    y_hard = glassnet.zeros_like(logits).scatter(axis, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
