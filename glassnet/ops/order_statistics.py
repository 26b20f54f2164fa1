"""Order statistics: median, nanmedian, quantile, nanquantile, kthvalue, mode.

All of them sort, then pick. With ``dim`` they return (values, indices) like PyTorch and the
values are gathered at the indices, so the gradient goes to the element picked. The median of
a whole tensor (no ``dim``) is one value; as in PyTorch its gradient is shared evenly by every
element equal to it. The median of an even count is the lower of the two middle values, not
their mean (PyTorch's definition); quantile interpolates. A slice holding nan has median and
quantile nan; the nan* forms skip nan.

>>> import glassnet
>>> x = glassnet.tensor([[1.0, 4.0, 2.0, 3.0], [5.0, 6.0, 0.0, 2.0]])
>>> x.median()
tensor(2.)
>>> x.median(dim=1)
median(values=tensor([2., 2.]), indices=tensor([2, 3]))
>>> x.quantile(0.5, dim=1)
tensor([2.5000, 3.5000])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.conversion import clone
from glassnet.tensor import Tensor

median_result = namedtuple("median", ["values", "indices"])
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
mode_result = namedtuple("mode", ["values", "indices"])


class EvenlySelected(Function):
    """A value chosen from all of ``a`` (its median); the gradient is shared evenly by the
    elements equal to it (by the nans, when it is nan), as PyTorch's median()."""

    def forward(self, a, value):
        xp = get_array_module(a)
        self.mask = xp.isnan(a) if xp.isnan(value) else a == value
        return xp.asarray(value, dtype=a.dtype)

    def backward(self, grad):
        count = self.mask.sum()
        return self.mask * (grad / count).astype(grad.dtype), None


def _sorted_positions(a, axis):
    """Stable ascending sort order along ``axis`` (nan last) and the count of non-nan."""
    xp = get_array_module(a)
    order = xp.argsort(a, axis=axis, kind="stable")
    valid = a.shape[axis] if a.dtype.kind != "f" else (~xp.isnan(a)).sum(axis=axis, keepdims=True)
    return order, valid


