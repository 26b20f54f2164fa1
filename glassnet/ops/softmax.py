"""softmax and log_softmax along any dim, numerically stable.

Both subtract the max along the dim before ``exp`` (the result is the same, and ``exp`` cannot
overflow). Each keeps only its output for the backward:
softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy).

>>> import glassnet
>>> glassnet.tensor([1.0, 2.0, 3.0]).softmax(0)
tensor([0.0900, 0.2447, 0.6652])
>>> glassnet.tensor([1000.0, 1000.0]).log_softmax(dim=0)
tensor([-0.6931, -0.6931])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.low_precision import in_float32, is_bf16


class Softmax(Function):
    saves_output = True
    saves_inputs = False

    def forward(self, a, axis):
        xp = get_array_module(a)
        if a.size == 0:  # softmax of nothing is empty (a max over it has no identity)
            self.out, self.axis = a.copy(), axis
            return self.out
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.out, self.axis = e, axis
        return e

    def backward(self, grad):
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)), None)


class LogSoftmax(Function):
    saves_output = True
    saves_inputs = False

    def forward(self, a, axis):
        xp = get_array_module(a)
        if a.size == 0:
            self.out, self.axis = a.copy(), axis
            return self.out
        shifted = a - a.max(axis=axis, keepdims=True)
        shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = shifted, axis
        return shifted

    def backward(self, grad):
        xp = get_array_module(grad)
        return (grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True), None)


def _prepare(op, input, dim, dtype):
    if dtype is not None:
        from glassnet.ops.conversion import to_dtype

        input = to_dtype(input, dtype)
    elif input._data.dtype.kind != "f":
        raise DTypeError(
            f"{op}: expected a floating point tensor, got {input.dtype}; convert with .float() "
            "or pass dtype=glassnet.float32."
        )
    ndim = input._data.ndim
    if dim is None:  # PyTorch's legacy implicit choice, kept for F.softmax(x) without dim
        dim = 0 if ndim in (0, 1, 3) else 1
    axis = normalize_dim(dim, ndim, op)
    return input, (axis if ndim else None)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``: each slice becomes a probability distribution.

    >>> import glassnet
    >>> glassnet.softmax(glassnet.tensor([[0.0, 0.0], [0.0, 1000.0]]), dim=1)
    tensor([[0.5000, 0.5000],
            [0.0000, 1.0000]])
    """
    if dtype is None and is_bf16(input):  # float32 inside, bfloat16 out, as PyTorch's CPU
        return in_float32(softmax, input, dim)
    input, axis = _prepare("softmax", input, dim, dtype)
    return Softmax.apply(input, axis)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed directly so it stays finite for large inputs.

    >>> import glassnet
    >>> glassnet.log_softmax(glassnet.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dtype is None and is_bf16(input):
        return in_float32(log_softmax, input, dim)
    input, axis = _prepare("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, axis)


TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax}

__all__ = ["softmax", "log_softmax"]
