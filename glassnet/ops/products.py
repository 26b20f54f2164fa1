"""Products built on matmul: addmm, addmv, addr, addbmm, baddbmm, vdot, inner, ger, kron,
tensordot, chain_matmul, cross, cdist, pdist, dist, cartesian_prod, combinations.

Each is a composition of differentiable ops (matmul, broadcasting arithmetic, norms, index
selection), so each is exactly as differentiable as PyTorch's. In the add* family ``beta=0``
ignores ``input`` entirely (nan and inf in it do not leak through), as in PyTorch.

>>> import glassnet
>>> glassnet.addmm(glassnet.ones(2, 2), glassnet.eye(2), glassnet.eye(2), beta=0.5, alpha=2)
tensor([[2.5000, 0.5000],
        [0.5000, 2.5000]])
>>> glassnet.kron(glassnet.tensor([1, 10]), glassnet.tensor([1, 2]))
tensor([ 1,  2, 10, 20])
>>> glassnet.cross(glassnet.tensor([1.0, 0.0, 0.0]), glassnet.tensor([0.0, 1.0, 0.0]))
tensor([0., 0., 1.])
"""

from __future__ import annotations

import itertools

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops import linalg
from glassnet.ops._pointwise import inplace_method
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


def _scaled_sum(op, input, product, beta, alpha):
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # PyTorch: input is not read at all (only its shape broadcasts)
        from glassnet.ops.conversion import clone

        shape = _broadcast_shape(op, input._data.shape, scaled._data.shape)
        return scaled if shape == scaled._data.shape else clone(scaled.expand(shape))
    return (input if beta == 1 else input * beta) + scaled