def _pick(op, input, dim, keepdim, skip_nan, result):
    from glassnet.ops.index_gather import gather

    a = input._data
    xp = get_array_module(a)
    if a.ndim == 0:
        normalize_dim(dim, 0, op)
        return result(clone(input), Tensor._make(xp.zeros((), xp.int64)))
    axis = normalize_dim(dim, a.ndim, op)
    n = a.shape[axis]
    if n == 0:
        raise IndexError(
            f"{op}(): expected a non-empty dimension {dim}, got shape {tuple(a.shape)}"
        )
    order, valid = _sorted_positions(a, axis)
    if skip_nan:
        k = xp.maximum((valid - 1) // 2, 0)
    else:  # a slice with a nan: the first nan in sorted order (position ``valid``)
        k = xp.where(valid < n, valid, (n - 1) // 2) if a.dtype.kind == "f" else (n - 1) // 2
    k = xp.broadcast_to(xp.asarray(k), order.shape[:axis] + (1,) + order.shape[axis + 1 :])
    index = xp.take_along_axis(order, k.astype(xp.int64), axis=axis)
    values = gather(input, axis, Tensor._make(index))
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return result(values, Tensor._make(index.astype(xp.int64)))


def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or (values, indices) along ``dim``.

    >>> import glassnet
    >>> glassnet.tensor([1, 4, 2, 3]).median()
    tensor(2)
    """
    if dim is None:
        return _median_all(input, skip_nan=False)
    return _pick("median", input, dim, keepdim, False, median_result)


def nanmedian(input, dim=None, keepdim=False):
    """The median of the non-nan elements, or (values, indices) along ``dim``.

    >>> import glassnet
    >>> glassnet.tensor([1.0, float("nan"), 3.0, 2.0]).nanmedian()
    tensor(2.)
    """
    if dim is None:
        return _median_all(input, skip_nan=True)
    return _pick("nanmedian", input, dim, keepdim, True, nanmedian_result)


def _median_all(input, skip_nan):
    a = input._data
    xp = get_array_module(a)
    flat = a.reshape(-1)
    if flat.size == 0:
        return Tensor._make(xp.asarray(xp.nan, dtype=a.dtype if a.dtype.kind == "f" else None))
    ordered = xp.sort(flat)
    nans = int(xp.isnan(flat).sum()) if a.dtype.kind == "f" else 0
    if nans and not skip_nan:
        value = ordered[-1]  # nan
    else:
        valid = flat.size - nans
        value = ordered[max((valid - 1) // 2, 0)]
    if a.dtype.kind != "f":
        return Tensor._make(xp.asarray(value, dtype=a.dtype))
    return EvenlySelected.apply(input, value)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices): the k-th smallest element (k counts from 1) along ``dim``.

    >>> import glassnet
    >>> glassnet.tensor([3.0, 1.0, 2.0]).kthvalue(2)
    kthvalue(values=tensor(2.), indices=tensor(2))
    """
    from glassnet.ops.index_gather import gather

    a = input._data
    xp = get_array_module(a)
    axis = normalize_dim(dim, max(a.ndim, 1), "kthvalue") if a.ndim else None
    n = a.shape[axis] if a.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(
            f"kthvalue(): selected number k={k} out of range for dimension {dim} of size {n}; "
            f"choose 1 <= k <= {n}."
        )
    if a.ndim == 0:
        return kthvalue_result(clone(input), Tensor._make(xp.zeros((), xp.int64)))
    order = xp.argsort(a, axis=axis, kind="stable")
    index = xp.take(order, xp.asarray([k - 1]), axis=axis).astype(xp.int64)
    values = gather(input, axis, Tensor._make(index))
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return kthvalue_result(values, Tensor._make(index))


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence, as PyTorch.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2, 2, 3, 3, 1, 1, 2]]).mode(1)
    mode(values=tensor([1]), indices=tensor([6]))
    """
    from glassnet.ops.index_gather import gather

    a = input._data
    xp = get_array_module(a)
    if a.ndim == 0:
        normalize_dim(dim, 0, "mode")
        return mode_result(clone(input), Tensor._make(xp.zeros((), xp.int64)))
    axis = normalize_dim(dim, a.ndim, "mode")
    rows = xp.moveaxis(a, axis, -1)
    batch, n = rows.shape[:-1], rows.shape[-1]
    rows = rows.reshape(-1, n)
    s = xp.sort(rows, axis=-1)
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    starts_run = xp.concatenate([xp.ones((s.shape[0], 1), bool), s[:, 1:] != s[:, :-1]], axis=1)
    ends_run = xp.concatenate([s[:, 1:] != s[:, :-1], xp.ones((s.shape[0], 1), bool)], axis=1)
    start = xp.maximum.accumulate(xp.where(starts_run, pos, 0), axis=1)
    end = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(ends_run, pos, n), 1), axis=1), 1)
    best = xp.argmax(end - start, axis=1)  # the first longest run: the smallest such value
    value = s[xp.arange(s.shape[0]), best]
    last = xp.where(rows == value[:, None], xp.arange(n), -1).max(axis=1)
    index = xp.moveaxis(last.reshape(batch + (1,)), -1, axis).astype(xp.int64)
    values = gather(input, axis, Tensor._make(index))
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return mode_result(values, Tensor._make(index))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, input, q, dim, keepdim, interpolation, skip_nan):
    from glassnet.ops.index_gather import take_along_dim
    from glassnet.ops.sorting import sort

    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"{op}(): input tensor must be either float or double dtype, got {input.dtype}; "
            "convert with .float()."
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{op}(): interpolation must be one of {', '.join(_INTERPOLATIONS)}, got "
            f"{interpolation!r}"
        )
    xp = get_array_module(input._data)
    scalar_q = not isinstance(q, Tensor)
    qs = xp.asarray([q] if scalar_q else q._data, dtype=input._data.dtype).reshape(-1)
    if not scalar_q and q._data.ndim > 1:
        raise ValueError(f"{op}(): q must be a scalar or 1D tensor, got shape {tuple(q.shape)}")
    if bool(((qs < 0) | (qs > 1)).any()):
        raise ValueError(f"{op}(): q values must be in the range [0, 1], got {qs.tolist()}")
    x = input.reshape(-1) if dim is None else input
    if x._data.ndim == 0:
        x = x.reshape(1)
    axis = 0 if dim is None else normalize_dim(dim, x._data.ndim, op)
    x = x.movedim(axis, -1)
    n = x.shape[-1]
    if n == 0:
        raise IndexError(f"{op}(): input tensor must be non-empty")
    ordered = sort(x, -1).values  # nan last
    valid = (~xp.isnan(x._data)).sum(axis=-1, keepdims=True)
    qs_b = qs.reshape((-1,) + (1,) * x._data.ndim)  # (Q, batch..., 1)
    rank = (qs_b * xp.maximum(valid - 1, 0)).astype(qs.dtype)  # in the input's dtype, as torch
    if not skip_nan:  # any nan makes the result nan: point every rank at the last one, a nan
        rank = xp.where(valid < n, n - 1, rank).astype(qs.dtype)
    if interpolation == "nearest":
        rank = xp.round(rank)  # half to even, as PyTorch's round
    lo = xp.floor(rank).astype(xp.int64)
    hi = xp.ceil(rank).astype(xp.int64)
    full = (len(qs),) + ordered._data.shape
    expanded = ordered.unsqueeze(0).expand(*full)
    lo_v = take_along_dim(expanded, Tensor._make(xp.broadcast_to(lo, full[:-1] + (1,))), -1)
    hi_v = take_along_dim(expanded, Tensor._make(xp.broadcast_to(hi, full[:-1] + (1,))), -1)
    if interpolation in ("lower", "nearest"):
        out = lo_v
    elif interpolation == "higher":
        out = hi_v
    else:
        weight = 0.5 if interpolation == "midpoint" else Tensor._make(rank - xp.floor(rank))
        out = lo_v + (hi_v - lo_v) * weight
    if skip_nan:  # an all-nan slice gives nan
        out = out.masked_fill(Tensor._make(xp.broadcast_to(valid == 0, out._data.shape)), xp.nan)
    out = out.squeeze(-1)  # (Q, batch...)
    if keepdim:
        if dim is None:
            out = out.reshape((len(qs),) + (1,) * input._data.ndim)
        else:
            out = out.unsqueeze(axis + 1)
    return out[0] if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) of all elements or along
    ``dim``; a tensor q puts its dim first. nan in a slice makes its quantiles nan.

    >>> import glassnet
    >>> glassnet.tensor([1.0, 2.0, 3.0, 4.0]).quantile(glassnet.tensor([0.25, 0.5]))
    tensor([1.7500, 2.5000])
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, skip_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile of the non-nan elements.

    >>> import glassnet
    >>> glassnet.tensor([1.0, float("nan"), 3.0]).nanquantile(0.5)
    tensor(2.)
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, skip_nan=True)


__all__ = ["median", "nanmedian", "kthvalue", "mode", "quantile", "nanquantile"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
