"""Pointwise functions of two tensors: lerp, copysign, fmod, logaddexp, logaddexp2, fmax, fmin,
float_power, ldexp, xlogy-style products (addcmul, addcdiv), heaviside, nextafter, gcd, lcm.

Operands broadcast and promote as in arithmetic (PyTorch's rules); where PyTorch's result is
always floating (logaddexp, float_power) integers are converted first. heaviside, nextafter,
gcd and lcm have no derivative in PyTorch either: a backward through them raises.

>>> import glassnet
>>> glassnet.lerp(glassnet.tensor([0.0, 10.0]), glassnet.tensor([10.0, 20.0]), 0.25)
tensor([ 2.5000, 12.5000])
>>> glassnet.logaddexp(glassnet.tensor([1000.0]), glassnet.tensor([1000.0]))
tensor([1000.6932])
>>> glassnet.fmod(glassnet.tensor([-7, 7]), 3)
tensor([-1,  1])
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._pointwise import (
    as_tensor_like,
    float_operands,
    inplace_method,
    promoted,
    without_derivative,
)
from glassnet.ops.arithmetic import _check_int_divisor
from glassnet.ops.operands import _quiet
from glassnet.tensor import Tensor


class Lerp(Function):
    """start + weight * (end - start), computed from the nearer end for accuracy (PyTorch's
    formula: exact at weight 0 and 1)."""

    broadcasts, error_name = True, "lerp"

    def forward(self, start, end, weight):
        xp = get_array_module(start, end)
        self.start, self.end, self.weight = start, end, weight
        diff = end - start
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, grad):
        w = self.weight
        need_s, need_e, need_w = self._next
        return (
            None if need_s is None else grad * (1 - w),
            None if need_e is None else grad * w,
            None if need_w is None else grad * (self.end - self.start),
        )


class Copysign(Function):
    """|a| with the sign of b (including the sign of -0.0)."""

    broadcasts, error_name = True, "copysign"
    saves_output = True

    def forward(self, a, b):
        self.a = a
        self.out = get_array_module(a, b).copysign(a, b)
        return self.out

    def backward(self, grad):
        # d|a|*s/da = sign(a) * s = out / a, taken as 0 at a == 0 (PyTorch's choice)
        xp = get_array_module(grad)
        with _quiet(xp):
            ga = xp.where(self.a == 0, xp.zeros((), dtype=grad.dtype), grad * self.out / self.a)
        # The sign of b is piecewise constant: a zero gradient, which PyTorch also fills in.
        return ga, None if self._next[1] is None else xp.zeros_like(grad)


class Fmod(Function):
    """a - trunc(a / b) * b: the remainder with the sign of the dividend (C's fmod)."""

    broadcasts, error_name = True, "fmod"

    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a, b).fmod(a, b)

    def backward(self, grad):
        xp = get_array_module(grad)
        if self._next[1] is None:
            return grad, None
        with _quiet(xp):
            return grad, -grad * xp.trunc(self.a / self.b)


class LogAddExp(Function):
    """log(exp(a) + exp(b)) (base 2 with ``base2``), without overflow."""

    broadcasts, error_name = True, "logaddexp"
    saves_output = True

    def forward(self, a, b, base2=False):
        xp = get_array_module(a, b)
        self.a, self.b, self.base2 = a, b, base2
        self.out = (xp.logaddexp2 if base2 else xp.logaddexp)(a, b)
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        power = xp.exp2 if self.base2 else xp.exp
        with _quiet(xp):
            return grad * power(self.a - self.out), grad * power(self.b - self.out)


class FMax(Function):
    """max/min that ignores nan (returns the other value); ties give the gradient to the first
    operand, as PyTorch."""

    broadcasts, error_name = True, "fmax"

    def forward(self, a, b, smallest):
        xp = get_array_module(a, b)
        self.first = (a <= b if smallest else a >= b) | xp.isnan(b)
        return (xp.fmin if smallest else xp.fmax)(a, b)

    def backward(self, grad):
        zero = get_array_module(grad).zeros((), dtype=grad.dtype)
        xp = get_array_module(grad)
        return xp.where(self.first, grad, zero), xp.where(self.first, zero, grad), None


