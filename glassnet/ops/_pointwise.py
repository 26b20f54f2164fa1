"""Helpers the pointwise math files share: operands of PyTorch's result dtype, made floating
for ops whose result is always floating (atan2, hypot, lerp, logaddexp, ...)."""

from __future__ import annotations

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.errors import AutogradError
from glassnet.tensor import Tensor


def float_tensor(op, input):
    """``input`` as a floating tensor: integers and bools become the default float dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    kind = input._data.dtype.kind
    if kind in "biu":
        from glassnet.ops.conversion import to_dtype

        return to_dtype(input, dtypes.get_default_dtype())
    if kind == "c":
        raise TypeError(f"{op}: complex tensors are not supported; take .real or .abs() first")
    return input


def promoted(op, a, b):
    """Both operands in PyTorch's result dtype (a Python number stays a number)."""
    from glassnet.ops.operands import _operands

    return _operands(op, a, b)


def float_operands(op, a, b):
    """Both operands in the result dtype, made floating when that dtype is not."""
    a, b = promoted(op, a, b)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype.kind == "f":
        return a, b
    from glassnet.ops.conversion import to_dtype

    dtype = dtypes.get_default_dtype()
    a = to_dtype(a, dtype) if isinstance(a, Tensor) else float(a)
    b = to_dtype(b, dtype) if isinstance(b, Tensor) else float(b)
    return a, b


def as_tensor_like(value, like):
    """A Python number as a 0-d tensor of ``like``'s dtype and device (for ops that need two
    tensors)."""
    if isinstance(value, Tensor):
        return value
    from glassnet.backend import get_array_module

    xp = get_array_module(like._data)
    return Tensor._make(xp.asarray(value, dtype=like._data.dtype))


def inplace_method(op):
    """The ``op_`` Tensor method: ``op`` computed out of place and written back (autograd-safe,
    through ``Tensor._inplace``)."""

    def method(self, *args, **kwargs):
        return self._inplace(lambda t, *a: op(t, *a, **kwargs), *args)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}; see glassnet.{op.__name__}."
    return method


class _NoDerivative(Function):
    """Stands in the graph for an op PyTorch does not differentiate either: the forward result
    is already computed; reaching it in backward raises, naming the op."""

    saves_inputs = False

    def forward(self, *arrays, result, name, hint):
        self.op_name, self.hint = name, hint
        return result

    def name(self):
        return "".join(part.capitalize() for part in self.op_name.split("_")) + "Backward0"

    def backward(self, grad):
        raise AutogradError(
            f"the derivative for '{self.op_name}' is not implemented (nor in PyTorch). {self.hint}"
        )


def without_derivative(name, result, *inputs, hint="Detach its inputs with .detach()."):
    """Wrap ``result`` (an array computed from ``inputs``) as a tensor whose backward raises a
    clear error when a gradient would have to flow through it."""
    return _NoDerivative.apply(*inputs, result=result, name=name, hint=hint)
