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
from glassnet.ops._util import result_dtype
from glassnet.ops.operands import (
    _cast,
    _fast_apply,
    _fast_operands,
    _is_scalar,
    _operands,
    _quiet,
)
from glassnet.tensor import Tensor


def _conj(x):
    """conj(x) for complex arrays (the gradient rule of products of complex numbers), anything
    else unchanged. (The engine takes the real part of a real input's complex gradient.)"""
    if x.__class__ is complex:
        return x.conjugate()
    dtype = getattr(x, "dtype", None)
    return x.conj() if dtype is not None and dtype.kind == "c" else x


class Add(Function):
    broadcasts = True
    saves_inputs = False
    supports_complex = True  # linear: the gradient passes through unchanged

    alpha = 1

    def forward(self, a, b, alpha=1):
        if alpha == 1:
            return a + b
        self.alpha = alpha
        return a + alpha * b

    def backward(self, grad):
        return grad, (grad if self.alpha == 1 else grad * self.alpha)


class Sub(Function):
    broadcasts = True
    saves_inputs = False
    supports_complex = True

    alpha = 1

    def forward(self, a, b, alpha=1):
        if alpha == 1:
            return a - b
        self.alpha = alpha
        return a - alpha * b

    def backward(self, grad):
        if self._next[1] is None:  # the subtrahend needs no gradient (a target, say)
            return grad, None
        return grad, -grad if self.alpha == 1 else grad * -self.alpha


class Mul(Function):
    broadcasts = True
    supports_complex = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self._next
        if grad.dtype.kind == "c":  # d(ab) = b da + a db: the gradients take the conjugates
            a, b = self.a, self.b
            return (
                None if need_a is None else grad * _conj(b),
                None if need_b is None else grad * _conj(a),
            )
        return (
            None if need_a is None else grad * self.b,
            None if need_b is None else grad * self.a,
        )


class Div(Function):
    broadcasts = True
    supports_complex = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        if grad.dtype.kind == "c":
            a, b = self.a, self.b
            ga = grad / _conj(b)
            gb = None if self._next[1] is None else -ga * _conj(a / b)
            return ga, gb
        ga = grad / self.b
        if self._next[1] is None:
            return ga, None
        return ga, -ga * self.a / self.b


class Pow(Function):
    broadcasts = True
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        if b.__class__ is int and b == 2:
            self.out = a * a  # exact, and much cheaper than power()
        elif a.dtype.kind in "iu" and getattr(b, "dtype", None) is not None and b.dtype.kind == "i":
            self.out = _integer_power(get_array_module(a, b), a, b)
        else:
            self.out = get_array_module(a).power(a, b)
        return self.out

    def backward(self, grad):
        # PyTorch's formulas: d/da = b * a**(b-1), taken as 0 where b == 0;
        # d/db = a**b * log(a), taken as 0 where a == 0 and b >= 0 (nan for negative a).
        a, b = self.a, self.b
        if _is_scalar(b):
            if b == 2:
                return grad * (a + a), None
            if b == 0:
                return grad * grad.dtype.type(0), None
            if b == 1:
                return grad, None
            xp = get_array_module(grad)
            if b.__class__ is int and b > 1:  # a**(b-1) is then finite wherever a**b is
                return grad * (b * xp.power(a, b - 1)), None
            with _quiet(xp):
                return grad * (b * xp.power(a, b - 1)), None
        xp = get_array_module(grad)
        zero = xp.zeros((), dtype=grad.dtype)
        need_a, need_b = self._next
        ga = gb = None
        with _quiet(xp):
            if need_a is not None:
                ga = grad * xp.where(b == 0, zero, b * xp.power(a, b - 1))
            if need_b is not None:
                gb = grad * xp.where((a == 0) & (b >= 0), zero, self.out * xp.log(a))
        return ga, gb


def _integer_power(xp, a, b):
    """Integer a ** b with PyTorch's answer for negative b, where NumPy refuses: the power
    truncated toward zero, so 1 for a == 1, +-1 for a == -1 by the parity of b, else 0.
    Overflow wraps around, as in PyTorch (and C)."""
    negative = b < 0
    if not negative.any():
        return xp.power(a, b)
    out = xp.power(a, xp.where(negative, xp.zeros((), dtype=b.dtype), b))
    one = xp.ones((), dtype=out.dtype)
    truncated = xp.where(a == 1, one, xp.zeros((), dtype=out.dtype))
    if a.dtype.kind == "i":  # a signed base can be -1
        truncated = xp.where(a == -1, xp.where(b % 2 == 1, -one, one), truncated)
    return xp.where(negative, truncated, out)


class RoundedDiv(Function):
    """Division rounded toward -inf ('floor', Python's //) or toward 0 ('trunc').

    The result is piecewise constant, so its gradient is zero, as in PyTorch.
    """

    saves_inputs = False
    broadcasts, error_name = True, "div"

    def forward(self, a, b, mode):
        xp = get_array_module(a, b)
        if mode == "floor":
            return _floor_divide(xp, a, b)
        if (
            getattr(a, "dtype", None) is not None
            and a.dtype.kind in "iu"
            or (getattr(b, "dtype", None) is not None and b.dtype.kind in "iu")
        ):
            q = xp.floor_divide(a, b)  # exact for integers; then round toward zero instead
            return q + ((q < 0) & (q * b != a))
        return xp.trunc(a / b)

    def backward(self, grad):
        zero = grad * 0
        return zero, zero, None


