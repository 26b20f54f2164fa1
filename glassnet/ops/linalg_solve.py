"""Inverses, determinants and linear solves, with their backward: inv (inverse), det, slogdet,
logdet, solve, solve_triangular, triangular_solve, and the ``_ex`` forms that report failure
instead of raising (the Cholesky factorization is in linalg_cholesky.py).

Every function works on batches of matrices (the last two dims). The gradients:
inv: -A^-T g A^-T; det: g * adj(A)^T, from an SVD so it stays right for singular A;
log|det|: g * A^-T; solve (AX = B): gB = A^-T g, gA = -gB X^T. solve_triangular is solve
on the triangle, so its gradient stays in the triangle.

>>> import glassnet
>>> a = glassnet.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> glassnet.linalg.det(a)
tensor(5., grad_fn=<DetBackward0>)
>>> glassnet.linalg.solve(a, glassnet.tensor([3.0, 4.0]))
tensor([1., 1.], grad_fn=<...>)
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._linalg_util import (
    LinAlgError,
    int32_info,
    is_numpy_linalg_error,
    mT,
    square,
)
from glassnet.ops.operands import _quiet
from glassnet.tensor import Tensor

slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
inv_ex_result = namedtuple("inv_ex", ["inverse", "info"])


def _singular_inverse_error(op, a):
    return LinAlgError(
        f"{op}: the input matrix is singular (shape {list(a.shape)}), so it has no inverse; "
        "check for linearly dependent rows, add a small multiple of the identity, or use "
        "linalg.pinv / linalg.lstsq."
    )


class Inverse(Function):
    saves_output = True

    def forward(self, a):
        try:
            self.out = get_array_module(a).linalg.inv(a)
        except Exception as exc:
            if is_numpy_linalg_error(exc):
                raise _singular_inverse_error("linalg.inv", a) from None
            raise
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        inv_t = mT(xp, self.out)
        return (-(inv_t @ grad @ inv_t),)


def _adjugate_transpose(xp, a):
    """adj(A)^T = d det(A) / dA, from A = U S Vh: det(U) det(Vh) U diag(p) Vh with p_i the
    product of the other singular values. No division, so singular A is fine."""
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    left = xp.cumprod(xp.concatenate([ones, s[..., : n - 1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], -1), -1), -1), -1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return (u * (left * right)[..., None, :]) @ vh * sign[..., None, None]


class Det(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).linalg.det(a)

    def backward(self, grad):
        xp = get_array_module(grad)
        if self.a.shape[-1] == 0:
            return (xp.zeros_like(self.a),)
        return (grad[..., None, None] * _adjugate_transpose(xp, self.a),)


class LogAbsDet(Function):
    def forward(self, a):
        self.a = a
        sign, logabs = get_array_module(a).linalg.slogdet(a)
        return logabs

    def backward(self, grad):
        # d log|det A| / dA = A^-T, here U diag(1/s) Vh (inf along null directions, no raise)
        xp = get_array_module(grad)
        u, s, vh = xp.linalg.svd(self.a)
        with _quiet(xp):
            inv_t = (u / s[..., None, :]) @ vh
        return (grad[..., None, None] * inv_t,)


class Solve(Function):
    """X with A X = B, for matrices B (..., n, k); batch dims broadcast."""

    saves_output = True

    def forward(self, a, b):
        self.a = a
        xp = get_array_module(a, b)
        try:
            self.out = xp.linalg.solve(a, b)
        except Exception as exc:
            if is_numpy_linalg_error(exc):
                raise LinAlgError(
                    f"linalg.solve: The solver failed because the input matrix is singular "
                    f"(A of shape {list(a.shape)}); use linalg.lstsq for a least-squares "
                    "answer."
                ) from None
            raise
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        gb = xp.linalg.solve(mT(xp, self.a), grad)
        need_a, _ = self._next
        ga = None if need_a is None else -(gb @ mT(xp, self.out))
        return ga, gb


# ---- the public functions --------------------------------------------------------------
def inv(A):  # noqa: N803 - PyTorch's argument name
    """The inverse of each square matrix; a singular one raises LinAlgError.

    >>> import glassnet
    >>> glassnet.linalg.inv(glassnet.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return Inverse.apply(square("linalg.inv", A))


def inv_ex(A, *, check_errors=False):  # noqa: N803
    """(inverse, info): info 0 for each invertible matrix, nonzero where singular (its
    inverse is then inf/nan) instead of raising, unless ``check_errors``.

    >>> import glassnet
    >>> glassnet.linalg.inv_ex(glassnet.eye(2)).info
    tensor(0, dtype=glassnet.int32)
    """
    A = square("linalg.inv_ex", A)  # noqa: N806
    xp = get_array_module(A._data)
    singular = xp.linalg.matrix_rank(A._data) < A._data.shape[-1] if A._data.shape[-1] else False
    if not xp.any(singular):
        return inv_ex_result(Inverse.apply(A), int32_info(xp, xp.zeros(A._data.shape[:-2])))
    if check_errors:
        raise _singular_inverse_error("linalg.inv_ex", A._data)
    with _quiet(xp):  # the pseudo-answer PyTorch gives: inf/nan where it is singular
        u, s, vh = xp.linalg.svd(A._data)
        out = mT(xp, vh) @ (mT(xp, u) / s[..., :, None])
    return inv_ex_result(Tensor._make(out), int32_info(xp, singular.astype("int32")))


def det(A):  # noqa: N803
    """The determinant of each square matrix (differentiable, singular matrices included).

    >>> import glassnet
    >>> glassnet.det(glassnet.tensor([[2.0, 1.0], [0.0, 3.0]]))
    tensor(6.)
    """
    return Det.apply(square("linalg.det", A))


def slogdet(A):  # noqa: N803
    """(sign, log|det|) of each square matrix: the determinant without overflow. The sign
    has no gradient.

    >>> import glassnet
    >>> glassnet.linalg.slogdet(glassnet.tensor([[-2.0, 0.0], [0.0, 3.0]]))
    slogdet(sign=tensor(-1.), logabsdet=tensor(1.7918))
    """
    A = square("linalg.slogdet", A)  # noqa: N806
    xp = get_array_module(A._data)
    sign, _ = xp.linalg.slogdet(A._data)
    return slogdet_result(Tensor._make(xp.asarray(sign)), LogAbsDet.apply(A))


def logdet(A):  # noqa: N803
    """log(det(A)): nan where the determinant is negative, -inf where it is 0.

    >>> import glassnet
    >>> glassnet.logdet(glassnet.tensor([[2.0, 0.0], [0.0, 3.0]]))
    tensor(1.7918)
    """
    from glassnet.ops.selection import where

    sign, logabs = slogdet(A)
    return where(sign < 0, float("nan"), logabs)


def _as_matrix_rhs(A, B):  # noqa: N803
    """Whether B is a (batch of) vector(s) for A, PyTorch's rule."""
    return B._data.ndim == 1 or (
        B._data.ndim == A._data.ndim - 1 and tuple(B._data.shape) == tuple(A._data.shape[:-1])
    )


def solve(A, B, *, left=True):  # noqa: N803
    """X with A X = B (or X A = B with ``left=False``); B a vector or matrices, batch dims
    broadcast. A singular A raises LinAlgError.

    >>> import glassnet
    >>> glassnet.linalg.solve(glassnet.eye(2) * 2, glassnet.tensor([[2.0], [4.0]]))
    tensor([[1.],
            [2.]])
    """
    A = square("linalg.solve", A)  # noqa: N806
    if B._data.dtype != A._data.dtype:
        B = B.to(A._data.dtype)  # noqa: N806
    vector = _as_matrix_rhs(A, B)
    if vector:
        B = B.unsqueeze(-1)  # noqa: N806
    n = A._data.shape[-1]
    size = B._data.shape[-2] if left else B._data.shape[-1]
    if size != n:
        raise ShapeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({list(A.shape)} and {list(B.shape)})"
        )
    if left:
        out = Solve.apply(A, B)
    else:  # X A = B  <=>  A^T X^T = B^T
        out = Solve.apply(A.mT, B.mT).mT
    return out.squeeze(-1) if vector else out


