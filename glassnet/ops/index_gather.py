"""Indexing by index tensors along one dim: gather, take_along_dim, scatter, scatter_add,
index_select, index_fill, index_add (and the in-place scatter_, index_fill_, ...).

Gathers pick values; their backward adds the gradient back with ``scatter_add`` (an index used
twice gets both contributions). Scatters write values; their backward routes the gradient of each
written position to the value written there.

>>> import glassnet
>>> x = glassnet.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = x.gather(1, glassnet.tensor([[1, 1], [0, 1]]))
>>> y.tolist()
[[2.0, 2.0], [3.0, 4.0]]
>>> y.sum().backward()
>>> x.grad
tensor([[0., 2.],
        [1., 1.]])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.backend import scatter_add as _scatter_add_array
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


def _index_tensor(op, index, like):
    """An integer index as a Tensor on ``like``'s device."""
    if not isinstance(index, Tensor):
        xp = get_array_module(like._data)
        index = Tensor._make(xp.asarray(index))
    if index._data.dtype.kind not in "iu":
        raise DTypeError(
            f"{op}: expected an integer index tensor (int64), got {index._data.dtype}; "
            "convert it with .long()."
        )
    return index


def _positions(xp, index, dim):
    """Full index arrays addressing, for each element of ``index``, the element it points to."""
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _prefix(shape, dim=None):
    """The leading block of that shape (all of ``dim``), as slices."""
    return tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(shape))


def _check_dims(op, input, index, dim, other=None):
    n = input._data.ndim
    if index._data.ndim != max(n, 1) and not (n == 0 and index._data.ndim == 0):
        raise ShapeError(
            f"{op}: index tensor must have the same number of dimensions as the input tensor; "
            f"got index of shape {tuple(index._data.shape)} for input of shape "
            f"{tuple(input._data.shape)}."
        )
    for d, (i, s) in enumerate(zip(index._data.shape, input._data.shape)):
        if d != dim and i > s:
            raise ShapeError(
                f"{op}: size does not match at dimension {d}: the index has size {i} but the "
                f"input only {s} (input {tuple(input._data.shape)}, index "
                f"{tuple(index._data.shape)}, dim {dim})."
            )
    if other is not None:
        for d, (i, s) in enumerate(zip(index._data.shape, other._data.shape)):
            if i > s:
                raise ShapeError(
                    f"{op}: the index of shape {tuple(index._data.shape)} is larger than src of "
                    f"shape {tuple(other._data.shape)} at dimension {d}."
                )


def _scalar_value(op, value, input):
    """A Python number, or a 0-d tensor of ``input``'s dtype (which can carry a gradient)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise ShapeError(
                f"{op}: only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        return value if value._data.dtype == input._data.dtype else value.to(input._data.dtype)
    return input._data.dtype.type(value)


# ---- gather --------------------------------------------------------------------------------
class Gather(Function):
    saves_inputs = False

    def forward(self, a, index, dim):
        xp = get_array_module(a)
        self.in_shape, self.index, self.dim = a.shape, index, dim
        return xp.take_along_axis(a[_prefix(index.shape, dim)], index, axis=dim)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        _scatter_add_array(xp, g, _positions(xp, self.index, self.dim), grad)
        return g, None


def gather(input, dim, index):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (and likewise for other dims).

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).gather(0, glassnet.tensor([[1, 0]]))
    tensor([[3, 2]])
    """
    index = _index_tensor("gather", index, input)
    d = normalize_dim(dim, input._data.ndim, "gather")
    _check_dims("gather", input, index, d)
    return Gather.apply(input, index, d)


def take_along_dim(input, indices, dim=None):
    """Pick ``indices`` along ``dim``, broadcasting the other dims (the flattened input when
    dim is None).

    >>> import glassnet
    >>> x = glassnet.tensor([[10, 30, 20]])
    >>> glassnet.take_along_dim(x, x.argmax(1, keepdim=True), 1)
    tensor([[30]])
    """
    indices = _index_tensor("take_along_dim", indices, input)
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    n = input._data.ndim
    d = normalize_dim(dim, n, "take_along_dim")
    if indices._data.ndim != n:
        raise ShapeError(
            f"take_along_dim: input and indices should have the same number of dimensions, but "
            f"got {n} dimensions for input, and {indices._data.ndim} dimensions for indices"
        )
    a_shape, i_shape = list(input._data.shape), list(indices._data.shape)
    for k in range(n):
        if k != d and a_shape[k] != i_shape[k]:
            if a_shape[k] != 1 and i_shape[k] != 1:
                raise ShapeError(
                    f"take_along_dim: input of shape {tuple(a_shape)} and indices of shape "
                    f"{tuple(i_shape)} cannot be broadcast together at dimension {k}."
                )
            a_shape[k] = i_shape[k] = max(a_shape[k], i_shape[k])
    xp = get_array_module(indices._data)
    input = input.expand(a_shape)
    indices = Tensor._make(xp.broadcast_to(indices._data, i_shape))
    return gather(input, d, indices)


# ---- scatter -------------------------------------------------------------------------------
class Scatter(Function):
    saves_inputs = False

    def forward(self, a, index, src, dim, add, src_is_tensor):
        xp = get_array_module(a)
        self.key = _positions(xp, index, dim)
        self.src_shape = src.shape if src_is_tensor else None
        self.add = add
        out = a.copy()
        values = src if self.src_shape is None else src[_prefix(index.shape)]
        if add:
            _scatter_add_array(xp, out, self.key, values)
        else:
            out[self.key] = values
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        if self.add:
            ga = grad
        else:
            ga = grad.copy()
            ga[self.key] = 0
        gs = None
        if self.src_shape is not None:
            picked = grad[self.key]
            if picked.shape == self.src_shape:
                gs = picked
            else:
                gs = xp.zeros(self.src_shape, dtype=grad.dtype)
                gs[_prefix(picked.shape)] = picked
        return ga, None, gs


