"""Scatters that reduce, copy or fill by mask: scatter_reduce, index_reduce, index_copy,
masked_scatter, take and put (and their in-place forms).

scatter_reduce combines every ``src`` element sent to a position (and, with
``include_self``, the value already there) by 'sum', 'prod', 'mean', 'amax' or 'amin'. Its
gradients are PyTorch's: sum passes the gradient through; mean divides it by the count; prod
gives each contributor the product of the others, computed from counts of zeros so that it
stays exact when some contributors are 0; amax/amin share it evenly among the contributors
equal to the result.

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0, 4.0])
>>> src = glassnet.tensor([5.0, 0.0, 2.0, 2.0, 7.0])
>>> x.scatter_reduce(0, glassnet.tensor([0, 1, 0, 3, 3]), src, "amax")
tensor([5., 2., 3., 7.])
>>> x.index_copy(0, glassnet.tensor([3, 0]), glassnet.tensor([10.0, 20.0]))
tensor([20.,  2.,  3., 10.])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.index_gather import _check_dims, _index_tensor, _positions, _prefix
from glassnet.tensor import Tensor

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(xp, dtype, reduce):
    if reduce in ("sum", "mean"):
        return dtype.type(0)
    if reduce == "prod":
        return dtype.type(1)
    if dtype.kind == "f":
        return dtype.type(-xp.inf if reduce == "amax" else xp.inf)
    info = xp.iinfo(dtype)
    return dtype.type(info.min if reduce == "amax" else info.max)


class ScatterReduce(Function):
    def forward(self, a, index, src, dim, reduce, include_self):
        xp = get_array_module(a)
        src = src[_prefix(index.shape)]
        key = _positions(xp, index, dim)
        self.key, self.reduce, self.include_self = key, reduce, include_self
        self.a, self.src = a, src
        out = a.copy()
        if not include_self:
            out[key] = _identity(xp, a.dtype, reduce)
        count = xp.zeros(a.shape, dtype="int64")
        xp.add.at(count, key, 1)
        if include_self:
            count += 1
        self.count = count
        if reduce in ("sum", "mean"):
            xp.add.at(out, key, src)
            if reduce == "mean":
                safe = xp.maximum(count, 1)
                out = out // safe if a.dtype.kind in "iu" else out / safe.astype(a.dtype)
                out = xp.where(count == 0, a, out)  # untouched (include_self=False) positions
        elif reduce == "prod":
            xp.multiply.at(out, key, src)
        else:
            (xp.maximum if reduce == "amax" else xp.minimum).at(out, key, src)
        self.out = out
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        key, reduce, include_self = self.key, self.reduce, self.include_self
        touched = xp.zeros(grad.shape, dtype=bool)
        touched[key] = True
        zero = xp.zeros((), dtype=grad.dtype)
        if reduce == "sum":
            ga = grad if include_self else xp.where(touched, zero, grad)
            gs = grad[key]
        elif reduce == "mean":
            g = grad / xp.maximum(self.count, 1).astype(grad.dtype)
            ga = g if include_self else xp.where(touched, zero, grad)
            gs = g[key]
        elif reduce == "prod":
            ga, gs = self._prod_grads(xp, grad, touched)
        else:
            winners = xp.zeros(grad.shape, dtype="int64")
            src_wins = self.src == self.out[key]
            xp.add.at(winners, key, src_wins.astype("int64"))
            self_wins = self.a == self.out
            if include_self:
                winners = winners + self_wins
            share = grad / xp.maximum(winners, 1).astype(grad.dtype)
            if include_self:
                ga = xp.where(self_wins, share, zero)
            else:
                ga = xp.where(touched, zero, grad)
            gs = xp.where(src_wins, share[key], zero)
        return ga, None, gs, None, None, None

    def _prod_grads(self, xp, grad, touched):
        # Per position: how many contributors are 0, and the product of the others.
        a, src, key = self.a, self.src, self.key
        zeros = xp.zeros(a.shape, dtype="int64")
        xp.add.at(zeros, key, (src == 0).astype("int64"))
        if self.include_self:
            zeros = zeros + (a == 0)
            nonzero_product = xp.where(a == 0, a.dtype.type(1), a)
        else:
            nonzero_product = xp.ones(a.shape, dtype=a.dtype)
        xp.multiply.at(nonzero_product, key, xp.where(src == 0, src.dtype.type(1), src))

        def others(values, zeros_here, product_here):
            # d prod / d value: product_here / value if no zero; the other factors if value is
            # the only zero; else 0
            one = values.dtype.type(1)
            safe = xp.where(values == 0, one, values)
            ratio = xp.where(zeros_here == 0, product_here / safe, 0)
            alone = (values == 0) & (zeros_here == 1)
            return xp.where(alone, product_here, xp.where(values == 0, 0, ratio))

        gs = grad[key] * others(src, zeros[key], nonzero_product[key])
        if self.include_self:
            ga = grad * others(a, zeros, nonzero_product)
        else:
            ga = xp.where(touched, xp.zeros((), dtype=grad.dtype), grad)
        return ga, gs


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of ``input`` where the ``src`` values sent to a position by ``index`` (along
    ``dim``, as in scatter) are reduced with it: 'sum', 'prod', 'mean', 'amax', 'amin'.

    >>> import glassnet
    >>> glassnet.zeros(3).scatter_reduce(0, glassnet.tensor([0, 0, 2]),
    ...                                  glassnet.tensor([1.0, 3.0, 5.0]), "mean",
    ...                                  include_self=False)
    tensor([2., 0., 5.])
    """
    if reduce not in _REDUCTIONS:
        raise ValueError(
            f"scatter_reduce: reduce argument must be one of {', '.join(_REDUCTIONS)}, got "
            f"{reduce!r}"
        )
    index = _index_tensor("scatter_reduce", index, input)
    d = normalize_dim(dim, input._data.ndim, "scatter_reduce")
    if not isinstance(src, Tensor):
        raise TypeError("scatter_reduce: src must be a tensor (use scatter for a number)")
    _check_dims("scatter_reduce", input, index, d, src)
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return ScatterReduce.apply(input, index, src, d, reduce, include_self)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Like index_add, but reducing with 'prod', 'mean', 'amax' or 'amin': the slices of
    ``source`` go to the entries ``index`` along ``dim``.

    >>> import glassnet
    >>> source = glassnet.tensor([2.0, 3.0])
    >>> glassnet.ones(2).index_reduce(0, glassnet.tensor([1, 1]), source, "prod")
    tensor([1., 6.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(
            f"index_reduce: reduce argument must be either prod, mean, amax or amin, got {reduce!r}"
        )
    d = normalize_dim(dim, input._data.ndim, "index_reduce")
    index = _index_tensor("index_reduce", index, input)
    if index._data.ndim != 1 or index._data.shape[0] != source._data.shape[d]:
        raise ShapeError(
            f"index_reduce: index should be a vector of length source.size({d}) = "
            f"{source._data.shape[d]}, got shape {tuple(index.shape)}"
        )
    xp = get_array_module(index._data)
    shape = [1] * source._data.ndim
    shape[d] = -1
    full = xp.broadcast_to(index._data.reshape(shape), source._data.shape)
    return scatter_reduce(
        input,
        d,
        Tensor._make(xp.ascontiguousarray(full)),
        source,
        reduce,
        include_self=include_self,
    )


class IndexCopy(Function):
    saves_inputs = False

    def forward(self, a, index, source, dim):
        self.key = (slice(None),) * dim + (index,)
        out = a.copy()
        out[self.key] = source
        return out

    def backward(self, grad):
        ga = grad.copy()
        ga[self.key] = 0
        return ga, None, grad[self.key], None


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the slices of ``source`` written at the entries ``index``
    along ``dim``.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).index_copy(1, glassnet.tensor([2]), glassnet.ones(2, 1))
    tensor([[0., 0., 1.],
            [0., 0., 1.]])
    """
    from glassnet.ops.index_gather import _vector_index

    index = _vector_index("index_copy", index, input)
    d = normalize_dim(dim, input._data.ndim, "index_copy")
    expected = list(input._data.shape)
    if expected:
        expected[d] = index._data.shape[0]
    if list(source._data.shape) != expected and not (input._data.ndim == 0):
        raise ShapeError(
            f"index_copy: source of shape {tuple(source.shape)} does not fit: expected "
            f"{tuple(expected)} (input {tuple(input.shape)} with dim {d} of size len(index))"
        )
    if source._data.dtype != input._data.dtype:
        source = source.to(input._data.dtype)
    return IndexCopy.apply(input, index, source, d)


class MaskedScatter(Function):
    saves_inputs = False

    def forward(self, a, mask, source):
        xp = get_array_module(a)
        self.mask = xp.broadcast_to(mask, a.shape)
        self.n = int(self.mask.sum())
        self.source_shape = source.shape
        out = a.copy()
        out[self.mask] = source.reshape(-1)[: self.n]
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        ga = xp.where(self.mask, xp.zeros((), dtype=grad.dtype), grad)
        gs = xp.zeros(math.prod(self.source_shape), dtype=grad.dtype)
        gs[: self.n] = grad[self.mask]
        return ga, None, gs.reshape(self.source_shape)


def masked_scatter(input, mask, source):
    """A copy of ``input`` with the elements of ``source``, in order, written where ``mask``
    (broadcast to input's shape) is True.

    >>> import glassnet
    >>> glassnet.zeros(4).masked_scatter(glassnet.tensor([True, False, True, False]),
    ...                                  glassnet.tensor([1.0, 2.0, 3.0]))
    tensor([1., 0., 2., 0.])
    """
    m = mask._data
    if m.dtype.kind != "b":
        raise TypeError(f"masked_scatter: expected a bool mask, got {mask.dtype}")
    need = int(get_array_module(m).broadcast_to(m, input._data.shape).sum())
    if source.numel() < need:
        raise ShapeError(
            f"masked_scatter: the mask has {need} True elements but source only {source.numel()}"
        )
    if source._data.dtype != input._data.dtype:
        source = source.to(input._data.dtype)
    return MaskedScatter.apply(input, mask, source)


def take(input, index):
    """The elements of the flattened ``input`` at ``index`` (the result has index's shape).

    >>> import glassnet
    >>> glassnet.tensor([[4, 3], [5, 6]]).take(glassnet.tensor([0, 3]))
    tensor([4, 6])
    """
    index = _index_tensor("take", index, input)
    return input.reshape(-1)[index]


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written (or added, with ``accumulate``) at the
    flattened positions ``index``.

    >>> import glassnet
    >>> source = glassnet.tensor([1.0, 2.0])
    >>> glassnet.zeros(2, 2).put(glassnet.tensor([1, 1]), source, accumulate=True)
    tensor([[0., 3.],
            [0., 0.]])
    """
    from glassnet.ops.indexing import index_put

    index = _index_tensor("put", index, input)
    flat = index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate)
    return flat.reshape(input.shape)


def _inplace(op, tensor_arg):
    def method(self, *args, **kwargs):
        args = list(args)
        value = args.pop(tensor_arg)

        def run(t, v):
            return op(t, *args[:tensor_arg], v, *args[tensor_arg:], **kwargs)

        return self._inplace(run, value)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}."
    return method


__all__ = ["scatter_reduce", "index_reduce", "index_copy", "masked_scatter", "take", "put"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update(
    {
        "scatter_reduce_": _inplace(scatter_reduce, 2),
        "index_reduce_": _inplace(index_reduce, 2),
        "index_copy_": _inplace(index_copy, 2),
        "masked_scatter_": _inplace(masked_scatter, 1),
        "put_": _inplace(put, 1),
    }
)
