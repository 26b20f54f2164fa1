"""Shape ops that return views: reshape, view, transpose, permute, squeeze, unsqueeze, expand.

A view shares memory with its input, as in PyTorch: writing into one is seen by the other, and
both share a version counter so autograd notices in-place changes. Their backward only moves the
gradient back into the input's layout. The ops that must copy (cat, stack, repeat, flip, roll,
tril, pad) live in ``shape_join.py`` and ``shape_pad.py``, the slicing views (narrow, split,
chunk, unbind, diagonal) in ``shape_slice.py``; all are exported from here too.

>>> import glassnet
>>> x = glassnet.arange(6.0).requires_grad_()
>>> y = x.view(2, 3).t()
>>> y.shape
glassnet.Size([3, 2])
>>> (y * glassnet.tensor([[1.0, 2.0]])).sum().backward()
>>> x.grad
tensor([1., 1., 1., 2., 2., 2.])
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops import shape_join, shape_pad, shape_slice, shape_transpose
from glassnet.ops._util import normalize_dim
from glassnet.ops.shape_join import (  # noqa: F401 - re-exported as glassnet.*
    cat,
    concat,
    concatenate,
    flip,
    fliplr,
    flipud,
    hstack,
    repeat,
    roll,
    stack,
    tile,
    tril,
    triu,
    vstack,
)
from glassnet.ops.shape_pad import pad  # noqa: F401
from glassnet.ops.shape_slice import (  # noqa: F401
    _alias,
    chunk,
    diagonal,
    narrow,
    select,
    split,
    unbind,
)
from glassnet.ops.shape_transpose import (  # noqa: F401
    _shape_args,
    moveaxis,
    movedim,
    permute,
    swapaxes,
    swapdims,
    t,
    transpose,
)
from glassnet.tensor import Tensor


# ---- reshape / view ------------------------------------------------------------------------
class View(Function):
    """The output is ``out``, an already computed reshape of ``a`` (so it is computed once)."""

    is_view = True
    saves_inputs = False

    def forward(self, a, out):
        self.in_shape = a.shape
        return out

    def backward(self, grad):
        return (grad.reshape(self.in_shape),)


class ReshapeCopy(View):
    """A reshape that had to copy (its input's layout allowed no view)."""

    is_view = False


def _can_view(shape, strides, new_shape):
    """Whether ``new_shape`` can view memory laid out as (shape, strides) without a copy.

    The input's dims are grouped into runs that are contiguous with one another; each run must be
    rebuilt exactly by consecutive new dims (PyTorch's rule).
    """
    size = 1
    for s in shape:
        size *= s
    if size == 0 or not shape:
        return True
    view_d = len(new_shape) - 1
    base_stride = strides[-1]
    run_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        run_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != run_numel * base_stride):
            while view_d >= 0 and (view_numel < run_numel or new_shape[view_d] == 1):
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != run_numel:
                return False
            if d > 0:
                base_stride = strides[d - 1]
                run_numel = view_numel = 1
    return view_d == -1


def _bad_shape(op, shape, a):
    shape = list(shape)
    if shape.count(-1) > 1:
        return ShapeError(f"{op}: only one dimension can be inferred (-1), got shape {shape}.")
    return ShapeError(
        f"{op}: shape {shape} is invalid for input of size {a.size} (a tensor of shape "
        f"{tuple(a.shape)}); the sizes must multiply to {a.size}, with at most one -1 to infer."
    )


def _reshaped(op, a, shape):
    try:
        return a.reshape(shape)
    except (ValueError, TypeError):
        raise _bad_shape(op, shape, a) from None


def reshape(input, *shape):
    """The same data in a new shape (a view when the layout allows, else a copy); -1 is inferred.

    >>> import glassnet
    >>> glassnet.arange(6).reshape(3, -1).shape
    glassnet.Size([3, 2])
    """
    shape = _shape_args(shape)
    a = input._data
    out = _reshaped("reshape", a, shape)
    if a.flags.c_contiguous or _can_view(a.shape, a.strides, out.shape):
        if not (input.requires_grad and grad_mode._enabled):
            return _alias(input, out)
        return View.apply(input, out)
    if not (input.requires_grad and grad_mode._enabled):
        return Tensor._make(out)
    return ReshapeCopy.apply(input, out)


