"""Argument checks the loss functions share: the reduction string, float inputs, targets cast to
the input's dtype and device, and constant weights."""

from __future__ import annotations

from glassnet import backend
from glassnet.errors import DeviceError, DTypeError
from glassnet.ops.conversion import to_dtype
from glassnet.tensor import Tensor


def _reduction(name, size_average, reduce, reduction, allowed=("none", "mean", "sum")):
    """The reduction string, translating PyTorch's deprecated size_average/reduce flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in allowed:
        raise ValueError(
            f"{name}: {reduction!r} is not a valid value for reduction; "
            f"use one of {', '.join(repr(a) for a in allowed)}."
        )
    return reduction


def _check_input(name, input, what="input"):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as {what}, got {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"{name}: expected a floating point {what}, got dtype "
            f"{input._data.dtype}; convert it with .float() first."
        )


def _like(name, t, input, what="target"):
    """``t`` as a tensor of the input's float dtype, on the input's device (differentiable)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor as {what}, got {type(t).__name__}")
    _same_device(name, t, input, what)
    if t._data.dtype != input._data.dtype:
        if t._data.dtype.kind == "b":
            t = Tensor._make(t._data.astype(input._data.dtype))
        else:
            t = to_dtype(t, input._data.dtype)
    return t


def _same_device(name, t, input, what):
    if backend.device_of(t._data) != backend.device_of(input._data):
        raise DeviceError(
            f"{name}: {what} is on {backend.device_of(t._data)} but the input is on "
            f"{backend.device_of(input._data)}; move it with .to(input.device)."
        )


def _constant(name, t, input, what):
    """An optional weight as an array of the input's dtype (PyTorch gives it no gradient)."""
    if t is None:
        return None
    _same_device(name, t, input, what)
    return t._data.astype(input._data.dtype, copy=False)
