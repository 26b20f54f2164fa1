"""Factorizations: eigh (symmetric eigendecomposition), svd, qr, with their backward, and what
is built on them: eigvalsh, svdvals, pinv, matrix_rank, cond, lstsq.

A factorization has several outputs and a glassnet Function one, so each output is its own
Function over the same input, sharing one decomposition; the backward formulas are linear in
the output gradients, so the engine's sum of the parts is the full gradient. The formulas are
PyTorch's: for eigh A = V diag(L) V^T, gA = V (diag(gL) + (V^T gV) / E) V^T with
E_ij = L_j - L_i (distinct eigenvalues needed, as in PyTorch); for svd the usual one with
1 / (s_j^2 - s_i^2) (distinct singular values needed) plus the parts outside the span of U
and V; for qr (m >= n) gA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T. eig and eigvals (complex
results) are not provided: glassnet has no complex dtypes.

>>> import glassnet
>>> values, vectors = glassnet.linalg.eigh(glassnet.tensor([[2.0, 1.0], [1.0, 2.0]]))
>>> values
tensor([1., 3.])
>>> glassnet.linalg.svdvals(glassnet.tensor([[3.0, 0.0], [0.0, -4.0]]))
tensor([4., 3.])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import AutogradError
from glassnet.ops._linalg_util import matrix, mT, square
from glassnet.ops._pointwise import without_derivative
from glassnet.ops.operands import _quiet
from glassnet.tensor import Tensor

eigh_result = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("svd", ["U", "S", "Vh"])
qr_result = namedtuple("qr", ["Q", "R"])
lstsq_result = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


class _Part(Function):
    """One output (``part``) of a factorization ``parts`` computed once for all outputs."""

    saves_inputs = False

    def forward(self, a, parts, part):
        self.parts, self.part = parts, part
        return parts[part]


def _gaps(xp, values):
    """E_ij = values_j - values_i off the diagonal, 1 on it (so it can divide)."""
    e = values[..., None, :] - values[..., :, None]
    n = values.shape[-1]
    eye = xp.eye(n, dtype=bool)
    return xp.where(eye, xp.ones((), dtype=e.dtype), e), eye


class EighPart(_Part):
    def backward(self, grad):
        xp = get_array_module(grad)
        values, vectors = self.parts
        if self.part == 0:
            inner = grad[..., :, None] * xp.eye(values.shape[-1], dtype=grad.dtype)
        else:
            gaps, eye = _gaps(xp, values)
            inner = mT(xp, vectors) @ grad
            with _quiet(xp):
                inner = xp.where(eye, xp.zeros((), dtype=grad.dtype), inner / gaps)
        return vectors @ inner @ mT(xp, vectors), None, None


class SvdPart(_Part):
    def backward(self, grad):
        xp = get_array_module(grad)
        u, s, vh, _ = self.parts
        v = mT(xp, vh)
        if self.part == 1:
            return (u * grad[..., None, :]) @ vh, None, None
        gaps, eye = _gaps(xp, s * s)
        with _quiet(xp):
            if self.part == 0:
                skew = mT(xp, u) @ grad
                skew = xp.where(eye, 0, (skew - mT(xp, skew)) / gaps)
                core = u @ (skew * s[..., None, :]) @ vh
                outside = grad - u @ (mT(xp, u) @ grad)  # (I - U U^T) gU
                return core + (outside / s[..., None, :]) @ vh, None, None
            gv = mT(xp, grad)  # the gradient of V = Vh^T
            skew = mT(xp, v) @ gv
            skew = xp.where(eye, 0, (skew - mT(xp, skew)) / gaps)
            core = u @ (s[..., :, None] * skew) @ vh
            outside = mT(xp, gv) - (mT(xp, gv) @ v) @ vh  # gV^T (I - V V^T)
            return core + (u / s[..., None, :]) @ outside, None, None


def _copyltu(xp, m):
    """The symmetric matrix with m's lower triangle (and diagonal)."""
    low = xp.tril(m, -1)
    return low + mT(xp, low) + xp.tril(xp.triu(m))


