"""More pointwise functions of one tensor: nan_to_num, frac, sgn, signbit, positive, the
``fix``/``absolute``/``clamp_min``/``clamp_max`` aliases, isposinf, isneginf, isreal.

>>> import glassnet
>>> x = glassnet.tensor([float("nan"), float("inf"), -1.5], requires_grad=True)
>>> y = x.nan_to_num(posinf=100.0)
>>> y
tensor([  0.0000, 100.0000,  -1.5000], grad_fn=<NanToNumBackward...>)
>>> y.sum().backward()
>>> x.grad  # only the finite input gets a gradient
tensor([0., 0., 1.])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import inplace_method
from glassnet.ops.elementwise import abs as _abs
from glassnet.ops.elementwise import sign, trunc
from glassnet.ops.selection import clamp
from glassnet.tensor import Tensor


class NanToNum(Function):
    def forward(self, a, nan, posinf, neginf):
        xp = get_array_module(a)
        self.finite = xp.isfinite(a)
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        return grad * self.finite, None, None, None


class Frac(Function):
    saves_inputs = False

    def forward(self, a):
        return a - get_array_module(a).trunc(a)

    def backward(self, grad):
        return (grad,)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the
    dtype's largest and smallest finite values). Integer tensors come back unchanged.

    >>> import glassnet
    >>> glassnet.nan_to_num(glassnet.tensor([float("-inf"), 2.0]))
    tensor([-3.4028e+38,  2.0000e+00])
    """
    if input._data.dtype.kind != "f":
        from glassnet.ops.conversion import clone

        return clone(input)
    return NanToNum.apply(input, nan, posinf, neginf)


def frac(input):
    """The fractional part, x - trunc(x), with the sign of x.

    >>> import glassnet
    >>> glassnet.tensor([1.25, -2.5]).frac()
    tensor([ 0.2500, -0.5000])
    """
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"frac: expected a floating point tensor, got {input.dtype}")
    return Frac.apply(input)


def sgn(input):
    """The sign of each element (for real tensors the same as ``sign``).

    >>> import glassnet
    >>> glassnet.tensor([-2.0, 0.0, 3.0]).sgn()
    tensor([-1.,  0.,  1.])
    """
    return sign(input)


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0).

    >>> import glassnet
    >>> glassnet.tensor([-0.0, 0.0, -1.0]).signbit()
    tensor([ True, False,  True])
    """
    a = input._data
    return Tensor._make(get_array_module(a).signbit(a))


def positive(input):
    """The input itself (unary ``+``).

    >>> import glassnet
    >>> glassnet.positive(glassnet.tensor([1, -2]))
    tensor([ 1, -2])
    """
    if input._data.dtype.kind == "b":
        raise TypeError("positive: the unary + is not supported for bool tensors")
    return input


def isposinf(input):
    """True where the value is +inf.

    >>> import glassnet
    >>> glassnet.isposinf(glassnet.tensor([float("inf"), float("-inf"), 1.0]))
    tensor([ True, False, False])
    """
    a = input._data
    return Tensor._make(get_array_module(a).isposinf(a))


def isneginf(input):
    """True where the value is -inf.

    >>> import glassnet
    >>> glassnet.isneginf(glassnet.tensor([float("inf"), float("-inf"), 1.0]))
    tensor([False,  True, False])
    """
    a = input._data
    return Tensor._make(get_array_module(a).isneginf(a))


def isreal(input):
    """True everywhere: glassnet tensors are real (PyTorch's answer for real dtypes).

    >>> import glassnet
    >>> glassnet.isreal(glassnet.tensor([1.0, 2.0]))
    tensor([True, True])
    """
    xp = get_array_module(input._data)
    return Tensor._make(xp.ones(input._data.shape, dtype=bool))


def clamp_min(input, min):  # noqa: A002
    """``clamp(input, min=min)``.

    >>> import glassnet
    >>> glassnet.tensor([-1.0, 2.0]).clamp_min(0.5)
    tensor([0.5000, 2.0000])
    """
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    """``clamp(input, max=max)``.

    >>> import glassnet
    >>> glassnet.tensor([-1.0, 2.0]).clamp_max(0.5)
    tensor([-1.0000,  0.5000])
    """
    return clamp(input, max=max)


fix = trunc
absolute = _abs

__all__ = [
    "nan_to_num",
    "frac",
    "sgn",
    "signbit",
    "positive",
    "isposinf",
    "isneginf",
    "isreal",
    "clamp_min",
    "clamp_max",
    "fix",
    "absolute",
]

TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update(
    {
        name + "_": inplace_method(globals()[name])
        for name in "nan_to_num frac sgn clamp_min clamp_max fix absolute".split()
    }
)
