"""Small helpers the op files share: turning scalars into operands, dims into axes."""

from __future__ import annotations

from glassnet import dtypes
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor


def result_dtype(a, b):
    """PyTorch's result dtype of an op between tensor ``a`` and tensor-or-scalar ``b``."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return da
        # A 0-d tensor only decides the category, like a scalar (PyTorch's rule).
        if b._data.ndim == 0 and a._data.ndim != 0 and dtypes._category(db) <= dtypes._category(da):
            return da
        if a._data.ndim == 0 and b._data.ndim != 0 and dtypes._category(da) <= dtypes._category(db):
            return db
        return dtypes.promote(da, db)
    return dtypes.scalar_result(a._data.dtype, b)


def check_broadcast(op, a_shape, b_shape):
    """Raise a ShapeError naming ``op`` when two shapes cannot broadcast together."""
    for x, y in zip(reversed(a_shape), reversed(b_shape)):
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"{op}: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be broadcast "
                f"together: sizes {x} and {y} differ and neither is 1. Line the dims up "
                "(reshape/unsqueeze one of them) so each pair is equal or 1."
            )


def normalize_dim(dim, ndim, op="op"):
    """A dim in range(ndim) from a possibly negative one, with an error naming the op."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


def normalize_dims(dim, ndim, op="op"):
    """A sorted tuple of axes for ``dim`` (None means every dim)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    return tuple(sorted(normalize_dim(d, ndim, op) for d in dim))


def as_shape(shape):
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def accept_numpy_names(func):
    """``func`` also taking NumPy's ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``,
    as PyTorch's functions do (``x.sum(axis=0)``). Returns ``func`` itself when it has no
    ``dim`` parameter; the wrapper costs one dict lookup when no keyword is given."""
    import functools

    # plain functions only (no signature() cost); a decorated one (functools.wraps, such as
    # low_precision.bfloat16_in_float32) by the parameters of the function it wraps
    inner = func
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    code = getattr(inner, "__code__", None)
    if code is None:
        return func
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if "dim" not in params or "axis" in params:
        return func
    has_keepdim = "keepdim" in params

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                if "dim" in kwargs:
                    raise TypeError(f"{func.__name__}() got both dim and its alias axis")
                kwargs["dim"] = kwargs.pop("axis")
            if has_keepdim and "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return func(*args, **kwargs)

    wrapper.__wrapped_numpy_names__ = True
    return wrapper


# The shared dimension of ``rows_dot_rows`` is taken this many columns at a time.
_ROWS_CHUNK = 4096


def rows_dot_rows(a, b):
    """``a @ b.T`` for 2-D NumPy arrays a (p, m) and b (q, m) whose rows are long: the weight
    gradient of a convolution (output gradient rows against im2col rows). OpenBLAS runs that
    product faster with the operand of more rows first (``(b @ a.T).T`` when q > p: 1.2-1.9x
    on the CIFAR ResNet's and LeNet's layers) and, when both have few rows, summed over
    4096-column chunks (LeNet's first layer, 6 x 36864 by 25 x 36864: 0.29 against 0.88 ms).

    >>> import numpy as np
    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((4, 3))
    >>> bool(np.array_equal(rows_dot_rows(a, b), a @ b.T))
    True
    """
    if get_array_module(a).__name__ != "numpy":  # one product on a GPU
        return a @ b.T
    swap = b.shape[0] > a.shape[0]
    first, second = (b, a) if swap else (a, b)
    m = a.shape[1]
    out = first[:, :_ROWS_CHUNK] @ second[:, :_ROWS_CHUNK].T
    for start in range(_ROWS_CHUNK, m, _ROWS_CHUNK):
        stop = start + _ROWS_CHUNK
        out += first[:, start:stop] @ second[:, start:stop].T
    return out.T if swap else out


def outer_aware_matmul(a, b):
    """``a @ b`` for 2-D arrays, with an inner dim of 1 (an outer product) done as a broadcast
    multiply: BLAS's GEMM runs that shape several times slower (the weight gradient of a
    batch-1 Linear layer, ``grad.T @ x``, took ~450 us for 512x1 by 1x784 against ~90 us).

    >>> import numpy as np
    >>> outer_aware_matmul(np.array([[1.0], [2.0]]), np.array([[3.0, 4.0]]))
    array([[3., 4.],
           [6., 8.]])
    """
    if a.shape[1] == 1:
        return a * b
    return a @ b