def _scatter(op, input, dim, index, src, add):
    index = _index_tensor(op, index, input)
    d = normalize_dim(dim, input._data.ndim, op)
    is_tensor = isinstance(src, Tensor)
    if is_tensor:
        _check_dims(op, input, index, d, src)
        if src._data.dtype != input._data.dtype:
            src = src.to(input._data.dtype)
    else:
        _check_dims(op, input, index, d)
        src = input._data.dtype.type(src)
    return Scatter.apply(input, index, src, d, add, is_tensor)


def scatter(input, dim, index, src=None, value=None):
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along
    ``dim``: ``out[i][index[i][j]] = src[i][j]`` for dim=1.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).scatter(1, glassnet.tensor([[2], [0]]), 1.0)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if src is None:
        src = value
    return _scatter("scatter", input, dim, index, src, False)


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate).

    >>> import glassnet
    >>> glassnet.zeros(3).scatter_add(0, glassnet.tensor([0, 0, 2]), glassnet.ones(3))
    tensor([2., 0., 1.])
    """
    return _scatter("scatter_add", input, dim, index, src, True)


# ---- index_select / index_fill / index_add -------------------------------------------------
class IndexSelect(Function):
    saves_inputs = False

    def forward(self, a, index, dim):
        self.in_shape, self.index, self.dim = a.shape, index, dim
        return get_array_module(a).take(a, index, axis=dim)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        _scatter_add_array(xp, g, (slice(None),) * self.dim + (self.index,), grad)
        return g, None


def _vector_index(op, index, input):
    index = _index_tensor(op, index, input)
    if index._data.ndim > 1:
        raise ShapeError(
            f"{op}: index should be a vector (1-D) or a scalar, got shape {tuple(index.shape)}"
        )
    return index.reshape(-1) if index._data.ndim == 0 else index


def index_select(input, dim, index):
    """The entries ``index`` (a 1-D integer tensor) along ``dim``.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).index_select(1, glassnet.tensor([1, 1]))
    tensor([[2, 2],
            [4, 4]])
    """
    index = _vector_index("index_select", index, input)
    d = normalize_dim(dim, input._data.ndim, "index_select")
    return IndexSelect.apply(input, index, d)


class IndexFill(Function):
    saves_inputs = False

    def forward(self, a, index, value, dim):
        xp = get_array_module(a)
        self.key = (slice(None),) * dim + (xp.unique(index),)
        self.has_value = isinstance(value, xp.ndarray)  # a 0-d tensor's array, not a number
        out = a.copy()
        out[self.key] = value
        return out

    def backward(self, grad):
        ga = grad.copy()
        ga[self.key] = 0
        gv = grad[self.key].sum() if self.has_value else None
        return ga, None, gv


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the entries ``index`` along ``dim`` set to ``value``.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).index_fill(1, glassnet.tensor([0, 2]), 7.0)
    tensor([[7., 0., 7.],
            [7., 0., 7.]])
    """
    index = _vector_index("index_fill", index, input)
    d = normalize_dim(dim, input._data.ndim, "index_fill")
    value = _scalar_value("index_fill", value, input)
    return IndexFill.apply(input, index, value, d)


class IndexAdd(Function):
    saves_inputs = False

    def forward(self, a, index, source, dim, alpha):
        xp = get_array_module(a)
        self.key, self.alpha = (slice(None),) * dim + (index,), alpha
        out = a.copy()
        _scatter_add_array(xp, out, self.key, source if alpha == 1 else source * alpha)
        return out

    def backward(self, grad):
        gs = grad[self.key]
        return grad, None, gs if self.alpha == 1 else gs * self.alpha


def index_add(input, dim, index, source, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at the entries ``index`` along ``dim``.

    >>> import glassnet
    >>> glassnet.zeros(3).index_add(0, glassnet.tensor([0, 0]), glassnet.tensor([1.0, 2.0]))
    tensor([3., 0., 0.])
    """
    index = _vector_index("index_add", index, input)
    d = normalize_dim(dim, input._data.ndim, "index_add")
    if source._data.dtype != input._data.dtype:
        source = source.to(input._data.dtype)
    return IndexAdd.apply(input, index, source, d, alpha)


def _inplace_with_value(op, position):
    """In-place form whose argument at ``position`` may be a tensor that requires grad."""

    def method(self, *args, **kwargs):
        args = list(args)
        value = args.pop(position) if len(args) > position else kwargs.pop("src", None)

        def run(t, v):
            return op(t, *args[:position], v, *args[position:], **kwargs)

        return self._inplace(run, value)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}; see glassnet.{op.__name__}."
    return method


TENSOR_METHODS = {
    "gather": gather,
    "take_along_dim": take_along_dim,
    "scatter": scatter,
    "scatter_add": scatter_add,
    "index_select": index_select,
    "index_fill": index_fill,
    "index_add": index_add,
    "scatter_": _inplace_with_value(scatter, 2),
    "scatter_add_": _inplace_with_value(scatter_add, 2),
    "index_fill_": _inplace_with_value(index_fill, 2),
    "index_add_": _inplace_with_value(index_add, 2),
}

__all__ = [
    "gather",
    "take_along_dim",
    "scatter",
    "scatter_add",
    "index_select",
    "index_fill",
    "index_add",
]
