"""Sets and sorted lookups: unique, unique_consecutive, isin, searchsorted, bucketize.

unique always returns its values sorted (``sorted=False`` is accepted; PyTorch allows either
order then). Like PyTorch, every nan is its own value, and a backward through unique raises.
searchsorted and bucketize return int64 positions (int32 with ``out_int32``).

>>> import glassnet
>>> glassnet.tensor([3, 1, 3, 2]).unique(return_counts=True)
(tensor([1, 2, 3]), tensor([1, 1, 2]))
>>> glassnet.searchsorted(glassnet.tensor([1, 3, 5, 7]), glassnet.tensor([3, 6]))
tensor([1, 3])
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._pointwise import without_derivative
from glassnet.ops._util import normalize_dim
from glassnet.tensor import Tensor


def _values(op, array, input):
    if array.dtype.kind == "f":
        return without_derivative(op, array, input)
    return Tensor._make(array)


def _runs(xp, rows):
    """For rows (n, k) in order: where each run of equal rows starts (nan never equals)."""
    if rows.shape[0] == 0:
        return xp.zeros(0, dtype=bool)
    differs = (rows[1:] != rows[:-1]).any(axis=1) if rows.ndim == 2 else rows[1:] != rows[:-1]
    return xp.concatenate([xp.ones(1, dtype=bool), differs])


def _finish(op, input, rows, order, starts, shape_back, return_inverse, return_counts, xp):
    """Values from the run starts; the inverse and counts PyTorch returns alongside."""
    values = shape_back(rows[starts])
    out = [_values(op, values, input)]
    if return_inverse:
        run_id = xp.cumsum(starts) - 1
        inverse = xp.empty_like(run_id)
        inverse[order] = run_id
        out.append(inverse)
    if return_counts:
        first = xp.flatnonzero(starts)
        out.append(xp.diff(xp.concatenate([first, xp.asarray([starts.shape[0]])])))
    return out


def _as_rows(op, input, dim):
    a = input._data
    xp = get_array_module(a)
    if dim is None:
        flat = a.reshape(-1)
        return xp, flat, (lambda r: r), flat.shape[0]
    axis = normalize_dim(dim, a.ndim, op)
    moved = xp.moveaxis(a, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    rest = moved.shape[1:]

    def shape_back(r):
        return xp.moveaxis(r.reshape((r.shape[0],) + rest), 0, axis)

    return xp, rows, shape_back, rows.shape[0]


def _result(out, return_inverse, return_counts, inverse_shape):
    values, extra = out[0], [Tensor._make(t.astype(dtypes.int64)) for t in out[1:]]
    if return_inverse:
        extra[0] = extra[0].reshape(inverse_shape)
    return values if not extra else (values, *extra)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values (or, with ``dim``, distinct slices along it) in ascending order;
    optionally where each element went (``return_inverse``) and how often each occurs.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [1, 2], [0, 5]]).unique(dim=0)
    tensor([[0, 5],
            [1, 2]])
    """
    xp, rows, shape_back, n = _as_rows("unique", input, dim)
    if rows.ndim == 1:
        order = xp.argsort(rows, kind="stable")
    elif rows.shape[1] == 0:
        order = xp.arange(n)
    else:  # lexicographic order of the rows: the first column is the primary key
        order = xp.lexsort(rows.T[::-1])
    ordered = rows[order]
    starts = _runs(xp, ordered)
    out = _finish(
        "unique", input, ordered, order, starts, shape_back, return_inverse, return_counts, xp
    )
    inverse_shape = input._data.shape if dim is None else (n,)
    return _result(out, return_inverse, return_counts, inverse_shape)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive values (or slices along ``dim``) collapsed to one.

    >>> import glassnet
    >>> glassnet.tensor([1, 1, 2, 2, 3, 1, 1]).unique_consecutive()
    tensor([1, 2, 3, 1])
    """
    xp, rows, shape_back, n = _as_rows("unique_consecutive", input, dim)
    order = xp.arange(n)
    starts = _runs(xp, rows)
    out = _finish(
        "unique_consecutive",
        input,
        rows,
        order,
        starts,
        shape_back,
        return_inverse,
        return_counts,
        xp,
    )
    inverse_shape = input._data.shape if dim is None else (n,)
    return _result(out, return_inverse, return_counts, inverse_shape)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` is in ``test_elements`` (a tensor or a number).

    >>> import glassnet
    >>> glassnet.isin(glassnet.tensor([1, 2, 3]), glassnet.tensor([2, 5]))
    tensor([False,  True, False])
    """
    if not isinstance(elements, Tensor):
        elements = Tensor._make(get_array_module(test_elements._data).asarray(elements))
    a = elements._data
    xp = get_array_module(a)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    found = xp.isin(a, b, assume_unique=assume_unique, invert=invert)
    return Tensor._make(xp.asarray(found))


def _positions(op, sequence, values, right, side, sorter, out_int32):
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"{op}: side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError(
                f"{op}: side and right can't be set to opposites, got side of left while "
                "right was True"
            )
        right = side == "right"
    s = sequence._data
    xp = get_array_module(s)
    scalar = not isinstance(values, Tensor)
    v = xp.asarray(values, dtype=s.dtype) if scalar else values._data
    if sorter is not None:
        s = xp.take_along_axis(s, sorter._data, axis=-1)
    how = "right" if right else "left"
    if s.ndim == 1:
        out = xp.searchsorted(s, v, side=how)
    else:
        if s.shape[:-1] != v.shape[:-1]:
            raise ShapeError(
                f"{op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries "
                f"tensor {list(s.shape)} and input value tensor {list(v.shape)}"
            )
        rows_s = s.reshape(-1, s.shape[-1])
        rows_v = v.reshape(-1, v.shape[-1])
        # one search per row of boundaries (the rows are independent sorted sequences)
        out = xp.stack([xp.searchsorted(rs, rv, side=how) for rs, rv in zip(rows_s, rows_v)])
        out = out.reshape(v.shape)
    dtype = dtypes.int32 if out_int32 else dtypes.int64
    return Tensor._make(xp.asarray(out, dtype=dtype))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dim) to
    keep it sorted: the first such place, or the last with ``right=True``/``side='right'``.

    >>> import glassnet
    >>> s = glassnet.tensor([[1, 3, 5], [2, 4, 6]])
    >>> glassnet.searchsorted(s, glassnet.tensor([[3], [3]]), right=True)
    tensor([[2],
            [1]])
    """
    return _positions("searchsorted", sorted_sequence, input, right, side, sorter, out_int32)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element given sorted 1-D ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``<=`` and ``<`` swapped with ``right=True``).

    >>> import glassnet
    >>> glassnet.bucketize(glassnet.tensor([1, 5, 9]), glassnet.tensor([1, 3, 5, 7, 9]))
    tensor([0, 2, 4])
    """
    if boundaries._data.ndim != 1:
        raise ShapeError(
            f"bucketize: boundaries tensor must be 1 dimension, but got "
            f"dim({boundaries._data.ndim})"
        )
    return _positions("bucketize", boundaries, input, right, None, None, out_int32)


__all__ = ["unique", "unique_consecutive", "isin", "searchsorted", "bucketize"]
TENSOR_METHODS = {"unique": unique, "unique_consecutive": unique_consecutive}
