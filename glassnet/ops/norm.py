"""Reductions through a nonlinearity: vector norms and the stable log-sum-exp.

Part of ``glassnet.ops.reduction``'s API (``x.norm()``, ``x.logsumexp(dim)``), kept in their own
file because their forward and backward need more care: log-sum-exp subtracts the max so ``exp``
cannot overflow, and a norm's gradient at 0 is 0, as in PyTorch, rather than 0/0.

>>> import glassnet
>>> glassnet.tensor([3.0, 4.0]).norm()
tensor(5.)
>>> glassnet.tensor([1000.0, 1000.0]).logsumexp(0)
tensor(1000.69...)
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops.low_precision import bfloat16_in_float32, in_float32, is_bf16
from glassnet.ops.operands import _quiet
from glassnet.ops.reduction import _axes, _reduced_shape, _unsqueeze
from glassnet.tensor import Tensor


class LogSumExp(Function):
    saves_output = True

    def forward(self, a, axes, keepdims):
        xp = get_array_module(a)
        m = a.max(axis=axes, keepdims=True)
        # An all -inf (or inf) slice would give inf - inf; shifting by 0 there is just as good.
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=a.dtype))
        with _quiet(xp):
            out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        self.a, self.out, self.axes, self.keepdims = a, out, axes, keepdims
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, grad):
        xp = get_array_module(grad)
        g = _unsqueeze(grad, self.axes, self.keepdims, self.a.ndim)
        return g * xp.exp(self.a - self.out), None, None


class VectorNorm(Function):
    """(sum |x|^p)^(1/p) over ``axes``, with the limits p = inf, -inf and 0."""

    saves_output = True

    def forward(self, a, p, axes, keepdims):
        xp = get_array_module(a)
        self.a, self.p, self.axes, self.keepdims = a, p, axes, keepdims
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=True))
        elif p == math.inf or p == -math.inf:
            mag = xp.abs(a)
            out = mag.max(axis=axes, keepdims=True) if p > 0 else mag.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = xp.abs(a).sum(axis=axes, keepdims=True)
        else:
            out = (xp.abs(a) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        self.out = out
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, grad):
        xp = get_array_module(grad)
        a, p, out = self.a, self.p, self.out
        g = _unsqueeze(grad, self.axes, self.keepdims, a.ndim)
        zero = xp.zeros((), dtype=grad.dtype)
        if p == 0:
            return g * zero * a, None, None, None
        if p == 1:
            return g * xp.sign(a), None, None, None
        if p == 2:
            # x / |x|, defined as 0 where the whole slice is 0 (PyTorch's subgradient).
            safe = xp.where(out == 0, xp.ones((), dtype=out.dtype), out)
            return g * (a / safe), None, None, None
        if p == math.inf or p == -math.inf:
            mask = xp.abs(a) == out
            count = mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
            return g * xp.sign(a) * mask / count, None, None, None
        with _quiet(xp):
            mag = xp.abs(a)
            d = xp.sign(a) * mag ** (p - 1) / out ** (p - 1)
        return g * xp.where((a == 0) | (out == 0), zero, d), None, None, None


@bfloat16_in_float32  # as PyTorch's CPU reductions: float32 inside, a bfloat16 result
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed without overflow.

    >>> import glassnet
    >>> glassnet.logsumexp(glassnet.tensor([[0.0, 0.0], [1.0, 1.0]]), dim=1)
    tensor([0.6931, 1.6931])
    """
    if input._data.dtype.kind != "f":
        from glassnet import dtypes
        from glassnet.ops.conversion import to_dtype

        input = to_dtype(input, dtypes.get_default_dtype())
    return LogSumExp.apply(input, _axes(input, dim, "logsumexp"), keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm of the elements over ``dim`` (all by default): 2 ('fro'), 1, inf, any number.

    >>> import glassnet
    >>> x = glassnet.tensor([[3.0, -4.0], [0.0, 1.0]])
    >>> x.norm(dim=1)
    tensor([5., 1.])
    >>> x.norm(p=1)
    tensor(8.)
    >>> x.norm(p=float("inf"))
    tensor(4.)
    """
    if dtype is not None:
        from glassnet.ops.conversion import to_dtype

        input = to_dtype(input, dtype)
    elif is_bf16(input):  # float32 inside, a bfloat16 result, as PyTorch's CPU reductions
        return in_float32(norm, input, p, dim, keepdim)
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"norm: expected a floating point tensor, got {input.dtype}; convert with .float() "
            "or pass dtype=glassnet.float32."
        )
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise ValueError(
            f"norm: p={p!r} is not supported; use a number, float('inf') or 'fro' "
            "(matrix norms such as 'nuc' need an SVD, which glassnet does not have)."
        )
    if isinstance(p, Tensor):
        p = p.item()
    return VectorNorm.apply(input, float(p), _axes(input, dim, "norm"), keepdim)


__all__ = ["logsumexp", "norm"]
