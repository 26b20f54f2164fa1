"""Shape ops that build new memory: cat, stack, repeat, tile, flip, roll, tril, triu.

Each copies (PyTorch's versions copy too), so writing into the result never changes the input.
The backward of cat and stack hands each input its own slice of the gradient.

>>> import glassnet
>>> a = glassnet.ones(2, requires_grad=True)
>>> b = glassnet.zeros(3, requires_grad=True)
>>> y = glassnet.cat([a, b])
>>> (y * glassnet.arange(5.0)).sum().backward()
>>> a.grad, b.grad
(tensor([0., 1.]), tensor([2., 3., 4.]))
"""

from __future__ import annotations

from glassnet import dtypes, grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


# ---- cat / stack ---------------------------------------------------------------------------
class Cat(Function):
    saves_inputs = False

    @staticmethod
    def join(arrays, dim):
        return get_array_module(arrays[0]).concatenate(arrays, axis=dim)

    def forward(self, *arrays, dim):
        self.dim = dim
        ends, total = [], 0
        for a in arrays[:-1]:
            total += a.shape[dim]
            ends.append(total)
        self.ends = ends
        return self.join(arrays, dim)

    def backward(self, grad):
        return tuple(get_array_module(grad).split(grad, self.ends, axis=self.dim))


class Stack(Function):
    saves_inputs = False

    @staticmethod
    def join(arrays, dim):
        shape = arrays[0].shape
        shape = shape[:dim] + (1,) + shape[dim:]
        # concatenate of reshaped views is cheaper than xp.stack's per-array checks
        return get_array_module(arrays[0]).concatenate([a.reshape(shape) for a in arrays], dim)

    def forward(self, *arrays, dim):
        self.dim = dim
        return self.join(arrays, dim)

    def backward(self, grad):
        return tuple(get_array_module(grad).moveaxis(grad, self.dim, 0))


def _tensor_list(op, tensors):
    """The tensors, their arrays, and whether any of them needs a graph."""
    if type(tensors) is not list and type(tensors) is not tuple:
        tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    arrays, track = [], False
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}: expected a sequence of Tensors, but element {i} is {type(t).__name__}; "
                "wrap it with glassnet.tensor(...)."
            )
        arrays.append(t._data)
        track = track or t.requires_grad
    return tensors, arrays, track and grad_mode._enabled


def _join(fn, tensors, arrays, track, dim):
    dtype = arrays[0].dtype
    for a in arrays:
        if a.dtype != dtype:
            for b in arrays:
                dtype = dtypes.promote(dtype, b.dtype)
            tensors = [t if t._data.dtype == dtype else t.to(dtype) for t in tensors]
            arrays = [t._data for t in tensors]
            break
    if not track:
        return Tensor._make(fn.join(arrays, dim))
    return fn.apply(*tensors, dim=dim)


def cat(tensors, dim=0):
    """Join tensors along an existing dim; all other dims must match.

    >>> import glassnet
    >>> glassnet.cat([glassnet.zeros(2, 3), glassnet.ones(1, 3)]).shape
    glassnet.Size([3, 3])
    """
    tensors, arrays, track = _tensor_list("cat", tensors)
    ref = arrays[0].shape
    n = len(ref)
    d = normalize_dim(dim, n, "cat") if n else 0
    for i, a in enumerate(arrays):
        s = a.shape
        if s != ref and (len(s) != n or s[:d] != ref[:d] or s[d + 1 :] != ref[d + 1 :]):
            # PyTorch skips 1-D empty tensors, a legacy way of starting a list to cat onto.
            kept = [t for t in tensors if t._data.shape != (0,)]
            if kept and len(kept) != len(tensors):
                return cat(kept, dim)
            raise ShapeError(
                f"cat: sizes of tensors must match except in dimension {dim}, but tensor 0 has "
                f"shape {tuple(ref)} and tensor {i} has shape {tuple(s)}. Reshape them so every "
                f"dim other than {dim} agrees."
            )
    if n == 0:
        raise ShapeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
    return _join(Cat, tensors, arrays, track, d)


def stack(tensors, dim=0):
    """Join same-shape tensors along a new dim.

    >>> import glassnet
    >>> glassnet.stack([glassnet.zeros(2, 3), glassnet.ones(2, 3)], dim=1).shape
    glassnet.Size([2, 2, 3])
    """
    tensors, arrays, track = _tensor_list("stack", tensors)
    ref = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != ref:
            raise ShapeError(
                f"stack: expects each tensor to be equal size, but got {tuple(ref)} at entry 0 "
                f"and {tuple(a.shape)} at entry {i}."
            )
    d = normalize_dim(dim, len(ref) + 1, "stack")
    return _join(Stack, tensors, arrays, track, d)


def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-D tensors).

    >>> import glassnet
    >>> glassnet.hstack([glassnet.zeros(2), glassnet.ones(3)]).shape
    glassnet.Size([5])
    """
    tensors = _tensor_list("hstack", tensors)[0]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0, turning 1-D tensors into rows first.

    >>> import glassnet
    >>> glassnet.vstack([glassnet.zeros(3), glassnet.ones(3)]).shape
    glassnet.Size([2, 3])
    """
    tensors = _tensor_list("vstack", tensors)[0]
    return cat([t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors], 0)