class QrPart(_Part):
    def backward(self, grad):
        xp = get_array_module(grad)
        q, r = self.parts
        if q.shape[-2] < r.shape[-1]:
            raise AutogradError(
                "linalg.qr: the derivative of QR is only defined for tall or square matrices "
                "(m >= n) in 'reduced' mode, as in PyTorch."
            )
        if self.part == 0:
            m = -(mT(xp, grad) @ q)
            y = grad + q @ _copyltu(xp, m)
        else:
            y = q @ _copyltu(xp, r @ mT(xp, grad))
        # y R^-T: solve R X^T = y^T
        return mT(xp, xp.linalg.solve(r, mT(xp, y))), None, None


def eigh(A, UPLO="L"):  # noqa: N803
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices; only the
    ``UPLO`` triangle is read.

    >>> import glassnet
    >>> glassnet.linalg.eigh(glassnet.eye(2) * 2).eigenvalues
    tensor([2., 2.])
    """
    A = square("linalg.eigh", A)  # noqa: N806
    xp = get_array_module(A._data)
    parts = xp.linalg.eigh(A._data, UPLO=UPLO)
    parts = (parts[0], parts[1])
    return eigh_result(EighPart.apply(A, parts, 0), EighPart.apply(A, parts, 1))


def eigvalsh(A, UPLO="L"):  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending.

    >>> import glassnet
    >>> glassnet.linalg.eigvalsh(glassnet.tensor([[0.0, 1.0], [1.0, 0.0]]))
    tensor([-1.,  1.])
    """
    return eigh(A, UPLO).eigenvalues


def svd(A, full_matrices=True, *, driver=None):  # noqa: N803
    """(U, S, Vh) with A = U diag(S) Vh, S descending (PyTorch's full_matrices=True default;
    its gradient needs full_matrices=False unless A is square).

    >>> import glassnet
    >>> U, S, Vh = glassnet.linalg.svd(glassnet.tensor([[0.0, 2.0], [1.0, 0.0]]))
    >>> S
    tensor([2., 1.])
    """
    A = matrix("linalg.svd", A)  # noqa: N806
    xp = get_array_module(A._data)
    u, s, vh = xp.linalg.svd(A._data, full_matrices=full_matrices)
    k = s.shape[-1]
    reduced = (u[..., :k], s, vh[..., :k, :], full_matrices)
    out = []
    for i, array in enumerate((u, s, vh)):
        if array.shape != reduced[i].shape:  # full_matrices=True on a non-square matrix
            hint = (
                "The extra singular vectors of full_matrices=True are arbitrary, so U and Vh "
                "have no derivative for a non-square matrix; use full_matrices=False, as "
                "PyTorch requires."
            )
            out.append(without_derivative("linalg_svd", array, A, hint=hint))
        else:
            out.append(SvdPart.apply(A, reduced, i))
    return svd_result(*out)


def svdvals(A):  # noqa: N803
    """The singular values, descending.

    >>> import glassnet
    >>> glassnet.linalg.svdvals(glassnet.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]]))
    tensor([2., 1.])
    """
    return svd(A, full_matrices=False).S


