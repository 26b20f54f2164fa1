"""Ops that pick between values: clamp, maximum, minimum, where.

Part of ``glassnet.ops.elementwise``'s API. Their gradients go to whichever value was picked;
where two are equal, maximum and minimum split the gradient in half and clamp lets it through
(bounds included), as PyTorch does.

>>> import glassnet
>>> x = glassnet.tensor([-2.0, 0.5, 3.0], requires_grad=True)
>>> x.clamp(-1.0, 1.0).sum().backward()
>>> x.grad
tensor([0., 1., 0.])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.tensor import Tensor


class Clamp(Function):
    def forward(self, a, low, high):
        xp = get_array_module(a)
        # PyTorch passes the gradient where low <= x <= high (bounds included).
        self.mask = xp.ones(a.shape, dtype=bool)
        if low is not None:
            self.mask &= a >= low
        if high is not None:
            self.mask &= a <= high
        return xp.clip(a, low, high)

    def backward(self, grad):
        return grad * self.mask, None, None


class Maximum(Function):
    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, grad):
        return _split(get_array_module(grad), grad, self.a > self.b, self.a == self.b)


class Minimum(Function):
    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, grad):
        return _split(get_array_module(grad), grad, self.a < self.b, self.a == self.b)


def _split(xp, grad, first_wins, tie):
    # Ties split the gradient in half, as PyTorch does (grad * 0.5 keeps grad's dtype).
    ga = xp.where(tie, grad * 0.5, grad * first_wins)
    return ga, grad - ga


class ClampTensor(Function):
    """clamp with tensor bounds: the gradient goes to whichever value is the output."""

    def forward(self, a, low, high):
        xp = get_array_module(a)
        self.a, self.low, self.high = a, low, high
        out = a if low is None else xp.maximum(a, low)
        return out if high is None else xp.minimum(out, high)

    def backward(self, grad):
        # The output is min(max(a, low), high); on a tie the earlier value keeps the gradient.
        xp = get_array_module(grad)
        a, low, high = self.a, self.low, self.high
        below = None if low is None else a < low
        above = None if high is None else (a if low is None else xp.maximum(a, low)) > high
        if above is None:
            return grad * ~below, grad * below, None
        if below is None:
            return grad * ~above, None, grad * above
        return grad * ~(below | above), grad * (below & ~above), grad * above


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        return get_array_module(a).where(cond, a, b)

    def backward(self, grad):
        xp = get_array_module(grad)
        zero = xp.zeros((), dtype=grad.dtype)
        return None, xp.where(self.cond, grad, zero), xp.where(self.cond, zero, grad)


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max] (numbers or tensors); the gradient passes only inside.

    >>> import glassnet
    >>> glassnet.tensor([-2.0, 0.5, 3.0]).clamp(min=-1, max=1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    from glassnet.ops.operands import _cast, _operands

    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        low = high = None
        if min is not None:
            input, low = _operands("clamp", input, min)
        if max is not None:
            input, high = _operands("clamp", input, max)
        if isinstance(low, Tensor) and low._data.dtype != input._data.dtype:
            low = _cast(low, input._data.dtype)
        return ClampTensor.apply(input, low, high)
    for bound in (min, max):  # an integer tensor clamped by a float becomes float, as in PyTorch
        if bound is not None:
            input, _ = _operands("clamp", input, bound)
    return Clamp.apply(input, min, max)


def maximum(input, other):
    """Elementwise larger of two tensors (ties share the gradient).

    >>> import glassnet
    >>> glassnet.maximum(glassnet.tensor([1.0, 5.0]), glassnet.tensor([3.0, 2.0]))
    tensor([3., 5.])
    """
    from glassnet.ops.operands import _operands

    a, b = _operands("maximum", input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise smaller of two tensors (ties share the gradient).

    >>> import glassnet
    >>> glassnet.minimum(glassnet.tensor([1.0, 5.0]), glassnet.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    from glassnet.ops.operands import _operands

    a, b = _operands("minimum", input, other)
    return Minimum.apply(a, b)


def where(condition, input, other):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcasting).

    >>> import glassnet
    >>> x = glassnet.tensor([-1.0, 2.0])
    >>> glassnet.where(x > 0, x, 0.0)
    tensor([0., 2.])
    """
    from glassnet.ops.operands import _operands

    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from glassnet.creation import tensor

        input = tensor(input, device=condition.device)
    a, b = _operands("where", input, other)
    if not isinstance(a, Tensor):
        a = _full_like_scalar(a, b)
    if not isinstance(b, Tensor):
        b = _full_like_scalar(b, a)
    return Where.apply(condition, a, b)


def _full_like_scalar(value, like):
    xp = get_array_module(like._data)
    return Tensor._make(xp.asarray(value, dtype=like._data.dtype))


__all__ = ["clamp", "maximum", "minimum", "where"]
