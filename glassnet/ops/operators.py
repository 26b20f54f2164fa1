"""Python's operators on tensors: ``+ - * / // % ** @``, their reflected forms, and in-place
versions (``+=`` and friends, and the ``add_``-style methods).

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0])
>>> 1 - x * 2
tensor([-1., -3.])
"""

from __future__ import annotations

from glassnet.ops import arithmetic as ar

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


def _inplace_method(op):
    def method(self, *args, **kwargs):
        return self._inplace(lambda t, *a: op(t, *a, **kwargs), *args)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}; see glassnet.{op.__name__}."
    return method


def _matmul(a, b):
    from glassnet.ops.linalg import matmul

    return matmul(a, b)


def _rmatmul(a, b):
    from glassnet.ops.linalg import matmul

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
    "__matmul__": _matmul,
    "__rmatmul__": _rmatmul,
    "__iadd__": lambda a, b: a.add_(b),
    "__isub__": lambda a, b: a.sub_(b),
    "__imul__": lambda a, b: a.mul_(b),
    "__itruediv__": lambda a, b: a.div_(b),
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
    **{name: _inplace_method(op) for name, op in _INPLACE.items()},
}
__all__ = []