def qr(A, mode="reduced"):  # noqa: N803
    """(Q, R) with A = Q R, Q orthonormal columns, R upper triangular; ``mode`` 'reduced',
    'complete' or 'r' (Q empty).

    >>> import glassnet
    >>> A = glassnet.tensor([[3.0, 0.0], [4.0, 1.0]])
    >>> Q, R = glassnet.linalg.qr(A)
    >>> glassnet.allclose(Q @ R, A, atol=1e-6)
    True
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    A = matrix("linalg.qr", A)  # noqa: N806
    xp = get_array_module(A._data)
    q, r = xp.linalg.qr(A._data, mode="complete" if mode == "complete" else "reduced")
    m, n = A._data.shape[-2:]
    if mode == "r" or (mode == "complete" and m > n):
        hint = (
            "PyTorch defines no derivative for linalg.qr with mode='r' or with mode='complete' "
            "on a tall matrix; use mode='reduced' to differentiate."
        )
        q_out = Tensor._make(xp.zeros((0,), dtype=A._data.dtype)) if mode == "r" else q
        return qr_result(
            without_derivative("linalg_qr", q_out, A, hint=hint) if mode != "r" else q_out,
            without_derivative("linalg_qr", r, A, hint=hint),
        )
    parts = (q, r)
    return qr_result(QrPart.apply(A, parts, 0), QrPart.apply(A, parts, 1))


def _tolerance(xp, s, shape, atol, rtol, rcond):
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,))
    if rcond is not None:
        rtol = rcond
    if rtol is None:
        rtol = (xp.finfo(s.dtype).eps * max(shape[-2:])) if atol is None or atol == 0 else 0.0
    return xp.maximum(atol or 0.0, rtol * smax)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    """The number of singular values above the tolerance max(atol, rtol * largest), int64.

    >>> import glassnet
    >>> glassnet.linalg.matrix_rank(glassnet.ones(3, 3))
    tensor(1)
    """
    A = matrix("linalg.matrix_rank", A)  # noqa: N806
    xp = get_array_module(A._data)
    if hermitian:
        s = xp.abs(xp.linalg.eigvalsh(A._data))
    else:
        s = xp.linalg.svd(A._data, compute_uv=False)
    tol = _tolerance(xp, s, A._data.shape, atol, rtol, None)
    return Tensor._make(xp.asarray((s > tol).sum(axis=-1), dtype=dtypes.int64))


def pinv(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    """The Moore-Penrose pseudo-inverse, from the SVD (singular values below the tolerance
    are treated as 0); differentiable where the singular values are distinct.

    >>> import glassnet
    >>> glassnet.linalg.pinv(glassnet.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    from glassnet.ops.selection import where

    A = matrix("linalg.pinv", A)  # noqa: N806
    xp = get_array_module(A._data)
    if hermitian:
        values, vectors = eigh(A)
        tol = _tolerance(xp, xp.abs(values._data), A._data.shape, atol, rtol, None)
        keep = Tensor._make(xp.abs(values._data) > tol)
        inverse = where(keep, 1 / where(keep, values, 1.0), 0.0)
        return (vectors * inverse.unsqueeze(-2)) @ vectors.mT
    U, S, Vh = svd(A, full_matrices=False)  # noqa: N806
    tol = _tolerance(xp, S._data, A._data.shape, atol, rtol, None)
    keep = Tensor._make(S._data > tol)
    inverse = where(keep, 1 / where(keep, S, 1.0), 0.0)
    return (Vh.mT * inverse.unsqueeze(-2)) @ U.mT


def cond(A, p=None):  # noqa: N803
    """The condition number: largest / smallest singular value (p None or 2, -2 inverted), or
    norm(A, p) * norm(inv(A), p) for 'fro', 'nuc', inf, -inf, 1, -1.

    >>> import glassnet
    >>> glassnet.linalg.cond(glassnet.tensor([[2.0, 0.0], [0.0, 0.5]]))
    tensor(4.)
    """
    from glassnet.ops.linalg_norms import matrix_norm
    from glassnet.ops.linalg_solve import inv

    if p is None or p in (2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """(solution, residuals, rank, singular_values) of min ||A X - B||. The solution (from the
    pseudo-inverse) is differentiable; residuals are given for a tall full-rank A, like
    NumPy's and PyTorch's 'gelsd' driver.

    >>> import glassnet
    >>> A = glassnet.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> glassnet.linalg.lstsq(A, glassnet.tensor([[1.0], [2.0], [3.0]])).solution
    tensor([[1.0000],
            [1.0000]])
    """
    A = matrix("linalg.lstsq", A)  # noqa: N806
    xp = get_array_module(A._data)
    vector = B._data.ndim == A._data.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    solution = pinv(A, rtol=rcond) @ rhs
    s = xp.linalg.svd(A._data, compute_uv=False)
    tol = _tolerance(xp, s, A._data.shape, None, rcond, None)
    rank = (s > tol).sum(axis=-1)
    m, n = A._data.shape[-2:]
    if m > n and bool((rank == n).all()):
        residuals = ((A @ solution - rhs) ** 2).sum(-2)
    else:
        residuals = Tensor._make(xp.zeros((0,), dtype=A._data.dtype))
    if vector:
        solution = solution.squeeze(-1)
    return lstsq_result(
        solution, residuals, Tensor._make(rank.astype(dtypes.int64)), Tensor._make(s)
    )


LINALG = {
    name: globals()[name]
    for name in "eigh eigvalsh svd svdvals qr matrix_rank pinv cond lstsq".split()
}
__all__ = []  # the torch.* forms (torch.svd, torch.qr, ...) are in linalg_torch_names.py
