"""``tensor[key]`` and ``tensor[key] = value``, with PyTorch's indexing rules.

Ints, slices, None and Ellipsis give a view (writing into it changes the tensor). Integer
tensors/lists and bool masks ("advanced" indices) give a copy; their backward adds the gradient
back with ``scatter_add``, so an element picked twice gets both contributions. As in PyTorch, ints
are applied before advanced indices (``x[0, :, [1, 2]]`` keeps the sliced dim first).

Assignment writes into the tensor's memory. When a graph is being recorded it is a
differentiable ``index_put`` (via ``Tensor._inplace``): gradients flow to the value and to the
untouched part of the tensor.

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = x[[0, 0, 2]]
>>> y.sum().backward()
>>> x.grad
tensor([2., 0., 1.])

The gather/scatter family lives in ``index_gather.py``, the mask ops in ``index_mask.py``; both
are exported from here too.
"""

from __future__ import annotations

from glassnet import dtypes, grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.backend import scatter_add as _scatter_add_array
from glassnet.errors import AutogradError, ShapeError
from glassnet.ops import index_gather, index_mask
from glassnet.ops.index_gather import (  # noqa: F401 - re-exported as glassnet.*
    gather,
    index_add,
    index_fill,
    index_select,
    scatter,
    scatter_add,
    take_along_dim,
)
from glassnet.ops.index_mask import (  # noqa: F401
    argwhere,
    masked_fill,
    masked_select,
    nonzero,
    one_hot,
)
from glassnet.ops.shape_slice import BasicIndex, _alias, basic_index
from glassnet.tensor import Tensor

_BASIC_TYPES = frozenset((int, slice, type(None), type(Ellipsis)))


class AdvancedIndex(Function):
    """``a[key1][key2]``: ``key1`` holds the ints (a view), ``key2`` the index arrays."""

    saves_inputs = False

    def forward(self, a, key1, key2, unique):
        self.in_shape, self.key1, self.key2, self.unique = a.shape, key1, key2, unique
        return (a if key1 is None else a[key1])[key2]

    def backward(self, grad):
        xp = get_array_module(grad)
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        target = g if self.key1 is None else g[self.key1]
        if self.unique:
            target[self.key2] = grad
        else:
            _scatter_add_array(xp, target, _expand_bools(self.key2), grad)
        return (g,)


def _expand_bools(key):
    """Bool masks as the integer arrays of their True positions (what ufunc.at needs)."""
    out = []
    for k in key:
        if getattr(k, "dtype", None) is not None and k.dtype.kind == "b":
            out.extend(k.nonzero())
        else:
            out.append(k)
    return tuple(out)


def _parse(op, key, xp, shape):
    """Split an indexing key into (basic key, advanced key or None, unique).

    When there are no index arrays the first part is the whole key. Otherwise ints are pulled
    into a first, basic step (PyTorch applies them first) when there are any.
    """
    items = key if type(key) is tuple else (key,)
    parsed, advanced, has_int, unique = [], False, False, True
    for k in items:
        tk = type(k)
        if tk is int:
            has_int = True
        elif tk is slice or k is None or k is Ellipsis:
            pass
        elif tk is bool and k:
            k = None  # x[True] adds a dim of size 1, like None
        else:
            k = xp.asarray(k._data if isinstance(k, Tensor) else k)
            kind = k.dtype.kind
            if k.size == 0 and kind == "f":
                k, kind = k.astype(dtypes.int64), "i"
            if kind not in "iub":
                raise IndexError(
                    f"{op}: tensors used as indices must be long, int, byte or bool tensors, got "
                    f"{k.dtype}; convert the index with .long()."
                )
            if kind != "b" and k.ndim == 0:
                k = int(k)
                has_int = True
            else:
                advanced = True
                unique = unique and kind == "b"
        parsed.append(k)
    if not advanced:
        return tuple(parsed), None, True
    if not has_int:
        return None, tuple(parsed), unique
    key1, key2 = [], []
    for k in parsed:
        if type(k) is int:
            key1.append(k)
        elif type(k) is slice or k is None:
            key1.append(k)
            key2.append(slice(None))
        elif k is Ellipsis:
            key1.append(k)
            key2.append(k)
        else:
            key1.extend([slice(None)] * (k.ndim if k.dtype.kind == "b" else 1))
            key2.append(k)
    return tuple(key1), tuple(key2), unique


def _index_error(exc, shape):
    return IndexError(
        f"index: {exc} (indexing a tensor of shape {tuple(shape)}). Valid indices of a dim of "
        "size n are -n..n-1; check the index against .shape."
    )


