"""Building and reading diagonals: diag, diag_embed, diagflat, diagonal_scatter, trace,
fill_diagonal_, block_diag, tril_indices, triu_indices (``diagonal`` itself, a view, lives in
shape_slice.py).

One Function does the writing: ``diagonal_scatter`` puts a tensor on a diagonal of a copy of
another; its backward reads the gradient's diagonal back out. diag_embed is diagonal_scatter
into zeros, and diag of a vector is diag_embed.

>>> import glassnet
>>> glassnet.diag(glassnet.tensor([1, 2]), 1)
tensor([[0, 1, 0],
        [0, 0, 2],
        [0, 0, 0]])
>>> glassnet.arange(9).view(3, 3).trace()
tensor(12)
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.shape_slice import _diagonal_view, diagonal
from glassnet.tensor import Tensor


class DiagonalScatter(Function):
    saves_inputs = False

    def forward(self, a, src, offset, d1, d2):
        self.args = (offset, d1, d2)
        out = a.copy()
        _diagonal_view(out, offset, d1, d2)[...] = src
        return out

    def backward(self, grad):
        ga = grad.copy()
        _diagonal_view(ga, *self.args)[...] = 0
        gs = _diagonal_view(grad, *self.args).copy()
        return ga, gs, None, None, None


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written on its diagonal (``offset``, ``dim1``,
    ``dim2`` as in ``diagonal``).

    >>> import glassnet
    >>> glassnet.diagonal_scatter(glassnet.zeros(2, 3), glassnet.ones(2), 1)
    tensor([[0., 1., 0.],
            [0., 0., 1.]])
    """
    n = input._data.ndim
    if n < 2:
        raise ShapeError(f"diagonal_scatter: expected a tensor with at least 2 dims, got {n}")
    d1 = normalize_dim(dim1, n, "diagonal_scatter")
    d2 = normalize_dim(dim2, n, "diagonal_scatter")
    want = _diagonal_view(input._data, offset, d1, d2).shape
    if tuple(src._data.shape) != tuple(want):
        raise ShapeError(
            f"diagonal_scatter: src must have the shape of the diagonal, {tuple(want)}, got "
            f"{tuple(src._data.shape)}"
        )
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return DiagonalScatter.apply(input, src, offset, d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (in the planes ``dim1``, ``dim2`` of the output) are the last
    dim of ``input``; zero elsewhere.

    >>> import glassnet
    >>> glassnet.diag_embed(glassnet.tensor([[1, 2], [3, 4]])).shape
    glassnet.Size([2, 2, 2])
    """
    a = input._data
    out_ndim = a.ndim + 1
    d1 = normalize_dim(dim1, out_ndim, "diag_embed")
    d2 = normalize_dim(dim2, out_ndim, "diag_embed")
    if d1 == d2:
        raise ShapeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = (a.shape[-1] if a.ndim else 1) + abs(offset)
    batch = iter(a.shape[:-1])
    shape = tuple(m if i in (d1, d2) else next(batch) for i in range(out_ndim))
    xp = get_array_module(a)
    zeros = Tensor._make(xp.zeros(shape, dtype=a.dtype))
    return diagonal_scatter(zeros, input if a.ndim else input.reshape(1), offset, d1, d2)


def diag(input, diagonal=0):
    """A 1-D tensor on the ``diagonal``-th diagonal of a square matrix, or a matrix's
    ``diagonal``-th diagonal as a 1-D tensor (a copy).

    >>> import glassnet
    >>> glassnet.diag(glassnet.tensor([[1, 2], [3, 4]]))
    tensor([1, 4])
    """
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        from glassnet.ops.conversion import clone

        return clone(_diagonal(input, diagonal))
    raise ShapeError(f"diag(): supports 1D or 2D tensors, got {n}D; use diagonal or diag_embed.")


def _diagonal(input, offset):
    return diagonal(input, offset, 0, 1)


def diagflat(input, offset=0):
    """The flattened input on the ``offset``-th diagonal of a square matrix.

    >>> import glassnet
    >>> glassnet.diagflat(glassnet.tensor([[1, 2]]))
    tensor([[1, 0],
            [0, 2]])
    """
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input):
    """The sum of a matrix's main diagonal (integers sum to int64).

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 2.0], [3.0, 4.0]]).trace()
    tensor(5.)
    """
    if input._data.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return _diagonal(input, 0).sum()


def fill_diagonal_(input, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal, in place (all dims of equal size beyond 2-D;
    ``wrap`` starts again below a tall matrix's first square, as NumPy and PyTorch).

    >>> import glassnet
    >>> glassnet.zeros(2, 3).fill_diagonal_(5.0)
    tensor([[5., 0., 0.],
            [0., 5., 0.]])
    """
    a = input._data
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ShapeError(
            f"fill_diagonal_: dimensions must be larger than 1 and all of equal length beyond "
            f"2-D, got shape {tuple(a.shape)}"
        )
    xp = get_array_module(a)
    mask = xp.zeros(a.shape, dtype=bool)
    xp.fill_diagonal(mask, True, wrap=wrap)
    from glassnet.ops.index_mask import masked_fill

    return input._inplace(lambda t: masked_fill(t, Tensor._make(mask), fill_value))


