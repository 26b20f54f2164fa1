"""More of torch's ways to split, stack, rotate and rewrite tensors: tensor_split, hsplit,
vsplit, dsplit, column_stack, row_stack, dstack, atleast_1d/2d/3d, rot90, ravel, msort,
broadcast_tensors, broadcast_shapes, select_scatter, slice_scatter, sum_to_size,
unravel_index.

All are compositions of views and differentiable ops (narrow, cat, flip, transpose, expand),
except the two scatters, whose one Function writes a slice of a copy and sends the gradient of
that slice to the source.

>>> import glassnet
>>> [t.tolist() for t in glassnet.arange(7).tensor_split(3)]
[[0, 1, 2], [3, 4], [5, 6]]
>>> glassnet.rot90(glassnet.tensor([[1, 2], [3, 4]]))
tensor([[2, 4],
        [1, 3]])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Size, Tensor


def tensor_split(input, indices_or_sections, dim=0):
    """``n`` nearly equal pieces along ``dim`` (the first n mod size ones one longer), or the
    pieces between the given indices. Views.

    >>> import glassnet
    >>> [t.tolist() for t in glassnet.arange(6).tensor_split([1, 4])]
    [[0], [1, 2, 3], [4, 5]]
    """
    d = normalize_dim(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = int(spec.item()) if spec._data.ndim == 0 else [int(i) for i in spec.tolist()]
    if isinstance(spec, int):
        if spec <= 0:
            raise ValueError(f"tensor_split: number of sections must be larger than 0, got {spec}")
        small, extra = divmod(n, spec)
        sizes = [small + 1] * extra + [small] * (spec - extra)
        bounds = [0]
        for s in sizes:
            bounds.append(bounds[-1] + s)
    else:
        bounds = [0] + [min(max(int(i) if i >= 0 else n + int(i), 0), n) for i in spec] + [n]
    pieces = []
    for start, stop in zip(bounds, bounds[1:]):
        start = min(start, n)
        pieces.append(input.narrow(d, start, max(stop - start, 0)))
    return tuple(pieces)


def _split_along(op, input, spec, dim, min_ndim):
    if input._data.ndim < min_ndim:
        raise ShapeError(
            f"torch.{op} requires a tensor with at least {min_ndim} dimension, but got a tensor "
            f"with {input._data.ndim} dimensions!"
        )
    if isinstance(spec, int) and input._data.shape[dim] % spec:
        raise ShapeError(
            f"torch.{op} attempted to split along dimension {dim}, but the size of the "
            f"dimension {input._data.shape[dim]} is not divisible by the split_size {spec}!"
        )
    return tensor_split(input, spec, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for a 1-D tensor).

    >>> import glassnet
    >>> [t.shape for t in glassnet.zeros(2, 4).hsplit(2)]
    [glassnet.Size([2, 2]), glassnet.Size([2, 2])]
    """
    dim = 0 if input._data.ndim == 1 else 1
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-D)."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-D)."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes shape (1,)).

    >>> import glassnet
    >>> glassnet.atleast_1d(glassnet.tensor(3.0))
    tensor([3.])
    """
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: (n,) becomes (1, n)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1)."""
    return _atleast(tensors, 3)


def _atleast(tensors, k):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
        single = False
    else:
        single = len(tensors) == 1
    out = []
    for t in tensors:
        shape = tuple(t.shape)
        if len(shape) < k:
            if k == 3:
                shape = {0: (1, 1, 1), 1: (1, shape[0] if shape else 1, 1), 2: shape + (1,)}[
                    len(shape)
                ]
            else:
                shape = (1,) * (k - len(shape)) + shape
            t = t.reshape(shape)
        out.append(t)
    return out[0] if single else tuple(out)


