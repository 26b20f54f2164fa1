"""Bit shifts of integer tensors (``<<``, ``>>``, bitwise_left_shift, bitwise_right_shift) and the
in-place forms of the bitwise ops (``&=``, ``|=``, ``^=``, ``<<=``, ``>>=``, ``bitwise_and_``, ...).

The bitwise and/or/xor/not themselves live in comparison.py. Shifts follow PyTorch where C
leaves them undefined: shifting by a negative amount or by at least the bit width gives 0 to
the left, and 0 (or -1 for a negative signed value) to the right. Values wrap around their
dtype, as in PyTorch.

>>> import glassnet
>>> x = glassnet.tensor([1, -8, 5])
>>> x << 2
tensor([  4, -32,  20])
>>> x >> glassnet.tensor([1, 1, 70])
tensor([ 0, -4,  0])
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._pointwise import promoted
from glassnet.ops.comparison import bitwise_and, bitwise_not, bitwise_or, bitwise_xor
from glassnet.tensor import Tensor


def _shift_operands(op, input, other):
    for x in (input, other):
        kind = (
            x._data.dtype.kind if isinstance(x, Tensor) else ("f" if isinstance(x, float) else "")
        )
        if kind == "f":
            raise DTypeError(
                f"{op}: shifts are defined for integer tensors only, got a floating point "
                "operand; convert with .long() first."
            )
    if all(isinstance(x, Tensor) and x._data.dtype.kind == "b" for x in (input, other)):
        raise DTypeError(f"{op}: not implemented for two bool tensors; convert with .long().")
    a, b = promoted(op, input, other)
    xa = a._data if isinstance(a, Tensor) else a
    xb = b._data if isinstance(b, Tensor) else b
    xp = get_array_module(xa, xb)
    dtype = (a if isinstance(a, Tensor) else b)._data.dtype
    if dtype.kind == "b":  # a bool tensor shifted by a Python bool: computed in int64
        dtype = dtypes.int64
    return xp, xp.asarray(xa, dtype=dtype), xp.asarray(xb, dtype=dtype)


def bitwise_left_shift(input, other):
    """input * 2**other for integers, wrapping around the dtype (``<<``).

    >>> import glassnet
    >>> glassnet.bitwise_left_shift(glassnet.tensor([1, 3], dtype=glassnet.int8), 6)
    tensor([ 64, -64], dtype=glassnet.int8)
    """
    xp, a, b = _shift_operands("bitwise_left_shift", input, other)
    bits = 8 * a.dtype.itemsize
    inside = (b >= 0) & (b < bits)
    shifted = xp.left_shift(a, xp.where(inside, b, xp.zeros((), dtype=b.dtype)))
    return Tensor._make(xp.where(inside, shifted, xp.zeros((), dtype=a.dtype)))


def bitwise_right_shift(input, other):
    """input // 2**other for integers, rounding toward -inf (arithmetic shift, ``>>``).

    >>> import glassnet
    >>> glassnet.bitwise_right_shift(glassnet.tensor([-8, 8]), glassnet.tensor([1, 2]))
    tensor([-4,  2])
    """
    xp, a, b = _shift_operands("bitwise_right_shift", input, other)
    bits = 8 * a.dtype.itemsize
    inside = (b >= 0) & (b < bits)
    shifted = xp.right_shift(a, xp.where(inside, b, xp.zeros((), dtype=b.dtype)))
    if a.dtype.kind == "i":
        # Every bit shifted out: what is left is the sign, 0 or -1.
        fill = xp.where(a < 0, -xp.ones((), dtype=a.dtype), xp.zeros((), dtype=a.dtype))
    else:
        fill = xp.zeros((), dtype=a.dtype)
    return Tensor._make(xp.where(inside, shifted, fill))


def _operator(op, reflected=False):
    def method(self, other):
        if not isinstance(other, (Tensor, int, bool)):
            return NotImplemented
        return op(other, self) if reflected else op(self, other)

    method.__name__ = op.__name__
    return method


def _inplace(op):
    def method(self, other):
        return self._inplace(op, other)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}."
    return method


__all__ = ["bitwise_left_shift", "bitwise_right_shift"]

TENSOR_METHODS = {
    "bitwise_left_shift": bitwise_left_shift,
    "bitwise_right_shift": bitwise_right_shift,
    "__lshift__": _operator(bitwise_left_shift),
    "__rshift__": _operator(bitwise_right_shift),
    "__rlshift__": _operator(bitwise_left_shift, reflected=True),
    "__rrshift__": _operator(bitwise_right_shift, reflected=True),
}
for _op, _dunder in (
    (bitwise_left_shift, "__ilshift__"),
    (bitwise_right_shift, "__irshift__"),
    (bitwise_and, "__iand__"),
    (bitwise_or, "__ior__"),
    (bitwise_xor, "__ixor__"),
):
    TENSOR_METHODS[_op.__name__ + "_"] = TENSOR_METHODS[_dunder] = _inplace(_op)
TENSOR_METHODS["bitwise_not_"] = lambda self: self._inplace(bitwise_not)
