"""Python's operators on tensors: ``+ - * / // % ** @``, their reflected forms, and in-place
versions (``+=`` and friends, and the ``add_``-style methods).

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0])
>>> 1 - x * 2
tensor([-1., -3.])
"""

from __future__ import annotations

from glassnet.ops import arithmetic as ar
from glassnet.ops.linalg import matmul

# The in-place forms that are just "compute out of place, write back" (Tensor._inplace).
_INPLACE = {
    "add_": ar.add,
    "sub_": ar.sub,
    "mul_": ar.mul,
    "div_": ar.div,
    "pow_": ar.pow,
    "neg_": ar.neg,
    "remainder_": ar.remainder,
    "floor_divide_": ar.floor_divide,
}


# The ufunc that computes each, so that with nothing to record (an optimizer step under
# no_grad) the result is written straight into the tensor's memory.
_UFUNCS = {"add_": "add", "sub_": "subtract", "mul_": "multiply", "div_": "true_divide"}


def _inplace_method(name, op):
    ufunc = _UFUNCS.get(name)

    def method(self, *args, **kwargs):
        if kwargs:
            return self._inplace(lambda t, *a: op(t, *a, **kwargs), *args)
        return self._inplace(op, *args, ufunc=ufunc)

    method.__name__ = name
    method.__doc__ = f"In-place {op.__name__}; see glassnet.{op.__name__}."
    return method


def _iadd(a, b):
    return a._inplace(ar.add, b, ufunc="add")


def _isub(a, b):
    return a._inplace(ar.sub, b, ufunc="subtract")


def _imul(a, b):
    return a._inplace(ar.mul, b, ufunc="multiply")


def _itruediv(a, b):
    return a._inplace(ar.div, b, ufunc="true_divide")


def _rmatmul(a, b):
    return matmul(b, a)


TENSOR_METHODS = {
    "__add__": ar.add,
    "__radd__": ar.add,
    "__sub__": ar.sub,
    "__rsub__": ar.rsub,
    "__mul__": ar.mul,
    "__rmul__": ar.mul,
    "__truediv__": ar.div,
    "__rtruediv__": ar.rdiv,
    "__floordiv__": ar.floor_divide,
    "__rfloordiv__": lambda a, b: ar.floor_divide(b, a),
    "__mod__": ar.remainder,
    "__rmod__": lambda a, b: ar.remainder(b, a),
    "__pow__": ar.pow,
    "__rpow__": lambda a, b: ar.pow(b, a),
    "__neg__": ar.neg,
    "__pos__": lambda a: a,
    "__matmul__": matmul,
    "__rmatmul__": _rmatmul,
    "__iadd__": _iadd,
    "__isub__": _isub,
    "__imul__": _imul,
    "__itruediv__": _itruediv,
    "add": ar.add,
    "sub": ar.sub,
    "subtract": ar.sub,
    "mul": ar.mul,
    "multiply": ar.mul,
    "div": ar.div,
    "divide": ar.div,
    "true_divide": ar.div,
    "pow": ar.pow,
    "neg": ar.neg,
    "negative": ar.neg,
    "remainder": ar.remainder,
    "floor_divide": ar.floor_divide,
    **{name: _inplace_method(name, op) for name, op in _INPLACE.items()},
}
__all__ = []