def _broadcast_shape(op, a, b):
    from glassnet.ops._util import check_broadcast

    check_broadcast(op, a, b)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) if min(x, y) else 0 for x, y in zip(a, b))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) for matrices (input broadcasts).

    >>> import glassnet
    >>> glassnet.addmm(glassnet.zeros(3), glassnet.ones(2, 4), glassnet.ones(4, 3))
    tensor([[4., 4., 4.],
            [4., 4., 4.]])
    """
    return _scaled_sum("addmm", input, linalg.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec).

    >>> import glassnet
    >>> glassnet.addmv(glassnet.ones(2), glassnet.ones(2, 3), glassnet.ones(3), alpha=2)
    tensor([7., 7.])
    """
    return _scaled_sum("addmv", input, linalg.mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2).

    >>> import glassnet
    >>> glassnet.addr(glassnet.zeros(2, 2), glassnet.tensor([1.0, 2.0]), glassnet.ones(2))
    tensor([[1., 1.],
            [2., 2.]])
    """
    return _scaled_sum("addr", input, linalg.outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), batch by batch.

    >>> import glassnet
    >>> glassnet.baddbmm(glassnet.zeros(1), glassnet.ones(5, 2, 3), glassnet.ones(5, 3, 4)).shape
    glassnet.Size([5, 2, 4])
    """
    return _scaled_sum("baddbmm", input, linalg.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * the sum over the batch of batch1[i] @ batch2[i].

    >>> import glassnet
    >>> glassnet.addbmm(glassnet.zeros(2, 4), glassnet.ones(5, 2, 3), glassnet.ones(5, 3, 4))[0]
    tensor([15., 15., 15., 15.])
    """
    return _scaled_sum("addbmm", input, linalg.bmm(batch1, batch2).sum(0), beta, alpha)


def vdot(input, other):
    """The dot product of two 1-D tensors (for real tensors the same as ``dot``).

    >>> import glassnet
    >>> glassnet.vdot(glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0, 4.0]))
    tensor(11.)
    """
    return linalg.dot(input, other)


def inner(input, other):
    """The sum of products over the last dims (a plain product when either is 0-d).

    >>> import glassnet
    >>> glassnet.inner(glassnet.ones(2, 3), glassnet.ones(4, 3)).shape
    glassnet.Size([2, 4])
    """
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ShapeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def ger(input, vec2):
    """``outer`` under its older name."""
    return linalg.outer(input, vec2)


def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole of ``other``.

    >>> import glassnet
    >>> glassnet.kron(glassnet.eye(2), glassnet.ones(1, 2))
    tensor([[1., 1., 0., 0.],
            [0., 0., 1., 1.]])
    """
    n = max(input._data.ndim, other._data.ndim)
    a = input.reshape((1,) * (n - input._data.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other._data.ndim) + tuple(other.shape))
    # a[i, j] * b[k, l] lands at (i * K + k, j * L + l): interleave the dims, then merge pairs.
    a_shape = [s for d in a.shape for s in (d, 1)]
    b_shape = [s for d in b.shape for s in (1, d)]
    product = a.reshape(a_shape) * b.reshape(b_shape)
    return product.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def tensordot(a, b, dims=2):
    """Sum of products over ``dims`` (an int: the last dims of ``a`` with the first of ``b``;
    or two lists of dims).

    >>> import glassnet
    >>> glassnet.tensordot(glassnet.ones(2, 3, 4), glassnet.ones(3, 4, 5)).shape
    glassnet.Size([2, 5])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise ValueError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a = list(range(a._data.ndim - dims, a._data.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [normalize_dim(d, a._data.ndim, "tensordot") for d in dims_a]
    dims_b = [normalize_dim(d, b._data.ndim, "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise ShapeError(
                f"tensordot: contracted dimensions need to match, but first has size "
                f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in range(b._data.ndim) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    left = a.permute(*free_a, *dims_a).reshape(-1, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)
    out_shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    if left._data.dtype != right._data.dtype:
        from glassnet.ops.operands import _operands

        left, right = _operands("tensordot", left, right)
    return linalg.matmul(left, right).reshape(out_shape)


def chain_matmul(*matrices):
    """The product of a chain of matrices (``linalg.multi_dot``'s older name).

    >>> import glassnet
    >>> glassnet.chain_matmul(glassnet.ones(2, 3), glassnet.ones(3, 4), glassnet.ones(4, 1))
    tensor([[12.],
            [12.]])
    """
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = linalg.mm(out, m)
    return out


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None, as
    torch.cross; linalg.cross uses -1). The inputs broadcast.

    >>> import glassnet
    >>> glassnet.cross(glassnet.tensor([[0.0, 0.0, 1.0]]), glassnet.tensor([[1.0, 0.0, 0.0]]))
    tensor([[0., 1., 0.]])
    """
    from glassnet.ops.operands import _operands
    from glassnet.ops.shape_join import stack

    a, b = _operands("cross", input, other)
    n = max(a._data.ndim, b._data.ndim)
    shape = _broadcast_shape("cross", a._data.shape, b._data.shape)
    if dim is None:
        sizes = [d for d in range(n) if shape[d] == 3]
        if not sizes:
            raise ShapeError(f"cross: no dimension of size 3 in input (shape {list(shape)})")
        dim = sizes[0]
    axis = normalize_dim(dim, n, "cross")
    if shape[axis] != 3 or a.shape[axis - n + a._data.ndim] != 3:
        raise ShapeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {list(a.shape)} "
            f"and {list(b.shape)}"
        )
    a, b = a.expand(shape), b.expand(shape)
    x = [a.select(axis, i) for i in range(3)]
    y = [b.select(axis, i) for i in range(3)]
    parts = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]]
    return stack(parts, axis)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): a (..., P, R) tensor. Computed from the differences directly (PyTorch may
    use a faster, less accurate matrix-product form for p=2 on large inputs).

    >>> import glassnet
    >>> glassnet.cdist(glassnet.tensor([[0.0, 0.0]]), glassnet.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[5., 1.]])
    """
    from glassnet.ops.norm import norm

    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise ShapeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D, X2 got: "
            f"{x2._data.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise ValueError(f"cdist only supports non-negative p values, got {p}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return norm(diff, p=p, dim=-1)


def pdist(input, p=2):
    """The p-norm distances between all pairs of rows i < j of an (N, M) matrix, as a flat
    tensor of N(N-1)/2 values in row-major order.

    >>> import glassnet
    >>> glassnet.pdist(glassnet.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    tensor([5.0000, 1.0000, 4.2426])
    """
    from glassnet.ops.diagonals import triu_indices
    from glassnet.ops.norm import norm

    if input._data.ndim != 2:
        raise ShapeError(f"pdist only supports 2D tensors, got: {input._data.ndim}D")
    i, j = triu_indices(input.shape[0], input.shape[0], 1, device=input.device)
    return norm(input.index_select(0, i) - input.index_select(0, j), p=p, dim=-1)


def dist(input, other, p=2):
    """The p-norm of input - other.

    >>> import glassnet
    >>> glassnet.dist(glassnet.tensor([1.0, 1.0]), glassnet.tensor([4.0, 5.0]))
    tensor(5.)
    """
    from glassnet.ops.norm import norm

    return norm(input - other, p=p)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (one tensor: itself).

    >>> import glassnet
    >>> glassnet.cartesian_prod(glassnet.tensor([1, 2]), glassnet.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    from glassnet.ops.grids import meshgrid
    from glassnet.ops.shape_join import stack

    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-D tensor's elements, as rows (itertools order).

    >>> import glassnet
    >>> glassnet.combinations(glassnet.tensor([1, 2, 3]))
    tensor([[1, 2],
            [1, 3],
            [2, 3]])
    """
    if input._data.ndim != 1:
        raise ShapeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    xp = get_array_module(input._data)
    if not rows:
        return input.index_select(0, Tensor._make(xp.zeros(0, dtype=xp.int64))).reshape(0, r)
    index = Tensor._make(xp.asarray(rows, dtype=xp.int64).reshape(-1))
    return input.index_select(0, index).reshape(-1, r)


__all__ = [
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "vdot",
    "inner",
    "ger",
    "kron",
    "tensordot",
    "chain_matmul",
    "cross",
    "cdist",
    "pdist",
    "dist",
    "cartesian_prod",
    "combinations",
]
TENSOR_METHODS = {
    name: globals()[name]
    for name in "addmm addmv addr baddbmm addbmm vdot inner ger kron cross dist".split()
}
TENSOR_METHODS.update(
    {
        name + "_": inplace_method(globals()[name])
        for name in "addmm addmv addr baddbmm addbmm".split()
    }
)
