"""Reductions that combine others: std_mean, var_mean, aminmax, nansum, nanmean,
count_nonzero, cov and corrcoef.

Each is written with the differentiable reductions of reduction.py, so it needs no backward of
its own; nansum and nanmean give nan elements a zero gradient, as PyTorch.

>>> import glassnet
>>> glassnet.std_mean(glassnet.tensor([1.0, 2.0, 4.0]))
(tensor(1.5275), tensor(2.3333))
>>> glassnet.tensor([1.0, float("nan"), 3.0]).nanmean()
tensor(2.)
>>> glassnet.cov(glassnet.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
tensor([[ 1., -1.],
        [-1.,  1.]])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet import dtypes
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops import extremes, reduction
from glassnet.tensor import Tensor

aminmax_result = namedtuple("aminmax", ["min", "max"])


def _var_args(dim, unbiased, correction):
    if isinstance(dim, bool):  # the old var_mean(input, unbiased) overload
        dim, unbiased = None, dim
    return dim, unbiased, correction


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(variance, mean) over ``dim`` in one call; ``correction=1`` divides by N - 1.

    >>> import glassnet
    >>> glassnet.var_mean(glassnet.tensor([[1.0, 3.0], [2.0, 2.0]]), dim=1, correction=0)
    (tensor([1., 0.]), tensor([2., 2.]))
    """
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    var = reduction.var(input, dim, unbiased, keepdim, correction=correction)
    return var, reduction.mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(standard deviation, mean) over ``dim`` in one call.

    >>> import glassnet
    >>> glassnet.std_mean(glassnet.tensor([[1.0, 3.0]]), dim=1, keepdim=True)
    (tensor([[1.4142]]), tensor([[2.]]))
    """
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    std = reduction.std(input, dim, unbiased, keepdim, correction=correction)
    return std, reduction.mean(input, dim, keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over ``dim`` (all elements by default); ties share the gradient evenly.

    >>> import glassnet
    >>> glassnet.aminmax(glassnet.tensor([[1, 5], [3, 0]]), dim=1)
    aminmax(min=tensor([1, 0]), max=tensor([5, 3]))
    """
    if input._data.size == 0 and dim is None:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity; pass dim= for a tensor with other non-empty dims."
        )
    dims = () if dim is None else dim
    lo, hi = extremes.amin(input, dims, keepdim), extremes.amax(input, dims, keepdim)
    return aminmax_result(lo, hi)


def _without_nan(input):
    if input._data.dtype.kind != "f":
        return input
    from glassnet.ops.selection import where

    xp = get_array_module(input._data)
    return where(Tensor._make(xp.isnan(input._data)), 0.0, input)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` treating nan as zero.

    >>> import glassnet
    >>> glassnet.tensor([1.0, float("nan"), 2.0]).nansum()
    tensor(3.)
    """
    return reduction.sum(_without_nan(input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` of the non-nan elements (nan where every element is nan).

    >>> import glassnet
    >>> glassnet.tensor([[1.0, float("nan")], [2.0, 4.0]]).nanmean(dim=1)
    tensor([1., 3.])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"nanmean(): expected input to have floating point dtype but got {input.dtype}; "
            "convert with .float() or pass dtype=."
        )
    xp = get_array_module(input._data)
    count = reduction.sum(Tensor._make(~xp.isnan(input._data)), dim, keepdim)
    return nansum(input, dim, keepdim) / count.to(input._data.dtype)


def count_nonzero(input, dim=None):
    """The number of nonzero elements over ``dim`` (an int, a tuple, or all), as int64.

    >>> import glassnet
    >>> glassnet.count_nonzero(glassnet.tensor([[1, 0], [3, 0]]), dim=0)
    tensor([2, 0])
    """
    a = input._data
    xp = get_array_module(a)
    axes = reduction._axes(input, dim, "count_nonzero")
    return Tensor._make(xp.asarray((a != 0).sum(axis=axes), dtype=dtypes.int64))


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows of ``input`` (variables x observations; a 1-D input is one
    variable), with optional integer frequency and float observation weights.

    >>> import glassnet
    >>> glassnet.cov(glassnet.tensor([1.0, 2.0, 4.0]), correction=0)
    tensor(1.5556)
    """
    if input._data.ndim > 2:
        raise ShapeError(
            f"cov(): expected input to have two or fewer dimensions but got {input._data.ndim}"
        )
    x = input if input._data.ndim == 2 else input.reshape(1, -1)
    if x._data.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    n = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights._data.ndim > 1 or weights.numel() != n:
            raise ShapeError(
                f"cov(): expected {name} to have one dimension and {n} elements (one per "
                f"observation), got shape {tuple(weights.shape)}"
            )
        if name == "fweights" and weights._data.dtype.kind not in "iu":
            raise DTypeError(
                f"cov(): expected fweights to have integral dtype, got {weights.dtype}"
            )
        if bool((weights._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        weights = weights.to(x._data.dtype)
        w = weights if w is None else w * weights
    if w is None:
        w_sum = float(n)
        avg = x.mean(dim=1, keepdim=True)
        norm = w_sum - correction
    else:
        w_sum = w.sum()
        avg = (x * w).sum(dim=1, keepdim=True) / w_sum
        if aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x._data.dtype)).sum() / w_sum
    if isinstance(norm, Tensor):
        norm = norm.clamp(min=0)
    else:
        norm = max(norm, 0.0)
    centred = x - avg
    weighted = centred if w is None else centred * w
    c = (weighted @ centred.t()) / norm
    return c.reshape(()) if x.shape[0] == 1 else c  # one variable: a 0-d tensor, as PyTorch


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input`` (clipped to [-1, 1]).

    >>> import glassnet
    >>> glassnet.corrcoef(glassnet.tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]]))
    tensor([[1., 1.],
            [1., 1.]])
    """
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1) / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


__all__ = [
    "var_mean",
    "std_mean",
    "aminmax",
    "nansum",
    "nanmean",
    "count_nonzero",
    "cov",
    "corrcoef",
]
TENSOR_METHODS = {
    name: globals()[name]
    for name in ("aminmax", "nansum", "nanmean", "count_nonzero", "cov", "corrcoef")
}
