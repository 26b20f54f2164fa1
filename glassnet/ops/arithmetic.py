"""Arithmetic between tensors and scalars, with broadcasting: add, sub, mul, div, pow, neg.

Each backward returns a gradient of the broadcast shape; the engine sums it back to each input's
shape. Mixed dtypes follow PyTorch (int64 tensor * 0.5 gives float32).

>>> import glassnet
>>> a = glassnet.tensor([[1.0], [2.0]], requires_grad=True)
>>> (a * glassnet.tensor([1.0, 10.0])).sum().backward()
>>> a.grad
tensor([[11.],
        [11.]])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import check_broadcast, result_dtype
from glassnet.tensor import Tensor


class Add(Function):
    saves_inputs = False

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, grad):
        return grad, (grad if self.alpha == 1 else grad * self.alpha)


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, grad):
        return grad, -grad if self.alpha == 1 else grad * -self.alpha


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = grad / self.b
        return ga, -ga * self.a / self.b


class Pow(Function):
    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        self.out = xp.power(a, b)
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        a, b = self.a, self.b
        ga = grad * b * xp.power(a, b - 1) if not _is_scalar(b) or b != 0 else None
        gb = None
        if not _is_scalar(b):
            # d(a**b)/db = a**b * log(a), defined as 0 where a == 0 (PyTorch's convention)
            with _quiet(xp):
                log_a = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), xp.log(a + 0j).real)
            gb = grad * xp.where(a == 0, 0, self.out * log_a)
        if ga is None:
            ga = grad * 0
        return ga, gb


class Neg(Function):
    saves_inputs = False

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


def _is_scalar(x):
    return isinstance(x, (int, float))


class _quiet:
    """Silence NumPy's divide/invalid warnings where a masked value is discarded anyway."""

    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        self._old = self.xp.seterr(all="ignore") if hasattr(self.xp, "seterr") else None

    def __exit__(self, *exc):
        if self._old is not None:
            self.xp.seterr(**self._old)


# ---- the public functions ------------------------------------------------------------------
def _operands(op, a, b):
    """Make both operands arrays-or-tensors of the result dtype, checking broadcasting."""
    if not isinstance(a, Tensor):
        if isinstance(b, Tensor):
            a, b, swapped = b, a, True
        else:
            raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    else:
        swapped = False
    if isinstance(b, Tensor):
        if a.data.shape != b.data.shape:
            check_broadcast(op, a.data.shape, b.data.shape)
    elif not isinstance(b, (int, float, bool)):
        b = _coerce(op, b, a)
        if a.data.shape != b.data.shape:
            check_broadcast(op, a.data.shape, b.data.shape)
    dtype = result_dtype(a, b)
    a = _cast(a, dtype)
    b = _cast(b, dtype) if isinstance(b, Tensor) else b
    return (b, a) if swapped else (a, b)


def _coerce(op, value, like):
    import numpy as np

    from glassnet.creation import tensor

    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        t = tensor(value, device=like.device)
        return t
    raise TypeError(
        f"{op}: unsupported operand type {type(value).__name__}; use a Tensor or a number"
    )


def _cast(t, dtype):
    if t.data.dtype == dtype:
        return t
    from glassnet.ops.conversion import to_dtype

    return to_dtype(t, dtype)


def add(input, other, alpha=1):
    """input + alpha * other, broadcasting."""
    a, b = _operands("add", input, other)
    return Add.apply(a, b, alpha=alpha)


def sub(input, other, alpha=1):
    """input - alpha * other, broadcasting."""
    a, b = _operands("sub", input, other)
    return Sub.apply(a, b, alpha=alpha)


def rsub(input, other, alpha=1):
    """other - alpha * input (the reflected form of ``-``)."""
    a, b = _operands("sub", input, other)
    scaled = a if alpha == 1 else Mul.apply(a, alpha)
    return Add.apply(Neg.apply(scaled), b)


def mul(input, other):
    a, b = _operands("mul", input, other)
    return Mul.apply(a, b)


def div(input, other, rounding_mode=None):
    """input / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (no gradient)."""
    if rounding_mode is None:
        a, b = _operands("div", input, other)
        if a.data.dtype.kind != "f":  # true division of integers gives floats
            from glassnet import dtypes

            a = _cast(a, dtypes.get_default_dtype())
            b = _cast(b, a.data.dtype) if isinstance(b, Tensor) else b
        return Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    from glassnet.ops import elementwise

    a, b = _operands("div", input, other)
    q = Div.apply(a, b)
    q = elementwise.trunc(q) if rounding_mode == "trunc" else elementwise.floor(q)
    return _cast(q, a.data.dtype) if a.data.dtype.kind != "f" else q


def rdiv(input, other):
    a, b = _operands("div", input, other)
    if a.data.dtype.kind != "f":
        from glassnet import dtypes

        a = _cast(a, dtypes.get_default_dtype())
    from glassnet.ops.elementwise import reciprocal

    return mul(reciprocal(a), b)


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python-style modulo (the result takes the sign of the divisor), as torch.remainder."""
    q = div(input, other, rounding_mode="floor")
    return sub(input, mul(q, other)) if isinstance(input, Tensor) else sub(input, q * other)


def pow(input, exponent):
    """input ** exponent (tensor or scalar exponent)."""
    if not isinstance(input, Tensor):  # scalar ** tensor
        from glassnet.creation import full_like

        base = full_like(exponent, input, dtype=result_dtype(exponent, input))
        return Pow.apply(base, _cast(exponent, base.data.dtype))
    a, b = _operands("pow", input, exponent)
    if isinstance(b, int) and b < 0 and a.data.dtype.kind in "iu":
        raise ValueError("pow: integers to negative integer powers are not allowed")
    return Pow.apply(a, b)


def neg(input):
    return Neg.apply(input)
