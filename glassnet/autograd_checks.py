"""The checks ``Function.apply`` makes on an op's inputs and output: one device for all inputs,
shapes that broadcast, and which non-float outputs join the graph. Kept apart from
``glassnet.autograd`` because they run only on the rare paths (a mismatch, a complex result) and
each explains its error at length.

>>> import glassnet
>>> from glassnet.ops.arithmetic import Add
>>> _check_broadcast(Add, (glassnet.ones(2), glassnet.ones(3)))
Traceback (most recent call last):
...
glassnet.errors.ShapeError: ...
"""

from __future__ import annotations

from glassnet import backend
from glassnet.errors import AutogradError, DeviceError
from glassnet.tensor import Tensor

__all__ = []


def _untracked(cls, out):
    """Whether a non-float output is left out of the graph: integer and bool results always
    are; a complex one is recorded by the ops that declare ``supports_complex`` (the FFTs,
    arithmetic, ``real``, ``imag``, ...) and refused by the rest, whose backward assumes real
    numbers."""
    if out.dtype.kind != "c":
        # bfloat16 (ml_dtypes, NumPy kind "V") is a floating type: autocast's outputs are tracked
        return out.dtype.name != "bfloat16"
    if not getattr(cls, "supports_complex", False):
        raise AutogradError(
            f"{cls.__name__.lower()}: this op does not differentiate complex tensors. glassnet "
            "differentiates complex values only through the FFTs (glassnet.fft), + - * /, "
            "sum, mean, .real, .imag, .abs(), .angle(), conj, view_as_real and "
            "view_as_complex; take .real/.imag or view_as_real first, or detach the tensor."
        )
    return False


def _check_broadcast(cls, args):
    from glassnet.ops._util import check_broadcast

    shapes = [a._data.shape for a in args if isinstance(a, Tensor)]
    if len(shapes) == 2:
        check_broadcast(cls.error_name or cls.__name__.lower(), *shapes)


def _check_devices(cls, args):
    first = None
    for a in args:
        if isinstance(a, Tensor):
            kind = type(a._data)
            if first is None:
                first = kind
            elif kind is not first:
                _raise_device_mismatch(cls, args)


def _raise_device_mismatch(cls, args):
    devices = [backend.device_of(a._data) for a in args if isinstance(a, Tensor)]
    other = [d for d in devices if d != devices[0]][0]
    raise DeviceError(
        f"{cls.__name__.lower()}: expected all tensors to be on the same device, but found at "
        f"least two devices, {devices[0]} and {other}. Move them together with .to(device) "
        "first."
    )
