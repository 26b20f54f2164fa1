"""Comparisons and logic: ``== != < <= > >=``, logical and bitwise ops, isnan, isclose, allclose.

Their results are bool tensors, which carry no gradient, so none of them needs a Function: each
computes its array directly. Operands broadcast and promote as in arithmetic (PyTorch's rules).

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0])
>>> x > 1.5
tensor([False,  True,  True])
>>> (x > 1) & (x < 3)
tensor([False,  True, False])
"""

from __future__ import annotations

from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._util import check_broadcast, result_dtype
from glassnet.tensor import Tensor

_NUMBER = (int, float, bool)


def _arrays(op, input, other):
    """The two operands as arrays (or an array and a Python scalar) of the promoted dtype."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
        b, a = _arrays(op, other, input)
        return a, b
    a = input._data
    if isinstance(other, Tensor):
        b = other._data
    elif isinstance(other, _NUMBER):
        dtype = result_dtype(input, other)
        return (a if a.dtype == dtype else a.astype(dtype)), other
    else:
        from glassnet.ops.operands import _coerce

        other = _coerce(op, other, input)
        b = other._data
    if type(a) is not type(b):
        from glassnet.errors import DeviceError

        raise DeviceError(
            f"{op}: expected both tensors on the same device, got {input.device} and "
            f"{other.device}; move one with .to(device)."
        )
    if a.shape != b.shape:
        check_broadcast(op, a.shape, b.shape)
    if a.dtype != b.dtype:
        dtype = result_dtype(input, other)
        a = a if a.dtype == dtype else a.astype(dtype)
        b = b if b.dtype == dtype else b.astype(dtype)
    return a, b


def _compare(name, ufunc):
    def op(input, other):
        a, b = _arrays(name, input, other)
        return Tensor._make(getattr(get_array_module(a), ufunc)(a, b))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` of two tensors (or a tensor and a number), as bool."
    return op


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")


def _as_bool(op, x):
    if isinstance(x, Tensor):
        return x._data if x._data.dtype.kind == "b" else x._data != 0
    return bool(x)


def _logical(name, input, other):
    a, b = _as_bool(name, input), _as_bool(name, other)
    _check_pair(name, input, other)
    return Tensor._make(getattr(get_array_module(a, b), name)(a, b))


def logical_and(input, other):
    """True where both are nonzero.

    >>> import glassnet
    >>> glassnet.logical_and(glassnet.tensor([0, 1, 2]), glassnet.tensor([1, 1, 0]))
    tensor([False,  True, False])
    """
    return _logical("logical_and", input, other)


def logical_or(input, other):
    """True where either is nonzero.

    >>> import glassnet
    >>> glassnet.logical_or(glassnet.tensor([0, 0, 2]), glassnet.tensor([0, 1, 0]))
    tensor([False,  True,  True])
    """
    return _logical("logical_or", input, other)


def logical_xor(input, other):
    """True where exactly one is nonzero.

    >>> import glassnet
    >>> glassnet.logical_xor(glassnet.tensor([0, 1, 2]), glassnet.tensor([1, 1, 0]))
    tensor([ True, False,  True])
    """
    return _logical("logical_xor", input, other)


def logical_not(input):
    """True where the input is zero.

    >>> import glassnet
    >>> glassnet.logical_not(glassnet.tensor([0.0, 1.5]))
    tensor([ True, False])
    """
    a = input._data
    return Tensor._make(get_array_module(a).logical_not(a))


def _check_pair(op, input, other):
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        if input._data.shape != other._data.shape:
            check_broadcast(op, input._data.shape, other._data.shape)


def _bitwise(name, ufunc):
    def op(input, other):
        for x in (input, other):
            if isinstance(x, Tensor) and x._data.dtype.kind not in "biu":
                raise DTypeError(
                    f"{name}: only bool and integer tensors are supported, got {x.dtype}; "
                    "for a logical result of float tensors use logical_and/logical_or/"
                    "logical_xor, or compare first (x > 0)."
                )
            if isinstance(x, float):
                raise DTypeError(f"{name}: a float operand {x!r} is not supported")
        a, b = _arrays(name, input, other)
        return Tensor._make(getattr(get_array_module(a), ufunc)(a, b))

    op.__name__ = name
    op.__doc__ = f"Elementwise {name} of bool or integer tensors (``&``, ``|``, ``^``)."
    return op


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")


def bitwise_not(input):
    """Logical not of a bool tensor, bitwise not of an integer one (``~x``).

    >>> import glassnet
    >>> ~glassnet.tensor([True, False])
    tensor([False,  True])
    """
    a = input._data
    if a.dtype.kind not in "biu":
        raise DTypeError(
            f"bitwise_not: only bool and integer tensors are supported, got {input.dtype}; "
            "use logical_not for float tensors."
        )
    return Tensor._make(get_array_module(a).invert(a))


def isnan(input):
    """True where the value is NaN.

    >>> import glassnet
    >>> glassnet.isnan(glassnet.tensor([1.0, float("nan")]))
    tensor([False,  True])
    """
    a = input._data
    return Tensor._make(get_array_module(a).isnan(a))


def isinf(input):
    """True where the value is +inf or -inf.

    >>> import glassnet
    >>> glassnet.isinf(glassnet.tensor([1.0, float("-inf")]))
    tensor([False,  True])
    """
    a = input._data
    return Tensor._make(get_array_module(a).isinf(a))


def isfinite(input):
    """True where the value is neither inf nor NaN.

    >>> import glassnet
    >>> glassnet.isfinite(glassnet.tensor([1.0, float("inf"), float("nan")]))
    tensor([ True, False, False])
    """
    a = input._data
    return Tensor._make(get_array_module(a).isfinite(a))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where ``|input - other| <= atol + rtol * |other|`` (elementwise, as bool).

    >>> import glassnet
    >>> glassnet.isclose(glassnet.tensor([1.0, 2.0]), glassnet.tensor([1.0 + 1e-7, 2.1]))
    tensor([ True, False])
    """
    a, b = _arrays("isclose", input, other)
    xp = get_array_module(a)
    return Tensor._make(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) when every element is close (see isclose).

    >>> import glassnet
    >>> glassnet.allclose(glassnet.tensor([1.0, 2.0]), glassnet.tensor([1.0, 2.0 + 1e-6]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True (a Python bool) when both have the same shape and the same elements.

    >>> import glassnet
    >>> glassnet.equal(glassnet.tensor([1, 2]), glassnet.tensor([1, 2]))
    True
    >>> glassnet.equal(glassnet.tensor([1, 2]), glassnet.tensor([[1, 2]]))
    False
    """
    if input._data.shape != other._data.shape:
        return False
    a, b = _arrays("equal", input, other)
    return bool((a == b).all())


def _dunder(op):
    """``t == None`` and similar comparisons with foreign objects are False, not an error."""

    def method(self, other):
        if isinstance(other, (Tensor, *_NUMBER)):
            return op(self, other)
        try:  # lists and arrays compare elementwise; anything else is simply unequal
            return op(self, other)
        except TypeError:
            return NotImplemented

    method.__name__ = f"__{op.__name__}__"
    return method


def _bitwise_dunder(op, reflected=False):
    def method(self, other):
        if not isinstance(other, (Tensor, int, bool)):
            return NotImplemented
        return op(other, self) if reflected else op(self, other)

    return method


TENSOR_METHODS = {
    "eq": eq,
    "ne": ne,
    "lt": lt,
    "le": le,
    "gt": gt,
    "ge": ge,
    "greater": gt,
    "greater_equal": ge,
    "less": lt,
    "less_equal": le,
    "not_equal": ne,
    "__eq__": _dunder(eq),
    "__ne__": _dunder(ne),
    "__lt__": _dunder(lt),
    "__le__": _dunder(le),
    "__gt__": _dunder(gt),
    "__ge__": _dunder(ge),
    "logical_and": logical_and,
    "logical_or": logical_or,
    "logical_xor": logical_xor,
    "logical_not": logical_not,
    "bitwise_and": bitwise_and,
    "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor,
    "bitwise_not": bitwise_not,
    "__and__": _bitwise_dunder(bitwise_and),
    "__or__": _bitwise_dunder(bitwise_or),
    "__xor__": _bitwise_dunder(bitwise_xor),
    "__rand__": _bitwise_dunder(bitwise_and, reflected=True),
    "__ror__": _bitwise_dunder(bitwise_or, reflected=True),
    "__rxor__": _bitwise_dunder(bitwise_xor, reflected=True),
    "__invert__": bitwise_not,
    "isnan": isnan,
    "isinf": isinf,
    "isfinite": isfinite,
    "isclose": isclose,
    "allclose": allclose,
    "equal": equal,
}

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "isnan",
    "isinf",
    "isfinite",
    "isclose",
    "allclose",
    "equal",
]
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
