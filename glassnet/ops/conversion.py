"""Changing dtype or device, copying: ``to``, ``float``, ``clone``, ``contiguous``, ``cpu``.

A dtype cast between floating types is differentiable (the gradient is cast back); a cast to an
integer type ends the graph, as in PyTorch.

>>> import glassnet
>>> glassnet.tensor([1, 2]).float()
tensor([1., 2.])
"""

from __future__ import annotations

from glassnet import backend, dtypes
from glassnet import memory_formats as formats
from glassnet.autograd import Function
from glassnet.tensor import Tensor


class Cast(Function):
    saves_inputs = False
    supports_complex = True  # real -> complex: the gradient's real part goes back

    def forward(self, a, dtype):
        self.source = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        if grad.dtype.kind == "c" and self.source.kind != "c":
            grad = grad.real
        return (grad.astype(self.source),)


class ToDevice(Function):
    saves_inputs = False

    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):
        return (backend.to_device(grad, self.source),)


class Clone(Function):
    saves_inputs = False

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return (grad,)


class ToChannelsLast(Function):
    """The same values with (N, H, W, C) memory; the gradient passes through unchanged."""

    saves_inputs = False

    def forward(self, a):
        return formats.channels_last_array(a)

    def backward(self, grad):
        return (grad,)


def to_dtype(t: Tensor, dtype) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if t._data.dtype == dtype:
        return t
    return Cast.apply(t, dtype)


def to(
    t: Tensor, *args, dtype=None, device=None, copy=False, non_blocking=False, memory_format=None
) -> Tensor:
    """``t.to('cuda')``, ``t.to(glassnet.float64)``, ``t.to(other_tensor)``, or both; with
    ``memory_format=glassnet.channels_last`` also the layout (glassnet/memory_formats.py)."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, str) and not _is_dtype_name(a):
            device = a
        else:
            dtype = a
    out = t
    if device is not None:
        device = backend.normalize_device(device)
        if backend.device_of(t._data) != device:
            out = ToDevice.apply(out, device)
    if dtype is not None:
        out = to_dtype(out, dtype)
    if memory_format is not None and memory_format is not formats.preserve_format:
        out = contiguous(out, memory_format)
    if copy and out is t:
        out = Clone.apply(t)
    return out


def _is_dtype_name(name):
    try:
        dtypes.as_dtype(name)
        return True
    except TypeError:
        return False


def clone(t: Tensor) -> Tensor:
    """A copy with its own memory; gradients flow through it."""
    return Clone.apply(t)


def contiguous(t: Tensor, memory_format=formats.contiguous_format) -> Tensor:
    """``t`` itself when its memory is already laid out as asked (row-major by default, or
    ``glassnet.channels_last``), else a copy that is; gradients flow through it."""
    formats.check_format(memory_format, t._data.ndim, "contiguous")
    if memory_format is formats.channels_last:
        return t if formats.suggests_channels_last(t._data) else ToChannelsLast.apply(t)
    xp = backend.get_array_module(t._data)
    if t._data.flags.c_contiguous or memory_format is formats.preserve_format:
        return t
    out = Clone.apply(t)
    out._data = xp.ascontiguousarray(out._data)
    return out


TENSOR_METHODS = {
    "to": to,
    "clone": clone,
    "contiguous": contiguous,
    "float": lambda t: to_dtype(t, dtypes.float32),
    "double": lambda t: to_dtype(t, dtypes.float64),
    "half": lambda t: to_dtype(t, dtypes.float16),
    "bfloat16": lambda t: to_dtype(t, dtypes.as_dtype("bfloat16")),  # ml_dtypes ([amp] extra)
    "long": lambda t: to_dtype(t, dtypes.int64),
    "int": lambda t: to_dtype(t, dtypes.int32),
    "bool": lambda t: to_dtype(t, dtypes.bool_),
    "type": lambda t, dtype=None: str(t.dtype) if dtype is None else to_dtype(t, dtype),
    "cpu": lambda t: to(t, device="cpu"),
    "cuda": lambda t, device=None: to(t, device="cuda"),
    "type_as": lambda t, other: to_dtype(t, other.dtype),
}