def getitem(self, key):
    """``tensor[key]``: a view for basic indices, a copy for index tensors and masks."""
    tk = type(key)
    if not (
        tk is int
        or tk is slice
        or key is None
        or key is Ellipsis
        or (tk is tuple and all(type(k) in _BASIC_TYPES for k in key))
    ):
        return _getitem_general(self, key)
    try:
        if not (self.requires_grad and grad_mode._enabled):
            return _alias(self, basic_index(self._data, key))
        return BasicIndex.apply(self, key)
    except IndexError as exc:
        raise _index_error(exc, self._data.shape) from None


def _getitem_general(self, key):
    a = self._data
    xp = get_array_module(a)
    key1, key2, unique = _parse("index", key, xp, a.shape)
    try:
        if key2 is None:
            if not (self.requires_grad and grad_mode._enabled):
                return _alias(self, basic_index(a, key1))
            return BasicIndex.apply(self, key1)
        return AdvancedIndex.apply(self, key1, key2, unique)
    except IndexError as exc:
        raise _index_error(exc, a.shape) from None


class IndexPut(Function):
    """``out = a.copy(); out[key] = v`` (or ``+= v`` with accumulate)."""

    saves_inputs = False

    def forward(self, a, v, key1, key2, accumulate=False):
        xp = get_array_module(a)
        out = a.copy()
        target = out if key1 is None else out[key1]
        self.key1, self.key2, self.accumulate = key1, key2, accumulate
        self.v_shape = getattr(v, "shape", None)
        if accumulate:
            region = target[key2].shape
            _scatter_add_array(xp, target, _expand_bools(key2), xp.broadcast_to(v, region))
        else:
            target[key2] = v
        return out

    def backward(self, grad):
        region = grad if self.key1 is None else grad[self.key1]
        gv = None
        if self.v_shape is not None:
            gv = region[self.key2]
            missing = len(self.v_shape) - gv.ndim
            if missing > 0:
                gv = gv.reshape((1,) * missing + gv.shape)
        if self.accumulate:
            return grad, gv
        ga = grad.copy()
        (ga if self.key1 is None else ga[self.key1])[self.key2] = 0
        return ga, gv


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``input[indices] = values`` (or ``+=`` with ``accumulate``).

    >>> import glassnet
    >>> x = glassnet.zeros(3)
    >>> x.index_put((glassnet.tensor([0, 0]),), glassnet.tensor(1.0), accumulate=True)
    tensor([2., 0., 0.])
    """
    xp = get_array_module(input._data)
    key1, key2, _ = _parse("index_put", indices, xp, input._data.shape)
    if key2 is None:
        key1, key2 = None, key1
    if isinstance(values, Tensor):
        if values._data.dtype != input._data.dtype:
            values = values.to(input._data.dtype)
    else:
        values = xp.asarray(values, dtype=input._data.dtype)
    try:
        return IndexPut.apply(input, values, key1, key2, accumulate)
    except IndexError as exc:
        raise _index_error(exc, input._data.shape) from None
    except ValueError as exc:
        raise ShapeError(
            f"index_put: cannot write a value of shape {tuple(values.shape)} into the indexed "
            f"region of a tensor of shape {tuple(input._data.shape)} ({exc})."
        ) from None


def index_put_(input, indices, values, accumulate=False):
    """In-place ``index_put``."""
    return input._inplace(lambda t, v: index_put(t, indices, v, accumulate), values)


def setitem(self, key, value):
    """``tensor[key] = value``: writes into the tensor's memory (views of it see the change)."""
    value_grad = isinstance(value, Tensor) and value.requires_grad
    if grad_mode._enabled and (self.requires_grad or value_grad):
        index_put_(self, key, value)
        return
    a = self._data
    if not getattr(a.flags, "writeable", True):  # CuPy arrays have no such flag
        raise AutogradError(
            "setitem: cannot write into a read-only tensor (an expand()/broadcast view); call "
            ".clone() first."
        )
    xp = get_array_module(a)
    v = value._data if isinstance(value, Tensor) else value
    if type(v) is not int and type(v) is not float and type(v) is not bool:
        v = xp.asarray(v)
    key1, key2, _ = _parse("setitem", key, xp, a.shape)
    try:
        if key2 is None:
            a[key1] = v
        else:
            (a if key1 is None else a[key1])[key2] = v
    except IndexError as exc:
        raise _index_error(exc, a.shape) from None
    except ValueError as exc:
        raise ShapeError(
            f"setitem: cannot write a value of shape {tuple(getattr(v, 'shape', ()))} into the "
            f"indexed region of a tensor of shape {tuple(a.shape)} ({exc})."
        ) from None
    self._version[0] += 1


TENSOR_METHODS = {
    "__getitem__": getitem,
    "__setitem__": setitem,
    "index_put": index_put,
    "index_put_": index_put_,
    **index_gather.TENSOR_METHODS,
    **index_mask.TENSOR_METHODS,
}

__all__ = ["index_put", *index_gather.__all__, *index_mask.__all__]
