"""Inverse trigonometric and hyperbolic functions: asin, acos, atan, sinh, cosh, asinh, acosh,
atanh (and their ``arc*`` names), atan2, hypot, deg2rad, rad2deg.

sin, cos, tan and tanh live in elementwise.py. Integer inputs give the default float dtype, as
in PyTorch; outside an inverse function's domain the result is nan, and so is its gradient.

>>> import glassnet
>>> x = glassnet.tensor([0.5], requires_grad=True)
>>> x.asin().backward()
>>> x.grad  # 1 / sqrt(1 - 0.25)
tensor([1.1547])
>>> glassnet.atan2(glassnet.tensor([1.0]), glassnet.tensor([-1.0]))
tensor([2.3562])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import float_operands, float_tensor, inplace_method
from glassnet.ops.elementwise import _unary
from glassnet.ops.operands import _quiet


class Asin(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arcsin(a)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            return (grad / xp.sqrt(1 - self.a * self.a),)


class Acos(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arccos(a)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            return (-grad / xp.sqrt(1 - self.a * self.a),)


class Atan(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arctan(a)

    def backward(self, grad):
        return (grad / (1 + self.a * self.a),)


class Sinh(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).sinh(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).cosh(self.a),)


class Cosh(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).cosh(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).sinh(self.a),)


class Asinh(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arcsinh(a)

    def backward(self, grad):
        return (grad / get_array_module(grad).sqrt(self.a * self.a + 1),)


class Acosh(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arccosh(a)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            # (x - 1)(x + 1) rather than x^2 - 1: no cancellation near x = 1
            return (grad / xp.sqrt((self.a - 1) * (self.a + 1)),)


class Atanh(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).arctanh(a)

    def backward(self, grad):
        with _quiet(get_array_module(grad)):
            return (grad / (1 - self.a * self.a),)


class Atan2(Function):
    """The angle of the point (x, y): atan2(y, x) in (-pi, pi]."""

    broadcasts, error_name = True, "atan2"

    def forward(self, y, x):
        self.y, self.x = y, x
        return get_array_module(y, x).arctan2(y, x)

    def backward(self, grad):
        with _quiet(get_array_module(grad)):
            r2 = self.x * self.x + self.y * self.y
            return grad * self.x / r2, -grad * self.y / r2


class Hypot(Function):
    """sqrt(x^2 + y^2) without overflow for large x, y."""

    broadcasts, error_name = True, "hypot"
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = get_array_module(a, b).hypot(a, b)
        return self.out

    def backward(self, grad):
        with _quiet(get_array_module(grad)):  # 0/0 = nan at the origin, as PyTorch
            return grad * self.a / self.out, grad * self.b / self.out


asin = _unary(Asin, name="asin")
acos = _unary(Acos, name="acos")
atan = _unary(Atan, name="atan")
sinh = _unary(Sinh, name="sinh")
cosh = _unary(Cosh, name="cosh")
asinh = _unary(Asinh, name="asinh")
acosh = _unary(Acosh, name="acosh")
atanh = _unary(Atanh, name="atanh")
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def atan2(input, other):
    """The angle of (other, input) in (-pi, pi], elementwise with broadcasting.

    >>> import glassnet
    >>> glassnet.tensor([0.0, 1.0]).atan2(glassnet.tensor([-1.0, 0.0]))
    tensor([3.1416, 1.5708])
    """
    a, b = float_operands("atan2", input, other)
    return Atan2.apply(a, b)


def hypot(input, other):
    """sqrt(input^2 + other^2), elementwise with broadcasting.

    >>> import glassnet
    >>> glassnet.hypot(glassnet.tensor([3.0]), glassnet.tensor([4.0]))
    tensor([5.])
    """
    a, b = float_operands("hypot", input, other)
    return Hypot.apply(a, b)


def deg2rad(input):
    """Degrees to radians.

    >>> import glassnet
    >>> glassnet.tensor([180.0]).deg2rad()
    tensor([3.1416])
    """
    return float_tensor("deg2rad", input) * (math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees.

    >>> import glassnet
    >>> glassnet.tensor([3.14159265]).rad2deg()
    tensor([180.])
    """
    return float_tensor("rad2deg", input) * (180.0 / math.pi)


arctan2 = atan2

_UNARY = "asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh"
__all__ = [*_UNARY.split(), "atan2", "arctan2", "hypot", "deg2rad", "rad2deg"]

TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({name + "_": inplace_method(globals()[name]) for name in __all__})