def block_diag(*tensors):
    """The tensors (numbers, vectors as rows, matrices) placed corner to corner on the
    diagonal of one matrix, zero elsewhere.

    >>> import glassnet
    >>> glassnet.block_diag(glassnet.tensor([[1, 2]]), glassnet.tensor([[3], [4]]))
    tensor([[1, 2, 0],
            [0, 0, 3],
            [0, 0, 4]])
    """
    from glassnet.ops.shape_join import cat

    if not tensors:
        from glassnet.creation import zeros

        return zeros(1, 0)
    mats = []
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise ShapeError(
                f"block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                f"{t._data.ndim} dimensions"
            )
        mats.append(
            t.reshape(1, 1) if t._data.ndim == 0 else t.reshape(1, -1) if t._data.ndim == 1 else t
        )
    dtype = mats[0]._data.dtype
    for m in mats[1:]:
        dtype = dtypes.promote(dtype, m._data.dtype)
    xp = get_array_module(mats[0]._data)
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        before = Tensor._make(xp.zeros((r, left), dtype=dtype))
        after = Tensor._make(xp.zeros((r, width - left - c), dtype=dtype))
        rows.append(cat([before, m.to(dtype), after], 1))
        left += c
    return cat(rows, 0)


def _indices(op, row, col, offset, dtype, device, upper):
    from glassnet.backend import normalize_device, to_device

    host = get_array_module()  # made on the CPU, then moved to ``device``
    rows, cols = (host.triu_indices if upper else host.tril_indices)(row, offset, col)
    out = host.stack([rows, cols]).astype(dtypes.as_dtype(dtype) or dtypes.int64)
    return Tensor._make(to_device(out, normalize_device(device)))


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, col) indices of a ``row`` x ``col`` matrix's lower triangle, as a 2 x N
    tensor in row-major order.

    >>> import glassnet
    >>> glassnet.tril_indices(3, 3, -1)
    tensor([[1, 2, 2],
            [0, 0, 1]])
    """
    return _indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, col) indices of a ``row`` x ``col`` matrix's upper triangle (2 x N).

    >>> import glassnet
    >>> glassnet.triu_indices(2, 3, 1)
    tensor([[0, 0, 1],
            [1, 2, 2]])
    """
    return _indices("triu_indices", row, col, offset, dtype, device, upper=True)


__all__ = [
    "diagonal_scatter",
    "diag_embed",
    "diag",
    "diagflat",
    "trace",
    "block_diag",
    "tril_indices",
    "triu_indices",
]
TENSOR_METHODS = {
    name: globals()[name]
    for name in ("diagonal_scatter", "diag_embed", "diag", "diagflat", "trace", "fill_diagonal_")
}