def lerp(input, end, weight):
    """input + weight * (end - input), elementwise; ``weight`` is a number or a tensor.

    >>> import glassnet
    >>> glassnet.tensor([1.0, 2.0]).lerp(glassnet.tensor([3.0, 6.0]), glassnet.tensor([0.5, 1.0]))
    tensor([2., 6.])
    """
    for name, t in (("input", input), ("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype.kind != "f":
            raise DTypeError(
                f"lerp: expected floating point tensors, but {name} has dtype {t.dtype}; "
                "convert it with .float()."
            )
    start, end = promoted("lerp", input, end)
    if isinstance(weight, Tensor) and weight._data.dtype != start._data.dtype:
        weight = weight.to(start._data.dtype)
    elif not isinstance(weight, Tensor):
        weight = float(weight)
    return Lerp.apply(start, end, weight)


def copysign(input, other):
    """|input| with the sign of ``other`` (a tensor or a number), as a float tensor.

    >>> import glassnet
    >>> glassnet.copysign(glassnet.tensor([1.0, -2.0, 3.0]), glassnet.tensor([-1.0, 1.0, -0.0]))
    tensor([-1.,  2., -3.])
    """
    a, b = float_operands("copysign", input, other)
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    return Copysign.apply(a, b)


def fmod(input, other):
    """The remainder of input / other with the sign of ``input`` (C's fmod; compare remainder,
    which takes the sign of the divisor).

    >>> import glassnet
    >>> glassnet.tensor([-3.0, 3.0]).fmod(2)
    tensor([-1.,  1.])
    """
    a, b = promoted("fmod", input, other)
    if (a if isinstance(a, Tensor) else b)._data.dtype.kind != "f":
        _check_int_divisor("fmod", b)
    return Fmod.apply(a, b)


def logaddexp(input, other):
    """log(exp(input) + exp(other)), stable for large values.

    >>> import glassnet
    >>> glassnet.logaddexp(glassnet.tensor([0.0]), glassnet.tensor([0.0]))
    tensor([0.6931])
    """
    a, b = float_operands("logaddexp", input, other)
    return LogAddExp.apply(as_tensor_like(a, b), as_tensor_like(b, a))


def logaddexp2(input, other):
    """log2(2**input + 2**other), stable for large values.

    >>> import glassnet
    >>> glassnet.logaddexp2(glassnet.tensor([3.0]), glassnet.tensor([3.0]))
    tensor([4.])
    """
    a, b = float_operands("logaddexp2", input, other)
    return LogAddExp.apply(as_tensor_like(a, b), as_tensor_like(b, a), base2=True)


def fmax(input, other):
    """Elementwise maximum that skips nan: nan only where both are nan.

    >>> import glassnet
    >>> glassnet.fmax(glassnet.tensor([1.0, float("nan")]), glassnet.tensor([float("nan"), 2.0]))
    tensor([1., 2.])
    """
    a, b = promoted("fmax", input, other)
    return FMax.apply(as_tensor_like(a, b), as_tensor_like(b, a), False)


def fmin(input, other):
    """Elementwise minimum that skips nan: nan only where both are nan.

    >>> import glassnet
    >>> glassnet.fmin(glassnet.tensor([1.0, float("nan")]), glassnet.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    a, b = promoted("fmin", input, other)
    return FMax.apply(as_tensor_like(a, b), as_tensor_like(b, a), True)


def float_power(input, exponent):
    """input ** exponent in float64 (PyTorch's float_power: always double precision).

    >>> import glassnet
    >>> glassnet.float_power(glassnet.tensor([2, 3]), 2)
    tensor([4., 9.], dtype=glassnet.float64)
    """
    from glassnet.ops.arithmetic import pow as power

    if isinstance(input, Tensor):
        input = input.to(dtypes.float64)
    else:
        input = float(input)
    if isinstance(exponent, Tensor):
        exponent = exponent.to(dtypes.float64)
    else:
        exponent = float(exponent)
    return power(input, exponent)


def ldexp(input, other):
    """input * 2**other.

    >>> import glassnet
    >>> glassnet.ldexp(glassnet.tensor([1.0, 3.0]), glassnet.tensor([3, -1]))
    tensor([8.0000, 1.5000])
    """
    from glassnet.ops.elementwise import exp2

    base = input if input._data.dtype.kind == "f" else input.to(dtypes.get_default_dtype())
    return base * exp2(other)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2.

    >>> import glassnet
    >>> glassnet.addcmul(glassnet.ones(2), glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0, 4.0]))
    tensor([4., 9.])
    """
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (integer division is refused, as in PyTorch).

    >>> import glassnet
    >>> one_two, fours = glassnet.tensor([1.0, 2.0]), glassnet.tensor([4.0, 4.0])
    >>> glassnet.addcdiv(glassnet.zeros(2), one_two, fours)
    tensor([0.2500, 0.5000])
    """
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError(
            "addcdiv: integer division with addcdiv is no longer supported; convert tensor1 "
            "or tensor2 to float first (.float()), or use (tensor1 // tensor2)."
        )
    quot = tensor1 / tensor2
    return input + (quot if value == 1 else quot * value)


def _integer_op(name, ufunc, input, other):
    a, b = promoted(name, input, other)
    for t in (a, b):
        kind = (
            t._data.dtype.kind if isinstance(t, Tensor) else ("f" if isinstance(t, float) else "i")
        )
        if kind not in "biu":
            raise DTypeError(f"{name}: expected integer tensors, got a {kind!r}-kind operand")
    xa = a._data if isinstance(a, Tensor) else a
    xb = b._data if isinstance(b, Tensor) else b
    return Tensor._make(getattr(get_array_module(xa, xb), ufunc)(xa, xb))


def gcd(input, other):
    """Greatest common divisor of integer tensors (gcd(0, 0) = 0).

    >>> import glassnet
    >>> glassnet.gcd(glassnet.tensor([12, -18, 0]), glassnet.tensor([8, 12, 0]))
    tensor([4, 6, 0])
    """
    return _integer_op("gcd", "gcd", input, other)


def lcm(input, other):
    """Least common multiple of integer tensors.

    >>> import glassnet
    >>> glassnet.lcm(glassnet.tensor([4, 6]), glassnet.tensor([6, 10]))
    tensor([12, 30])
    """
    return _integer_op("lcm", "lcm", input, other)


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0 (no derivative).

    >>> import glassnet
    >>> glassnet.heaviside(glassnet.tensor([-1.5, 0.0, 2.0]), glassnet.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    if not isinstance(values, Tensor) or values._data.dtype != input._data.dtype:
        raise TypeError(
            f"heaviside: values must be a tensor of input's dtype {input.dtype}, got "
            f"{getattr(values, 'dtype', type(values).__name__)}; make it with "
            "glassnet.tensor([v], dtype=input.dtype)."
        )
    xp = get_array_module(input._data)
    return without_derivative("heaviside", xp.heaviside(input._data, values._data), input, values)


def nextafter(input, other):
    """The next float after ``input`` towards ``other`` (no derivative).

    >>> import glassnet
    >>> x = glassnet.tensor([1.0], dtype=glassnet.float64)
    >>> (glassnet.nextafter(x, glassnet.tensor([2.0], dtype=glassnet.float64)) - x).item()
    2.220446049250313e-16
    """
    a, b = promoted("nextafter", input, other)
    b = as_tensor_like(b, a)
    xp = get_array_module(a._data)
    return without_derivative("nextafter", xp.nextafter(a._data, b._data), a, b)


__all__ = [
    "lerp",
    "copysign",
    "fmod",
    "logaddexp",
    "logaddexp2",
    "fmax",
    "fmin",
    "float_power",
    "ldexp",
    "addcmul",
    "addcdiv",
    "gcd",
    "lcm",
    "heaviside",
    "nextafter",
]

TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update(
    {
        name + "_": inplace_method(globals()[name])
        for name in "lerp copysign fmod float_power ldexp addcmul addcdiv gcd lcm heaviside "
        "nextafter".split()
    }
)
