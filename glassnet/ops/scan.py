"""Running reductions along one dim: cumsum and cumprod.

Part of ``glassnet.ops.reduction``'s API (``x.cumsum(0)``). The gradient of a running sum is the
running sum of the gradient taken from the other end; cumprod's gradient stays exact where the
input holds zeros, where the usual shortcut (divide by x) would give nan.

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x.cumprod(0)
tensor([1., 2., 6.], grad_fn=<CumprodBackward...>)
>>> x.cumsum(0).sum().backward()
>>> x.grad
tensor([3., 2., 1.])
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import normalize_dim
from glassnet.ops.conversion import clone, to_dtype
from glassnet.ops.low_precision import bfloat16_in_float32


def _reverse_cumsum(xp, g, axis):
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


class Cumsum(Function):
    saves_inputs = False

    def forward(self, a, axis, dtype=None):
        self.axis = axis
        return get_array_module(a).cumsum(a, axis=axis, dtype=dtype)

    def backward(self, grad):
        return _reverse_cumsum(get_array_module(grad), grad, self.axis), None


class Cumprod(Function):
    saves_output = True

    def forward(self, a, axis):
        self.a, self.axis = a, axis
        self.out = get_array_module(a).cumprod(a, axis=axis)
        return self.out

    def backward(self, grad):
        # grad_k = sum_{j >= k} g_j * prod_{i <= j, i != k} x_i. Before the first zero of a
        # slice that is sum_{j >= k} g_j * out_j / x_k. At the first zero z it is the same sum
        # with x_z replaced by 1; after z every term holds x_z = 0.
        xp = get_array_module(grad)
        a, axis, out = self.a, self.axis, self.out
        is_zero = a == 0
        one = xp.ones((), dtype=a.dtype)
        if not is_zero.any():
            return _reverse_cumsum(xp, grad * out, axis) / a, None
        zeros_so_far = xp.cumsum(is_zero, axis=axis)
        before = zeros_so_far == 0
        first_zero = is_zero & (zeros_so_far == 1)
        regular = _reverse_cumsum(xp, grad * out, axis) / xp.where(before, a, one)
        skipped = xp.cumprod(xp.where(first_zero, one, a), axis=axis)
        at_zero = _reverse_cumsum(xp, grad * skipped, axis)
        zero = xp.zeros((), dtype=grad.dtype)
        return xp.where(before, regular, xp.where(first_zero, at_zero, zero)), None


def _prepare(input, dim, dtype, op):
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "biu":
        input = to_dtype(input, dtypes.int64)  # PyTorch accumulates integers in int64
    if input._data.ndim == 0:
        normalize_dim(dim, 0, op)
        return input, None
    return input, normalize_dim(dim, input._data.ndim, op)


@bfloat16_in_float32  # a bfloat16 running sum adds up in float32 (stalls at 256 otherwise)
def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).cumsum(dim=1)
    tensor([[1, 3],
            [3, 7]])
    """
    input, axis = _prepare(input, dim, dtype, "cumsum")
    if axis is None:  # a 0-d tensor: the running result is the value itself
        return clone(input)
    return Cumsum.apply(input, axis)


@bfloat16_in_float32
def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; gradients are exact even where the input is 0.

    >>> import glassnet
    >>> glassnet.tensor([2.0, 0.0, 3.0]).cumprod(0)
    tensor([2., 0., 0.])
    """
    input, axis = _prepare(input, dim, dtype, "cumprod")
    if axis is None:  # a 0-d tensor: the running result is the value itself
        return clone(input)
    return Cumprod.apply(input, axis)


__all__ = ["cumsum", "cumprod"]
