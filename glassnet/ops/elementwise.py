"""Elementwise functions of one tensor: exp, log, sqrt, tanh, sigmoid, relu, erf, clamp, ...

Each Function keeps what its derivative needs (often its own output: d tanh = 1 - tanh^2).
Where PyTorch defines a gradient at a kink (abs at 0, relu at 0, clamp at the bounds) we
follow it, so the parity tests hold exactly.

>>> import glassnet
>>> x = glassnet.tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> x.relu().sum().backward()
>>> x.grad
tensor([0., 0., 1.])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.erf import erf_array
from glassnet.tensor import Tensor


class Exp(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Exp2(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).exp2(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out * math.log(2.0),)


class Expm1(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).expm1(a)
        return self.out

    def backward(self, grad):
        return (grad * (self.out + 1),)


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Log2(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log2(a)

    def backward(self, grad):
        return (grad / (self.a * math.log(2.0)),)


class Log10(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log10(a)

    def backward(self, grad):
        return (grad / (self.a * math.log(10.0)),)


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log1p(a)

    def backward(self, grad):
        return (grad / (self.a + 1),)


class Sqrt(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Rsqrt(Function):
    saves_output = True

    def forward(self, a):
        self.out = 1 / get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad * -0.5 * self.out * self.out * self.out,)


class Square(Function):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return (grad * 2 * self.a,)


class Reciprocal(Function):
    saves_output = True

    def forward(self, a):
        self.out = 1 / a
        return self.out

    def backward(self, grad):
        return (-grad * self.out * self.out,)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).sign(self.a),)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).sin(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).cos(self.a),)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).cos(a)

    def backward(self, grad):
        return (-grad * get_array_module(grad).sin(self.a),)


class Tan(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).tan(a)
        return self.out

    def backward(self, grad):
        return (grad * (1 + self.out * self.out),)


class Tanh(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).tanh(a)
        return self.out

    def backward(self, grad):
        # grad * (1 - out**2), in one buffer (a 0-d result is a NumPy scalar, with no buffer)
        if self.out.ndim == 0:
            return (grad * (1 - self.out * self.out),)
        d = self.out * self.out
        get_array_module(d).subtract(1, d, out=d)
        d *= grad
        return (d,)


def sigmoid_array(a):
    """``1 / (1 + exp(-a))`` on an array: negate, exp, add one, reciprocal, the last three in
    place. For very negative ``a``, ``exp(-a)`` overflows to inf and the result is its right
    limit, 0 (a float32 below e^-88 is subnormal anyway), so the overflow is not warned about.
    Half-width floats (float16, bfloat16) overflow already at -11 and would lose outputs that
    float16 can hold, so they take ``exp(-|a|)`` with two branches, which never overflows.

    >>> import numpy as np
    >>> sigmoid_array(np.array([-1000.0, 0.0, 2.0]))
    array([0.        , 0.5       , 0.88079708])
    """
    xp = get_array_module(a)
    if a.dtype.itemsize < 4:
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
    with np.errstate(over="ignore"):
        e = xp.exp(xp.negative(a))
    e += 1
    return xp.reciprocal(e, out=e) if isinstance(e, xp.ndarray) else xp.reciprocal(e)


class Sigmoid(Function):
    saves_output = True

    def forward(self, a):
        self.out = sigmoid_array(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


def relu_array(a):
    """max(a, 0) on an array, with zeros of a's own dtype: one pass, no -0.0, and float32
    stays float32."""
    return get_array_module(a).maximum(a, relu_zeros(a))


def relu_zeros(a):
    """The zero ``relu_array`` compares ``a`` with: a row of zeros for arrays of 4096 values or
    more, because on an AMD EPYC NumPy 2.4 ran ``maximum`` against a scalar 1.5-3x slower than
    against an array broadcast along the rows (0.25 against 0.40 ms on 2 MiB of float32; on an
    AVX-512 Xeon it is the other way round, 0.38 against 0.27, so the choice is the machine's);
    the plain scalar for small arrays, where the row's allocation would cost more than it
    saves, and for arrays that are not row-major (a channels-last activation, whose last axis is
    not the one memory runs along: there the row broadcast was 1.8x slower than the scalar on
    the Xeon, 0.49 against 0.27 ms). The values are the same either way."""
    if a.size < 4096 or not a.flags.c_contiguous:
        return a.dtype.type(0)
    return get_array_module(a).zeros(a.shape[-1], dtype=a.dtype)


class Relu(Function):
    saves_output = True

    def forward(self, a):
        self.out = relu_array(a)
        return self.out

    def backward(self, grad):
        return (grad * (self.out > 0),)


class Erf(Function):
    def forward(self, a):
        self.a = a
        return erf_array(a)

    def backward(self, grad):
        # grad * 2/sqrt(pi) * exp(-a^2), in one buffer
        xp = get_array_module(grad)
        d = self.a * self.a
        if d.ndim == 0:
            return (grad * (2.0 / math.sqrt(math.pi)) * xp.exp(-d),)
        xp.negative(d, out=d)
        xp.exp(d, out=d)
        d *= d.dtype.type(2.0 / math.sqrt(math.pi))
        d *= grad
        return (d,)


class _Rounding(Function):
    """floor, ceil, round, trunc, sign: piecewise constant, so the gradient is zero."""

    saves_inputs = False
    func = "floor"

    def forward(self, a, **kwargs):
        if a.dtype.kind in "biu" and self.func != "sign":
            return a.copy()  # integers are already whole (and keep their dtype, as in PyTorch)
        return getattr(get_array_module(a), self.func)(a, **kwargs)

    def backward(self, grad):
        return (grad * 0,)


class Floor(_Rounding):
    func = "floor"


class Ceil(_Rounding):
    func = "ceil"


class Round(_Rounding):
    func = "round"  # half to even, as PyTorch


class Trunc(_Rounding):
    func = "trunc"


class Sign(_Rounding):
    func = "sign"


def _unary(cls, float_only=True, name=None):
    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if float_only and input._data.dtype.kind in "biu":  # (complex stays complex)
            from glassnet import dtypes
            from glassnet.ops.conversion import to_dtype

            input = to_dtype(input, dtypes.get_default_dtype())
        return cls.apply(input)

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}, differentiable."
    return op


exp = _unary(Exp, name="exp")
exp2 = _unary(Exp2, name="exp2")
expm1 = _unary(Expm1, name="expm1")
log = _unary(Log, name="log")
log2 = _unary(Log2, name="log2")
log10 = _unary(Log10, name="log10")
log1p = _unary(Log1p, name="log1p")
sqrt = _unary(Sqrt, name="sqrt")
rsqrt = _unary(Rsqrt, name="rsqrt")
square = _unary(Square, float_only=False, name="square")
reciprocal = _unary(Reciprocal, name="reciprocal")
abs = _unary(Abs, float_only=False, name="abs")  # noqa: A001
sin = _unary(Sin, name="sin")
cos = _unary(Cos, name="cos")
tan = _unary(Tan, name="tan")
tanh = _unary(Tanh, name="tanh")
sigmoid = _unary(Sigmoid, name="sigmoid")
relu = _unary(Relu, float_only=False, name="relu")
erf = _unary(Erf, name="erf")
floor = _unary(Floor, float_only=False, name="floor")
ceil = _unary(Ceil, float_only=False, name="ceil")
trunc = _unary(Trunc, float_only=False, name="trunc")
sign = _unary(Sign, float_only=False, name="sign")


def round(input, decimals=0):  # noqa: A001
    """Round half to even; ``decimals`` rounds to that many decimal places."""
    return Round.apply(input, decimals=decimals)


# clamp, maximum, minimum and where pick between values; they live in selection.py.
from glassnet.ops.selection import clamp, maximum, minimum, where  # noqa: E402, F401

TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal abs sin cos tan tanh "
        "sigmoid relu erf floor ceil trunc sign round clamp maximum minimum"
    ).split()
}
TENSOR_METHODS["clip"] = clamp
TENSOR_METHODS["where"] = lambda self, condition, other: where(condition, self, other)
TENSOR_METHODS["__abs__"] = abs
for _name in (
    "exp log sqrt tanh sigmoid relu clamp abs sin cos floor ceil round trunc "
    "reciprocal square sign rsqrt log1p expm1 erf"
).split():
    TENSOR_METHODS[_name + "_"] = (
        lambda op: lambda self, *a, **k: self._inplace(lambda t: op(t, *a, **k))
    )(globals()[_name])
TENSOR_METHODS["clip_"] = TENSOR_METHODS["clamp_"]

__all__ = [
    *(
        "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal abs sin cos tan tanh "
        "sigmoid relu erf floor ceil trunc sign round clamp maximum minimum where"
    ).split(),
]
