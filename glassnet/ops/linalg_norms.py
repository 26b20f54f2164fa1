"""Norms of vectors and matrices: linalg.vector_norm, linalg.matrix_norm, linalg.norm.

vector_norm reuses the p-norm Function of norm.py (its gradient is 0 where the norm is 0, as in
PyTorch). Matrix norms are compositions: 'fro' is the 2-norm of the elements, 1/-1/inf/-inf
are the largest/smallest absolute column/row sums, 2/-2/'nuc' come from the singular values
(so their gradients need distinct singular values, as in PyTorch).

>>> import glassnet
>>> A = glassnet.tensor([[1.0, -2.0], [3.0, 4.0]])
>>> glassnet.linalg.matrix_norm(A, 1)  # the largest absolute column sum
tensor(6.)
>>> glassnet.linalg.vector_norm(A, float("inf"))
tensor(4.)
"""

from __future__ import annotations

import math

from glassnet.errors import ShapeError
from glassnet.ops._linalg_util import floating
from glassnet.ops._util import normalize_dim
from glassnet.ops.norm import VectorNorm
from glassnet.ops.reduction import _axes


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements by default); ord inf, -inf and 0
    give the largest and smallest magnitude and the count of nonzeros.

    >>> import glassnet
    >>> glassnet.linalg.vector_norm(glassnet.tensor([[3.0, 4.0], [0.0, 1.0]]), dim=1)
    tensor([5., 1.])
    """
    if dtype is not None:
        x = x.to(dtype)
    x = floating("linalg.vector_norm", x)
    if isinstance(ord, str):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if x._data.size == 0 and (ord < 0 or ord == math.inf) and dim is None:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    return VectorNorm.apply(x, float(ord), _axes(x, dim, "linalg.vector_norm"), keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: N803, A002
    """The matrix norm of each matrix (in dims ``dim``): 'fro', 'nuc', 1, -1, 2, -2, inf,
    -inf.

    >>> import glassnet
    >>> glassnet.linalg.matrix_norm(glassnet.tensor([[3.0, 0.0], [0.0, 4.0]]), 2)
    tensor(4.)
    """
    if dtype is not None:
        A = A.to(dtype)  # noqa: N806
    A = floating("linalg.matrix_norm", A)  # noqa: N806
    n = A._data.ndim
    if n < 2:
        raise ShapeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got "
            f"shape {list(A.shape)}"
        )
    if len(dim) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (normalize_dim(d, n, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise ValueError(
            f"linalg.matrix_norm: Order {ord} not supported; use 'fro', 'nuc', 1, -1, 2, -2, "
            "inf or -inf."
        )
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    m = A.movedim((d0, d1), (-2, -1))
    if ord in ("nuc", 2, -2):
        from glassnet.ops.linalg_spectral import svdvals

        s = svdvals(m)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    else:
        mag = m.abs()
        if ord in (1, -1):  # column sums, then over the columns
            sums = mag.sum(-2)
        else:  # row sums
            sums = mag.sum(-1)
        out = sums.amax(-1) if ord > 0 else sums.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: N803, A002
    """linalg.norm: a vector norm when ``dim`` is an int or the input is 1-D, a matrix norm
    when ``dim`` is a pair or the input is 2-D with an ``ord``; without ``ord`` and ``dim``
    the 2-norm of all elements.

    >>> import glassnet
    >>> glassnet.linalg.norm(glassnet.tensor([[1.0, 2.0], [2.0, 4.0]]), "nuc")
    tensor(5.)
    """
    if dtype is not None:
        A = A.to(dtype)  # noqa: N806
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or dim is None and ord is not None and A._data.ndim == 2:
        return matrix_norm(
            A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim
        )
    if dim is None and ord is not None and A._data.ndim != 1:
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A._data.ndim}D."
        )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord {ord!r} is a matrix norm; it needs 2 dims")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim)


LINALG = {"vector_norm": vector_norm, "matrix_norm": matrix_norm, "norm": norm}
__all__ = []  # torch.norm itself is norm.py's
