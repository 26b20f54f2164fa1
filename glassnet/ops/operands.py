"""Operands of the binary ops: a tensor and a tensor, array, list or number made into two
operands of the result dtype (PyTorch's type promotion), broadcasting checked with a clear
error; and ``_quiet``, which silences NumPy's warnings where a masked value is discarded.

>>> import glassnet
>>> a, b = _operands("mul", glassnet.tensor([1, 2]), 0.5)
>>> a.dtype, b
(dtype('float32'), 0.5)
"""

from __future__ import annotations

import numpy as _np

from glassnet.autograd import apply_constant, apply_pair
from glassnet.ops._util import check_broadcast, result_dtype
from glassnet.tensor import Tensor


def _is_scalar(x):
    return isinstance(x, (int, float))


class _quiet:  # noqa: N801 - used like a function: `with _quiet(xp):`
    """Silence NumPy's divide/invalid warnings where a masked value is discarded anyway."""

    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        self._old = self.xp.seterr(all="ignore") if hasattr(self.xp, "seterr") else None

    def __exit__(self, *exc):
        if self._old is not None:
            self.xp.seterr(**self._old)


def _fast_operands(op, a, b):
    """``_operands`` for the arithmetic Functions (``broadcasts = True``): the common cases,
    two tensors of one dtype and a float tensor with a Python number (NumPy keeps the tensor's
    dtype for those), pass with no dtype arithmetic and no broadcasting check; shapes that do
    not broadcast make NumPy fail in forward, and Function.apply then raises the ShapeError."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype is b._data.dtype:
                return a, b
        elif (b.__class__ is float or b.__class__ is int) and a._data.dtype.kind == "f":
            return a, b
    return _operands(op, a, b)


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
        if a._data.shape != b._data.shape:
            check_broadcast(op, a._data.shape, b._data.shape)
    elif isinstance(b, _np_scalar):
        # NumPy scalars act as Python numbers (float32 tensor * np.float64(2) stays float32).
        b = b.item()
    elif not isinstance(b, (int, float, bool, complex)):
        b = _coerce(op, b, a)
        if a._data.shape != b._data.shape:
            check_broadcast(op, a._data.shape, b._data.shape)
    dtype = result_dtype(a, b)
    a = _cast(a, dtype)
    b = _cast(b, dtype) if isinstance(b, Tensor) else b
    return (b, a) if swapped else (a, b)


_np_scalar = _np.generic  # a type check only: ops themselves use xp


def _coerce(op, value, like):
    from glassnet.creation import tensor

    if isinstance(value, (_np.ndarray, list, tuple)):
        t = tensor(value, device=like.device)
        return t
    raise TypeError(
        f"{op}: unsupported operand type {type(value).__name__}; use a Tensor or a number"
    )


def _cast(t, dtype):
    if t._data.dtype == dtype:
        return t
    from glassnet.ops.conversion import to_dtype

    return to_dtype(t, dtype)


def _fast_apply(cls, a, b):
    """``cls.apply`` on ``_fast_operands``' common cases (two tensors of one dtype, a float
    tensor and a Python number) without its generic argument handling; None otherwise."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype is b._data.dtype:
                return apply_pair(cls, a, b)
        elif (b.__class__ is float or b.__class__ is int) and a._data.dtype.kind == "f":
            return apply_constant(cls, a, b)
    return None