def view(input, *shape):
    """Reshape without copying; the layout must allow it (else use ``reshape``).

    >>> import glassnet
    >>> glassnet.zeros(2, 3).view(-1).shape
    glassnet.Size([6])
    """
    shape = _shape_args(shape)
    a = input._data
    out = _reshaped("view", a, shape)
    if not a.flags.c_contiguous and not _can_view(a.shape, a.strides, out.shape):
        raise ShapeError(
            f"view: size {list(out.shape)} is not compatible with the input's size "
            f"{list(a.shape)} and stride (at least one dimension spans across two contiguous "
            "subspaces, as after transpose/permute/expand). Use .reshape(...) instead, or call "
            ".contiguous() first."
        )
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, out)
    return View.apply(input, out)


def _view_of(input, shape):
    """Reshape to a shape that is always a view (adding or removing size-1 dims, splitting)."""
    out = input._data.reshape(shape)
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, out)
    return View.apply(input, out)


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, other._data.shape)


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one.

    >>> import glassnet
    >>> glassnet.zeros(2, 3, 4).flatten(1).shape
    glassnet.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = normalize_dim(start_dim, len(shape), "flatten")
    e = normalize_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise ShapeError(f"flatten: start_dim ({start_dim}) must come before end_dim ({end_dim})")
    if s == e:
        return input
    return reshape(input, shape[:s] + (-1,) + shape[e + 1 :])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1).

    >>> import glassnet
    >>> glassnet.zeros(2, 12).unflatten(1, (3, -1)).shape
    glassnet.Size([2, 3, 4])
    """
    shape = input._data.shape
    d = normalize_dim(dim, len(shape), "unflatten")
    sizes = tuple(sizes)
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and shape[d] % max(known, 1)):
        raise ShapeError(
            f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({shape[d]}) of a tensor of shape {tuple(shape)}."
        )
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def squeeze(input, dim=None):
    """Remove size-1 dims (all of them, or those in ``dim`` that have size 1).

    >>> import glassnet
    >>> glassnet.zeros(2, 1, 3, 1).squeeze().shape
    glassnet.Size([2, 3])
    """
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if type(dim) is int else dim
        drop = {normalize_dim(d, len(shape), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if s != 1 or i not in drop)
    return _view_of(input, new)


def unsqueeze(input, dim):
    """Insert a size-1 dim at position ``dim``.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).unsqueeze(-1).shape
    glassnet.Size([2, 3, 1])
    """
    shape = input._data.shape
    d = normalize_dim(dim, len(shape) + 1, "unsqueeze")
    return _view_of(input, shape[:d] + (1,) + shape[d:])


# ---- expand --------------------------------------------------------------------------------
class Expand(Function):
    is_view = True
    saves_inputs = False

    def forward(self, a, shape):
        return get_array_module(a).broadcast_to(a, shape)

    def backward(self, grad):
        return (grad,)  # the engine sums it back over the expanded dims


def _expanded_shape(op, shape, sizes):
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ShapeError(
            f"{op}: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)}); tensor shape {tuple(shape)}."
        )
    out = list(sizes)
    for i, s in enumerate(shape):
        want = sizes[i + lead]
        if want == -1:
            out[i + lead] = s
        elif want != s and s != 1:
            raise ShapeError(
                f"{op}: the expanded size of the tensor ({want}) must match the existing size "
                f"({s}) at non-singleton dimension {i + lead}. Target sizes: {list(sizes)}. "
                f"Tensor sizes: {list(shape)}."
            )
    for i in range(lead):
        if out[i] < 0:
            raise ShapeError(f"{op}: the size -1 is not allowed for a new leading dimension.")
    return tuple(out)


def expand(input, *sizes):
    """Broadcast size-1 dims to larger sizes without copying (-1 keeps a size).

    >>> import glassnet
    >>> glassnet.zeros(3, 1).expand(-1, 4).shape
    glassnet.Size([3, 4])
    """
    shape = _expanded_shape("expand", input._data.shape, tuple(_shape_args(sizes)))
    if shape == input._data.shape:
        return _view_of(input, shape)
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, get_array_module(input._data).broadcast_to(input._data, shape))
    return Expand.apply(input, shape)


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    """``input.expand(size)`` under NumPy's name."""
    return expand(input, tuple(size))


TENSOR_METHODS = {
    "reshape": reshape,
    "view": view,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "flatten": flatten,
    "unflatten": unflatten,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "expand": expand,
    "expand_as": expand_as,
    "broadcast_to": broadcast_to,
    **shape_join.TENSOR_METHODS,
    **shape_pad.TENSOR_METHODS,
    **shape_slice.TENSOR_METHODS,
    **shape_transpose.TENSOR_METHODS,
}

__all__ = [
    "reshape",
    "view",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "broadcast_to",
    *shape_join.__all__,
    *shape_pad.__all__,
    *shape_slice.__all__,
    *shape_transpose.__all__,
]