concat = concatenate = cat


# ---- repeat / tile -------------------------------------------------------------------------
class Repeat(Function):
    saves_inputs = False

    def forward(self, a, reps):
        self.in_shape, self.reps = a.shape, reps
        return get_array_module(a).tile(a, reps)

    def backward(self, grad):
        shape = (1,) * (len(self.reps) - len(self.in_shape)) + self.in_shape
        split = []
        for r, s in zip(self.reps, shape):
            split += [r, s]
        g = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (g.reshape(self.in_shape),)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (new leading dims allowed).

    >>> import glassnet
    >>> glassnet.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = sizes[0]
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input._data.ndim:
        raise ShapeError(
            f"repeat: number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
            f"number of dimensions of tensor ({input._data.ndim}, shape "
            f"{tuple(input._data.shape)}); give one count per dim, or use tile()."
        )
    if any(s < 0 for s in sizes):
        raise ShapeError(f"repeat: repeat counts must be non-negative, got {list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input, dims):
    """Like ``repeat``, but fewer counts than dims are padded with 1s on the left.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).tile((2,)).shape
    glassnet.Size([2, 6])
    """
    dims = tuple(dims)
    missing = input._data.ndim - len(dims)
    return repeat(input, (1,) * missing + dims if missing > 0 else dims)


# ---- flip / roll ---------------------------------------------------------------------------
class Flip(Function):
    saves_inputs = False

    def forward(self, a, dims):
        self.dims = dims
        return get_array_module(a).flip(a, dims).copy()

    def backward(self, grad):
        return (get_array_module(grad).flip(grad, self.dims),)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).flip(0, 1)
    tensor([[4, 3],
            [2, 1]])
    """
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = dims[0]
    n = input._data.ndim
    dims = tuple(normalize_dim(d, n, "flip") for d in ((dims,) if isinstance(dims, int) else dims))
    if len(set(dims)) != len(dims):
        raise ShapeError(f"flip: dims has duplicates, original flip dims size={list(dims)}")
    return Flip.apply(input, dims)


def fliplr(input):
    """Flip the columns (dim 1)."""
    if input._data.ndim < 2:
        raise ShapeError(f"fliplr: input must be >= 2-d, got shape {tuple(input._data.shape)}")
    return flip(input, (1,))


def flipud(input):
    """Flip the rows (dim 0)."""
    if input._data.ndim < 1:
        raise ShapeError("flipud: input must be >= 1-d")
    return flip(input, (0,))


class Roll(Function):
    saves_inputs = False

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return get_array_module(a).roll(a, shifts, dims)

    def backward(self, grad):
        s = self.shifts
        back = -s if isinstance(s, int) else tuple(-x for x in s)
        return (get_array_module(grad).roll(grad, back, self.dims),)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (of the flattened tensor when dims is None).

    >>> import glassnet
    >>> glassnet.arange(5).roll(2)
    tensor([3, 4, 0, 1, 2])
    """
    n = input._data.ndim
    if dims is None:
        if not isinstance(shifts, int):
            if len(shifts) != 1:
                raise ShapeError(
                    f"roll: shifts {list(shifts)} needs dims of the same length when there is "
                    "more than one shift"
                )
            shifts = shifts[0]
        return Roll.apply(input, int(shifts), None)
    if isinstance(dims, int):
        dims = (dims,)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if len(shifts) != len(dims):
        raise ShapeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}"
        )
    dims = tuple(normalize_dim(d, n, "roll") for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


# ---- triangles -----------------------------------------------------------------------------
class Triangle(Function):
    """Keep the lower (tril) or upper (triu) triangle of the last two dims, zero the rest."""

    saves_inputs = False

    def forward(self, a, k, upper):
        xp = get_array_module(a)
        rows, cols = a.shape[-2:]
        mask = xp.tri(rows, cols, k - 1 if upper else k, dtype=bool)
        self.mask = ~mask if upper else mask
        return xp.where(self.mask, a, xp.zeros((), dtype=a.dtype))

    def backward(self, grad):
        xp = get_array_module(grad)
        return (xp.where(self.mask, grad, xp.zeros((), dtype=grad.dtype)),)


def _triangle(op, input, diagonal, upper):
    if input._data.ndim < 2:
        raise ShapeError(
            f"{op}: input tensor must have at least 2 dimensions, got shape "
            f"{tuple(input._data.shape)}"
        )
    return Triangle.apply(input, int(diagonal), upper)


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements with col - row <= diagonal).

    >>> import glassnet
    >>> glassnet.ones(2, 2).tril()
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle("tril", input, diagonal, False)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements with col - row >= diagonal).

    >>> import glassnet
    >>> glassnet.ones(2, 2).triu(1)
    tensor([[0., 1.],
            [0., 0.]])
    """
    return _triangle("triu", input, diagonal, True)


TENSOR_METHODS = {
    "repeat": repeat,
    "tile": tile,
    "flip": flip,
    "fliplr": fliplr,
    "flipud": flipud,
    "roll": roll,
    "tril": tril,
    "triu": triu,
}

__all__ = [
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "tile",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "tril",
    "triu",
]
