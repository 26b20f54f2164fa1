"""Slicing views: narrow, select, split, chunk, unbind, diagonal, and basic ``tensor[key]``.

Each result shares memory with its input (writing one is seen by the other) and shares its
version counter. The backward of a slice puts the gradient into a zero tensor of the input's
shape at the sliced positions.

>>> import glassnet
>>> x = glassnet.arange(6.0).requires_grad_()
>>> a, b = x.split([2, 4])
>>> (a.sum() + 2 * b.sum()).backward()
>>> x.grad
tensor([1., 1., 2., 2., 2., 2.])
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


def _alias(t, array):
    """A view tensor without a graph: it shares ``t``'s memory and version counter."""
    out = Tensor._make(array)
    out._version = t._version
    return out


# ---- slicing -------------------------------------------------------------------------------
class BasicIndex(Function):
    """``a[key]`` for a key of ints, slices, None and Ellipsis: a view."""

    is_view = True
    saves_inputs = False

    def forward(self, a, key):
        self.key, self.in_shape = key, a.shape
        return basic_index(a, key)

    def backward(self, grad):
        g = get_array_module(grad).zeros(self.in_shape, dtype=grad.dtype)
        g[self.key] = grad
        return (g,)


def basic_index(a, key):
    """``a[key]`` as an array view, even where NumPy would return a scalar copy."""
    out = a[key]
    if type(out) is not type(a):  # NumPy turns a full int index into a scalar copy
        out = a[(key if type(key) is tuple else (key,)) + (Ellipsis,)]
    return out


def _slice_along(input, dim, key):
    key = (slice(None),) * dim + (key,)
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, basic_index(input._data, key))
    return BasicIndex.apply(input, key)


def narrow(input, dim, start, length):
    """``length`` elements of dim ``dim`` from ``start`` (a view).

    >>> import glassnet
    >>> glassnet.arange(5).narrow(0, 1, 3)
    tensor([1, 2, 3])
    """
    shape = input._data.shape
    d = normalize_dim(dim, len(shape), "narrow")
    start = int(start)
    if start < 0:
        start += shape[d]
    if not (0 <= start <= shape[d] and 0 <= length and start + length <= shape[d]):
        raise IndexError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({shape[d]}) "
            f"of dim {dim} of a tensor of shape {tuple(shape)}."
        )
    return _slice_along(input, d, slice(start, start + length))


def select(input, dim, index):
    """Index ``index`` of dim ``dim``, removing that dim (a view).

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).select(1, 0)
    tensor([1, 3])
    """
    shape = input._data.shape
    d = normalize_dim(dim, len(shape), "select")
    if not -shape[d] <= index < shape[d]:
        raise IndexError(
            f"select: index {index} out of range for dimension {dim} with size {shape[d]} "
            f"(tensor shape {tuple(shape)})."
        )
    return _slice_along(input, d, int(index))


def split(tensor, split_size_or_sections, dim=0):
    """Pieces along ``dim``: of size ``split_size`` each (the last may be smaller), or of the
    listed sizes. Each piece is a view.

    >>> import glassnet
    >>> [p.tolist() for p in glassnet.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    >>> [p.tolist() for p in glassnet.arange(5).split([1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    shape = tensor._data.shape
    d = normalize_dim(dim, len(shape), "split")
    n = shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and n > 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: split_with_sizes expects split_sizes to sum exactly to {n} (input "
                f"tensor's size at dimension {dim}), but got split_sizes={sizes}."
            )
    out, start = [], 0
    for s in sizes:
        out.append(_slice_along(tensor, d, slice(start, start + s)))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (fewer if the dim is too small), as views.

    >>> import glassnet
    >>> [p.shape[0] for p in glassnet.zeros(5, 2).chunk(3)]
    [2, 2, 1]
    """
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be greater than 0, got {chunks}")
    shape = input._data.shape
    d = normalize_dim(dim, len(shape), "chunk")
    n = shape[d]
    return split(input, max(-(-n // chunks), 1), d)


def unbind(input, dim=0):
    """All slices along ``dim``, that dim removed (views).

    >>> import glassnet
    >>> [r.tolist() for r in glassnet.tensor([[1, 2], [3, 4]]).unbind(1)]
    [[1, 3], [2, 4]]
    """
    shape = input._data.shape
    d = normalize_dim(dim, len(shape), "unbind")
    return tuple(_slice_along(input, d, i) for i in range(shape[d]))


# ---- diagonal ------------------------------------------------------------------------------
def _diagonal_view(a, offset, d1, d2):
    """A writable strided view of a diagonal (NumPy's own ``diagonal`` is read-only)."""
    xp = get_array_module(a)
    shape, strides = a.shape, a.strides
    if offset >= 0:
        n = max(0, min(shape[d1], shape[d2] - offset))
        start = (slice(None),) * d2 + (slice(min(offset, shape[d2]), None),)
    else:
        n = max(0, min(shape[d1] + offset, shape[d2]))
        start = (slice(None),) * d1 + (slice(min(-offset, shape[d1]), None),)
    b = a[start]
    keep = [i for i in range(a.ndim) if i not in (d1, d2)]
    new_shape = tuple(shape[i] for i in keep) + (n,)
    new_strides = tuple(strides[i] for i in keep) + (strides[d1] + strides[d2],)
    return xp.lib.stride_tricks.as_strided(b, new_shape, new_strides)


class Diagonal(Function):
    is_view = True
    saves_inputs = False

    def forward(self, a, offset, d1, d2):
        self.args, self.in_shape = (offset, d1, d2), a.shape
        return _diagonal_view(a, offset, d1, d2)

    def backward(self, grad):
        g = get_array_module(grad).zeros(self.in_shape, dtype=grad.dtype)
        _diagonal_view(g, *self.args)[...] = grad
        return (g,)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of each (dim1, dim2) matrix, appended as the last dim (a view).

    >>> import glassnet
    >>> glassnet.arange(9).view(3, 3).diagonal(1)
    tensor([1, 5])
    """
    n = input._data.ndim
    if n < 2:
        raise ShapeError(f"diagonal: expected a tensor with at least 2 dims, got {n}")
    d1 = normalize_dim(dim1, n, "diagonal")
    d2 = normalize_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise ShapeError(f"diagonal: dim1 and dim2 cannot be identical, but got {dim1}, {dim2}")
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, _diagonal_view(input._data, offset, d1, d2))
    return Diagonal.apply(input, offset, d1, d2)


TENSOR_METHODS = {
    "narrow": narrow,
    "select": select,
    "split": split,
    "chunk": chunk,
    "unbind": unbind,
    "diagonal": diagonal,
}

__all__ = ["narrow", "select", "split", "chunk", "unbind", "diagonal"]