def _floor_divide(xp, a, b):
    """Python's // for floats (1.0 // 0.1 == 9.0, not floor(1.0 / 0.1) == 10.0), as PyTorch.

    NumPy's floor_divide already works this way; CuPy's divides then floors, so on the GPU the
    quotient is rebuilt from fmod the way CPython does it.
    """
    if xp.__name__ == "numpy" or _is_int(a) or _is_int(b):
        return xp.floor_divide(a, b)
    with _quiet(xp):
        mod = xp.fmod(a, b)
        div = (a - mod) / b
        div = xp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
        floor = xp.floor(div)
        floor = xp.where(div - floor > 0.5, floor + 1, floor)
        return xp.where(div == 0, xp.copysign(xp.zeros_like(div), a / b), floor)


def _is_int(x):
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind in ("i", "u", "b") or (kind is None and isinstance(x, int))


class Remainder(Function):
    """a - floor(a / b) * b with the sign of the divisor, as Python's % and torch.remainder."""

    broadcasts = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a, b).remainder(a, b)

    def backward(self, grad):
        xp = get_array_module(grad)
        return grad, (None if _is_scalar(self.b) else -grad * xp.floor_divide(self.a, self.b))


class Neg(Function):
    saves_inputs = False
    supports_complex = True

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


# ---- the public functions ------------------------------------------------------------------
def add(input, other, alpha=1):
    """input + alpha * other, broadcasting."""
    return _scaled_second(Add, "add", input, other, alpha)


def sub(input, other, alpha=1):
    """input - alpha * other, broadcasting."""
    return _scaled_second(Sub, "sub", input, other, alpha)


def _scaled_second(cls, name, input, other, alpha):
    if alpha == 1:
        out = _fast_apply(cls, input, other)
        if out is not None:
            return out
    a, b = _fast_operands(name, input, other)
    return cls.apply(a, b) if alpha == 1 else cls.apply(a, b, alpha)


def rsub(input, other, alpha=1):
    """other - alpha * input (the reflected form of ``-``)."""
    a, b = _operands("sub", input, other)
    scaled = a if alpha == 1 else Mul.apply(a, alpha)
    return Add.apply(Neg.apply(scaled), b)


def mul(input, other):
    out = _fast_apply(Mul, input, other)
    if out is not None:
        return out
    a, b = _fast_operands("mul", input, other)
    return Mul.apply(a, b)


def div(input, other, rounding_mode=None):
    """input / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (zero gradient).

    >>> import glassnet
    >>> glassnet.div(glassnet.tensor([7, -7]), 2)
    tensor([ 3.5000, -3.5000])
    >>> glassnet.div(glassnet.tensor([7, -7]), 2, rounding_mode="floor")
    tensor([ 3, -4])
    """
    a, b = _fast_operands("div", input, other)
    dtype = (a if isinstance(a, Tensor) else b)._data.dtype
    if rounding_mode is None:
        from glassnet import dtypes

        if dtype.kind not in "fc" and not dtypes.is_floating(dtype):  # ints give floats
            dtype = dtypes.get_default_dtype()
            a = _cast(a, dtype) if isinstance(a, Tensor) else a
            b = _cast(b, dtype) if isinstance(b, Tensor) else b
        return Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    if dtype.kind != "f":
        _check_int_divisor("div", b)
    return RoundedDiv.apply(a, b, rounding_mode)


def _check_int_divisor(op, b):
    zero = (b == 0) if not isinstance(b, Tensor) else bool((b._data == 0).any())
    if zero:
        raise ZeroDivisionError(
            f"{op}: integer division by zero; convert to float first (.float()) to get inf."
        )


def rdiv(input, other):
    """other / input (the reflected form of ``/``)."""
    return div(other, input)


def floor_divide(input, other):
    """input // other, rounded toward -inf like Python's //.

    >>> import glassnet
    >>> glassnet.tensor([7.0, -7.0]) // 2
    tensor([ 3., -4.])
    """
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python-style modulo (the result takes the sign of the divisor), as torch.remainder.

    >>> import glassnet
    >>> glassnet.tensor([5, -5]) % 3
    tensor([2, 1])
    """
    a, b = _fast_operands("remainder", input, other)
    if (a if isinstance(a, Tensor) else b)._data.dtype.kind != "f":
        _check_int_divisor("remainder", b)
    return Remainder.apply(a, b)


def pow(input, exponent):
    """input ** exponent (tensor or scalar exponent)."""
    if not isinstance(input, Tensor):  # scalar ** tensor
        from glassnet.creation import full_like

        base = full_like(exponent, input, dtype=result_dtype(exponent, input))
        return Pow.apply(base, _cast(exponent, base._data.dtype))
    if exponent.__class__ is int and exponent >= 0 or exponent.__class__ is float:
        out = _fast_apply(Pow, input, exponent)
        if out is not None:
            return out
    a, b = _fast_operands("pow", input, exponent)
    if isinstance(b, int) and b < 0 and a._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integers to negative integer powers are not allowed. (pow: convert the base to "
            "float first, e.g. x.float() ** -1.)"
        )
    return Pow.apply(a, b)


def neg(input):
    return Neg.apply(input)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg

__all__ = [
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "pow",
    "neg",
    "negative",
]
