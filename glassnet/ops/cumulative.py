"""Running reductions and differences along one dim: cummax, cummin, logcumsumexp, diff,
trapezoid and cumulative_trapezoid (cumsum and cumprod live in scan.py).

cummax and cummin return (values, indices) as PyTorch: a tie moves the index to the later
element, and once a nan appears it is the running value (its index that of the latest nan).
Their values are gathered at the indices, so the gradient goes to the element chosen.
logcumsumexp stays finite where exp would overflow, and its gradient is computed in log space
too.

>>> import glassnet
>>> glassnet.tensor([1.0, 3.0, 2.0, 5.0]).cummax(0)
cummax(values=tensor([1., 3., 3., 5.]), indices=tensor([0, 1, 1, 3]))
>>> glassnet.tensor([1000.0, 1000.0]).logcumsumexp(0)
tensor([1000.0000, 1000.6932])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import float_tensor
from glassnet.ops._util import normalize_dim
from glassnet.ops.conversion import clone
from glassnet.ops.low_precision import bfloat16_in_float32
from glassnet.ops.operands import _quiet
from glassnet.tensor import Tensor

cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


def _running_extreme(op, input, dim, smallest):
    from glassnet.ops.index_gather import gather

    a = input._data
    xp = get_array_module(a)
    result = cummin_result if smallest else cummax_result
    if a.ndim == 0:
        normalize_dim(dim, 0, op)
        return result(clone(input), Tensor._make(xp.zeros((), xp.int64)))
    axis = normalize_dim(dim, a.ndim, op)
    accumulate = xp.minimum.accumulate if smallest else xp.maximum.accumulate
    running = accumulate(a, axis=axis)  # nan propagates through maximum/minimum
    # The index moves wherever the element is the running value (a new extreme or a tie) or
    # is nan; between such places it stays, which is a running max over the positions.
    moves = running == a
    if a.dtype.kind == "f":
        moves |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    positions = xp.arange(a.shape[axis], dtype=xp.int64).reshape(shape)
    index = xp.maximum.accumulate(xp.where(moves, positions, 0), axis=axis)
    indices = Tensor._make(index)
    return result(gather(input, axis, indices), indices)


def cummax(input, dim):
    """(values, indices): the running maximum along ``dim`` and where it was found.

    >>> import glassnet
    >>> glassnet.cummax(glassnet.tensor([[2, 1], [1, 4]]), dim=0).values
    tensor([[2, 1],
            [2, 4]])
    """
    return _running_extreme("cummax", input, dim, smallest=False)


def cummin(input, dim):
    """(values, indices): the running minimum along ``dim`` and where it was found.

    >>> import glassnet
    >>> glassnet.tensor([3.0, 1.0, 2.0]).cummin(0).indices
    tensor([0, 1, 1])
    """
    return _running_extreme("cummin", input, dim, smallest=True)


def _logcumsumexp_array(xp, a, axis, reverse=False):
    """log(cumsum(exp(a))) along ``axis`` (from the end with ``reverse``), without overflow.

    NumPy's logaddexp.accumulate is exact; array modules without ufunc.accumulate shift by the
    slice maximum instead, which is exact unless a running value is ~700 (float64) below it.
    """
    if reverse:
        a = xp.flip(a, axis)
    if xp.__name__ == "numpy":
        with _quiet(xp):
            out = xp.logaddexp.accumulate(a, axis=axis)
    else:
        m = a.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=a.dtype))
        with _quiet(xp):
            out = xp.log(xp.cumsum(xp.exp(a - m), axis=axis)) + m
    return xp.flip(out, axis) if reverse else out


class LogCumSumExp(Function):
    saves_output = True

    def forward(self, a, axis):
        self.a, self.axis = a, axis
        self.out = _logcumsumexp_array(get_array_module(a), a, axis)
        return self.out

    def backward(self, grad):
        # grad_j = sum_{i >= j} g_i exp(a_j - out_i). Summed in log space, separately for the
        # positive and negative parts of g, so neither exp(a_j) nor exp(-out_i) can overflow.
        xp = get_array_module(grad)
        zero = xp.zeros((), dtype=grad.dtype)
        result = zero
        with _quiet(xp):
            for sign in (1, -1):
                part = xp.where(sign * grad > 0, sign * grad, zero)
                if not part.any():
                    continue
                log_sum = _logcumsumexp_array(xp, xp.log(part) - self.out, self.axis, True)
                result = result + sign * xp.exp(log_sum + self.a)
        if result is zero:
            result = xp.zeros_like(grad)
        return result, None


@bfloat16_in_float32  # as PyTorch's CPU scans: float32 inside, one rounding out
def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, computed without overflow.

    >>> import glassnet
    >>> glassnet.logcumsumexp(glassnet.tensor([0.0, 0.0, 0.0]), 0)
    tensor([0.0000, 0.6931, 1.0986])
    """
    input = float_tensor("logcumsumexp", input)
    if input._data.ndim == 0:
        normalize_dim(dim, 0, "logcumsumexp")
        return clone(input)
    return LogCumSumExp.apply(input, normalize_dim(dim, input._data.ndim, "logcumsumexp"))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim`` (``prepend``/``append`` join first).

    >>> import glassnet
    >>> glassnet.tensor([1, 4, 9, 16]).diff()
    tensor([3, 5, 7])
    >>> glassnet.tensor([1.0, 4.0, 9.0]).diff(n=2)
    tensor([2.])
    """
    from glassnet.ops.shape_join import cat

    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = normalize_dim(dim, input._data.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[axis]
        later, earlier = x.narrow(axis, 1, max(size - 1, 0)), x.narrow(axis, 0, max(size - 1, 0))
        x = later.logical_xor(earlier) if x._data.dtype.kind == "b" else later - earlier
    return x


def _spacing(op, y, x, dx, axis):
    if x is None:
        return dx
    if x._data.ndim == 1:
        d = diff(x)
        shape = [1] * y._data.ndim
        shape[axis] = d.shape[0]
        return d.reshape(shape)
    return diff(x, dim=axis)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoidal rule (samples at ``x``, or
    spaced ``dx`` apart, 1 by default).

    >>> import glassnet
    >>> glassnet.trapezoid(glassnet.tensor([1.0, 2.0, 3.0]))
    tensor(4.)
    >>> glassnet.trapezoid(glassnet.tensor([1.0, 2.0, 3.0]), glassnet.tensor([0.0, 1.0, 3.0]))
    tensor(6.5000)
    """
    return _trapezoid("trapezoid", y, x, dx, dim, cumulative=False)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of ``y`` along ``dim`` (one value fewer than ``y``).

    >>> import glassnet
    >>> glassnet.cumulative_trapezoid(glassnet.tensor([1.0, 2.0, 3.0]))
    tensor([1.5000, 4.0000])
    """
    return _trapezoid("cumulative_trapezoid", y, x, dx, dim, cumulative=True)


def _trapezoid(op, y, x, dx, dim, cumulative):
    axis = normalize_dim(dim, y._data.ndim, op)
    n = y.shape[axis]
    if n == 0 and not cumulative:
        return (y * 0).sum(axis)
    spacing = _spacing(op, y, x, 1 if dx is None else dx, axis)
    mids = (y.narrow(axis, 1, max(n - 1, 0)) + y.narrow(axis, 0, max(n - 1, 0))) * spacing / 2
    return mids.cumsum(axis) if cumulative else mids.sum(axis)


trapz = trapezoid

__all__ = [
    "cummax",
    "cummin",
    "logcumsumexp",
    "diff",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
]
TENSOR_METHODS = {"cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp, "diff": diff}
