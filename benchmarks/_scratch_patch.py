"""Scratch: proposed fast paths for others' op files, applied by monkeypatching (for measuring)."""
import glassnet
from glassnet.tensor import Tensor
from glassnet.ops import arithmetic as ar, reduction as rd
from glassnet.backend import get_array_module

_orig_operands = ar._operands
check_broadcast = ar.check_broadcast
def _operands(op, a, b):
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a.data, b.data
            if da.dtype is db.dtype:
                if da.shape != db.shape:
                    check_broadcast(op, da.shape, db.shape)
                return a, b
        elif b.__class__ is float and a.data.dtype.kind == "f":
            return a, b
    return _orig_operands(op, a, b)
ar._operands = _operands

_orig_pow_bwd = ar.Pow.backward
def pow_backward(self, grad):
    b = self.b
    if b.__class__ is int or b.__class__ is float:
        if b == 2:
            return grad * (self.a * 2), None
        if b != 0:
            return grad * (b * self.a ** (b - 1)), None
    return _orig_pow_bwd(self, grad)
ar.Pow.backward = pow_backward

def mean_forward(self, a, axes, keepdims):
    self.in_shape, self.axes, self.keepdims = a.shape, axes, keepdims
    n = rd._count(a.shape, axes)
    return a.sum(axis=axes, keepdims=keepdims) / n if n else a.mean(axis=axes, keepdims=keepdims)
def mean_backward(self, grad):
    g = rd._unsqueeze(grad, self.axes, self.keepdims, len(self.in_shape))
    n = rd._count(self.in_shape, self.axes)
    out = get_array_module(g).empty(self.in_shape, g.dtype)
    out[...] = g / n if n else g
    return out, None, None
rd.Mean.forward = mean_forward
rd.Mean.backward = mean_backward

from glassnet.ops import operators as _opsmod
def _fast_inplace_method(op, ufunc):
    def method(self, *args, **kwargs):
        if kwargs:
            return self._inplace(lambda t, *a: op(t, *a, **kwargs), *args)
        return self._inplace(op, *args, ufunc=ufunc)
    return method
for _name, _u in [("add_", "add"), ("sub_", "subtract"), ("mul_", "multiply"), ("div_", "true_divide")]:
    setattr(Tensor, _name, _fast_inplace_method(_opsmod._INPLACE[_name], _u))
