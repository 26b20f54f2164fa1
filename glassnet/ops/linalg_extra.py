"""The rest of torch.linalg: matrix_exp (with its backward), matrix_power, multi_dot, vecdot,
vander, tensorinv, tensorsolve, cross, diagonal, matmul.

matrix_exp is computed by scaling and squaring with a degree-13 Pade approximant (Higham,
2005: backward error below the unit roundoff for any matrix). Its gradient is the adjoint of
the Frechet derivative, read off the exponential of a block matrix:
exp([[A^T, G], [0, A^T]]) has the gradient in its top-right block.

>>> import glassnet
>>> glassnet.linalg.matrix_exp(glassnet.tensor([[0.0, 1.0], [0.0, 0.0]]))
tensor([[1., 1.],
        [0., 1.]])
>>> glassnet.linalg.matrix_power(glassnet.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
tensor([[1., 3.],
        [0., 1.]])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._linalg_util import mT, square

# Higham's degree-13 Pade coefficients and the 1-norm up to which no scaling is needed.
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def expm_array(xp, a):
    """exp of each matrix in a batch, by scaling and squaring with the Pade(13) approximant."""
    norm1 = xp.abs(a).sum(axis=-2).max(axis=-1) if a.shape[-1] else xp.zeros(a.shape[:-2])
    with_scaling = norm1 > _THETA13
    safe = xp.where(with_scaling, norm1, _THETA13)
    s = xp.where(with_scaling, xp.ceil(xp.log2(safe / _THETA13)), 0).astype(int)
    a = a / (2.0**s)[..., None, None].astype(a.dtype)
    b = _PADE13
    eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (
        a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye
    )
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for k in range(int(s.max()) if s.size else 0):  # square each matrix its own s times
        r = xp.where((k < s)[..., None, None], r @ r, r)
    return r


class MatrixExp(Function):
    def forward(self, a):
        self.a = a
        return expm_array(get_array_module(a), a)

    def backward(self, grad):
        xp = get_array_module(grad)
        n = self.a.shape[-1]
        at = mT(xp, self.a)
        block = xp.zeros(self.a.shape[:-2] + (2 * n, 2 * n), dtype=grad.dtype)
        block[..., :n, :n] = at
        block[..., n:, n:] = at
        block[..., :n, n:] = grad
        return (expm_array(xp, block)[..., :n, n:],)


def matrix_exp(A):  # noqa: N803
    """The matrix exponential sum_k A^k / k! of each square matrix.

    >>> import glassnet
    >>> glassnet.matrix_exp(glassnet.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return MatrixExp.apply(square("linalg.matrix_exp", A))


def matrix_power(A, n):  # noqa: N803
    """A multiplied by itself ``n`` times (identity for 0, powers of the inverse for n < 0),
    by repeated squaring.

    >>> import glassnet
    >>> glassnet.linalg.matrix_power(glassnet.tensor([[2.0, 0.0], [0.0, 1.0]]), -1)
    tensor([[0.5000, 0.0000],
            [0.0000, 1.0000]])
    """
    from glassnet.ops.linalg_solve import eye_like, inv

    if A._data.ndim < 2 or A._data.shape[-1] != A._data.shape[-2]:
        raise ShapeError(
            f"linalg.matrix_power: A must be batches of square matrices, got shape {list(A.shape)}"
        )
    if n == 0:
        return eye_like(A)
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors):
    """The product of a chain of matrices; the first and last may be vectors.

    >>> import glassnet
    >>> glassnet.linalg.multi_dot([glassnet.ones(3), glassnet.ones(3, 2), glassnet.ones(2)])
    tensor(6.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim``, broadcasting the other dims.

    >>> import glassnet
    >>> glassnet.linalg.vecdot(glassnet.ones(2, 3), glassnet.tensor([1.0, 2.0, 3.0]))
    tensor([6., 6.])
    """
    return (x * y).sum(dim)


def vander(x, *, N=None):  # noqa: N803
    """The Vandermonde matrix with columns x^0, x^1, ..., x^(N-1) (increasing powers, as
    torch.linalg.vander); built with cumprod, so exact gradients even at x = 0.

    >>> import glassnet
    >>> glassnet.linalg.vander(glassnet.tensor([1, 2, 3]))
    tensor([[1, 1, 1],
            [1, 2, 4],
            [1, 3, 9]])
    """
    from glassnet.ops.shape_join import cat

    n = x.shape[-1] if N is None else N
    if n <= 1:
        if n < 0:
            raise ValueError(f"N must be non-negative, got {N}")
        return (x.unsqueeze(-1) * 0 + 1)[..., :n]
    ones = x.unsqueeze(-1) * 0 + 1
    return cat([ones, x.unsqueeze(-1).expand(*x.shape, n - 1)], -1).cumprod(-1)


def tensorinv(A, ind=2):  # noqa: N803
    """The inverse of a tensor seen as a linear map from its last dims to its first ``ind``.

    >>> import glassnet
    >>> glassnet.linalg.tensorinv(glassnet.eye(4).reshape(4, 2, 2), ind=1).shape
    glassnet.Size([2, 2, 4])
    """
    from glassnet.ops.linalg_solve import inv

    outer, inner = A.shape[:ind], A.shape[ind:]
    if math.prod(outer) != math.prod(inner):
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {math.prod(inner)} != {math.prod(outer)}"
        )
    return inv(A.reshape(math.prod(outer), -1)).reshape(*inner, *outer)


def tensorsolve(A, B, dims=None):  # noqa: N803
    """X with tensordot(A, X, X.ndim) = B.

    >>> import glassnet
    >>> glassnet.linalg.tensorsolve(glassnet.eye(6).reshape(2, 3, 6), glassnet.ones(2, 3)).shape
    glassnet.Size([6])
    """
    from glassnet.ops.linalg_solve import solve

    if dims is not None:
        dims = [d % A._data.ndim for d in dims]
        A = A.movedim(dims, list(range(A._data.ndim - len(dims), A._data.ndim)))  # noqa: N806
    rest = A.shape[B._data.ndim :]
    return solve(A.reshape(B.numel(), -1), B.reshape(-1)).reshape(rest)


def cross(input, other, *, dim=-1):
    """The cross product along ``dim`` (-1 by default, unlike torch.cross's old default)."""
    from glassnet.ops.products import cross as _cross

    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):  # noqa: N803
    """The diagonals of the matrices in the last two dims (a view)."""
    from glassnet.ops.shape_slice import diagonal as _diagonal

    return _diagonal(A, offset, dim1, dim2)


def _matmul(input, other):
    from glassnet.ops.linalg import matmul

    return matmul(input, other)


LINALG = {
    "matrix_exp": matrix_exp,
    "matrix_power": matrix_power,
    "multi_dot": multi_dot,
    "vecdot": vecdot,
    "vander": vander,
    "tensorinv": tensorinv,
    "tensorsolve": tensorsolve,
    "cross": cross,
    "diagonal": diagonal,
    "matmul": _matmul,
}
__all__ = []  # the torch.* forms are in linalg_torch_names.py