def column_stack(tensors):
    """The tensors as columns side by side (1-D ones become columns).

    >>> import glassnet
    >>> glassnet.column_stack([glassnet.tensor([1, 2]), glassnet.tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    from glassnet.ops.shape_join import cat

    return cat([t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors], 1)


def row_stack(tensors):
    """``vstack``: the tensors as rows, one under the other."""
    from glassnet.ops.shape_join import vstack

    return vstack(tensors)


def dstack(tensors):
    """The tensors stacked along a third dim (after atleast_3d).

    >>> import glassnet
    >>> glassnet.dstack([glassnet.tensor([1, 2]), glassnet.tensor([3, 4])]).shape
    glassnet.Size([1, 2, 2])
    """
    from glassnet.ops.shape_join import cat

    return cat(list(atleast_3d(*tensors)) if len(tensors) > 1 else [atleast_3d(tensors[0])], 2)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the
    second).

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).rot90(2)
    tensor([[4, 3],
            [2, 1]])
    """
    if len(dims) != 2:
        raise ValueError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    n = input._data.ndim
    if n < 2:
        raise ShapeError(f"rot90: expected total dims >= 2, but got total dims = {n}")
    d0, d1 = (normalize_dim(d, n, "rot90") for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: expected rotation dims to be different, but got {dims}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def ravel(input):
    """The elements as a 1-D tensor.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).ravel()
    tensor([1, 2, 3, 4])
    """
    return input.reshape(-1)


def msort(input):
    """The input sorted along dim 0.

    >>> import glassnet
    >>> glassnet.msort(glassnet.tensor([[3, 1], [1, 2]]))
    tensor([[1, 1],
            [3, 2]])
    """
    return input.sort(0).values


def broadcast_shapes(*shapes):
    """The shape that tensors of these shapes broadcast to.

    >>> import glassnet
    >>> glassnet.broadcast_shapes((2, 1), (3,))
    glassnet.Size([2, 3])
    """
    from glassnet.ops._util import check_broadcast

    out = ()
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        check_broadcast("broadcast_shapes", out, shape)
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(shape)) + shape
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return Size(out)


def broadcast_tensors(*tensors):
    """The tensors expanded (as views) to their common broadcast shape.

    >>> import glassnet
    >>> [t.shape for t in glassnet.broadcast_tensors(glassnet.zeros(2, 1), glassnet.zeros(3))]
    [glassnet.Size([2, 3]), glassnet.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(*shape) for t in tensors)


class SliceScatter(Function):
    saves_inputs = False

    def forward(self, a, src, key):
        self.key = key
        out = a.copy()
        out[key] = src
        return out

    def backward(self, grad):
        ga = grad.copy()
        ga[self.key] = 0
        return ga, grad[self.key], None


def _scatter_slice(op, input, src, key):
    want = input._data[key].shape
    if tuple(src._data.shape) != tuple(want):
        raise ShapeError(
            f"{op}: expected src to have a size equal to the slice of self, {tuple(want)}, "
            f"but got {tuple(src._data.shape)}"
        )
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return SliceScatter.apply(input, src, key)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``index`` of ``dim`` (the slice that
    ``select`` would return).

    >>> import glassnet
    >>> glassnet.zeros(2, 2).select_scatter(glassnet.ones(2), 0, 0)
    tensor([[1., 1.],
            [0., 0.]])
    """
    d = normalize_dim(dim, input._data.ndim, "select_scatter")
    return _scatter_slice("select_scatter", input, src, (slice(None),) * d + (index,))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written at the slice start:end:step of ``dim``.

    >>> import glassnet
    >>> glassnet.zeros(4).slice_scatter(glassnet.ones(2), start=1, end=3)
    tensor([0., 1., 1., 0.])
    """
    d = normalize_dim(dim, input._data.ndim, "slice_scatter")
    return _scatter_slice(
        "slice_scatter", input, src, (slice(None),) * d + (slice(start, end, step),)
    )


def sum_to_size(input, *size):
    """The sum over the dims that broadcasting would expand from ``size`` (the reverse of
    ``expand``).

    >>> import glassnet
    >>> glassnet.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    from glassnet.ops._util import as_shape

    size = as_shape(size)
    lead = input._data.ndim - len(size)
    out = input.sum(tuple(range(lead))) if lead > 0 else input
    dims = tuple(i for i, (s, n) in enumerate(zip(size, out.shape)) if s == 1 and n != 1)
    return out.sum(dims, keepdim=True) if dims else out


def unravel_index(indices, shape):
    """The coordinates, one tensor per dim, of flat ``indices`` in a tensor of ``shape``.

    >>> import glassnet
    >>> glassnet.unravel_index(glassnet.tensor([4, 7]), (2, 4))
    (tensor([1, 1]), tensor([0, 3]))
    """
    idx = (
        indices
        if isinstance(indices, Tensor)
        else Tensor._make(get_array_module().asarray(indices))
    )
    xp = get_array_module(idx._data)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = 1
    for s in shape:
        total *= s
    flat = idx._data
    if flat.size and (int(flat.min()) < -total or int(flat.max()) >= total):
        raise IndexError(f"unravel_index: index out of bounds for a tensor of shape {shape}")
    coords = xp.unravel_index(xp.where(flat < 0, flat + total, flat), shape)
    return tuple(Tensor._make(xp.asarray(c, dtype="int64")) for c in coords)


__all__ = [
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "row_stack",
    "dstack",
    "rot90",
    "ravel",
    "msort",
    "broadcast_shapes",
    "broadcast_tensors",
    "select_scatter",
    "slice_scatter",
    "unravel_index",
]
TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "tensor_split hsplit vsplit dsplit rot90 ravel msort select_scatter slice_scatter "
        "sum_to_size"
    ).split()
}