solve_ex_result = namedtuple("solve_ex", ["result", "info"])


def solve_ex(A, B, *, left=True, check_errors=False):  # noqa: N803
    """(result, info) of ``solve``: info 1 (and a nan result) for a singular A instead of
    raising, unless ``check_errors``.

    >>> import glassnet
    >>> glassnet.linalg.solve_ex(glassnet.zeros(2, 2), glassnet.ones(2)).info
    tensor(1, dtype=glassnet.int32)
    """
    xp = get_array_module(A._data)
    try:
        result = solve(A, B, left=left)
    except LinAlgError:
        if check_errors:
            raise
        shape = solve(eye_like(A), B, left=left)._data.shape
        info = xp.ones(A._data.shape[:-2])
        return solve_ex_result(
            Tensor._make(xp.full(shape, xp.nan, A._data.dtype)), int32_info(xp, info)
        )
    return solve_ex_result(result, int32_info(xp, xp.zeros(A._data.shape[:-2])))


def eye_like(A):  # noqa: N803
    """Identity matrices of A's shape, dtype and device."""
    xp = get_array_module(A._data)
    eye = xp.eye(A._data.shape[-1], dtype=A._data.dtype)
    return Tensor._make(xp.ascontiguousarray(xp.broadcast_to(eye, A._data.shape)))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):  # noqa: N803
    """X with A X = B (``left``) or X A = B for triangular A; only the triangle ``upper``
    names is read (its diagonal taken as 1 with ``unitriangular``).

    >>> import glassnet
    >>> A = glassnet.tensor([[2.0, 0.0], [1.0, 1.0]])
    >>> glassnet.linalg.solve_triangular(A, glassnet.tensor([[2.0], [3.0]]), upper=False)
    tensor([[1.],
            [2.]])
    """
    A = square("linalg.solve_triangular", A)  # noqa: N806
    if B._data.ndim < 2:
        raise ShapeError(
            f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
            f"shape {list(B.shape)}"
        )
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        from glassnet.ops.diagonals import diagonal_scatter

        xp = get_array_module(A._data)
        ones = Tensor._make(xp.ones(A._data.shape[:-1], dtype=A._data.dtype))
        tri = diagonal_scatter(tri, ones, 0, -2, -1)
    return solve(tri, B, left=left)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    """The older form of solve_triangular: (solution of A X = b, a copy of A).

    >>> import glassnet
    >>> glassnet.triangular_solve(glassnet.ones(2, 1), glassnet.eye(2) * 2).solution
    tensor([[0.5000],
            [0.5000]])
    """
    coefficient = A.mT if transpose else A
    solution = solve_triangular(
        coefficient, b, upper=upper != transpose, unitriangular=unitriangular
    )
    return namedtuple("triangular_solve", ["solution", "cloned_coefficient"])(solution, A.clone())


def inverse(input):
    """``linalg.inv`` under the name torch.inverse and Tensor.inverse use."""
    return inv(input)


# torch.linalg.<name>
LINALG = {
    name: globals()[name]
    for name in ("LinAlgError inv inv_ex det slogdet solve solve_ex solve_triangular").split()
}
# torch.<name> and Tensor.<name>
__all__ = [
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "triangular_solve",
]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
