"""Low-rank and iterative decompositions, as ``torch.svd_lowrank``, ``torch.pca_lowrank`` and
``torch.lobpcg``.

``svd_lowrank`` is Halko, Martinsson and Tropp's randomized range finder: multiply A by a
random (n, q) matrix, orthonormalise, refine by ``niter`` power iterations (each through
A^T and A, re-orthonormalised), then take the exact SVD of the small projected matrix. It is
composed of matmul, qr and svd, so it is differentiable. ``pca_lowrank`` centres the columns
first. ``lobpcg`` is Knyazev's locally optimal block preconditioned conjugate gradient for the
k largest (or smallest) eigenpairs of a symmetric A (optionally A x = lambda B x). Both
outputs are differentiable in A (for B=None, as in PyTorch): with the k eigenpairs
A U = U diag(D), gA = U (diag(gD) + (U^T gU) * F) U^T - sum_j Z_j u_j^T, where
F_ij = 1 / (d_j - d_i) off the diagonal (0 on it) is the part inside span(U) (PyTorch's eigh
rule), and Z_j solves (P (A - d_j I) P + U U^T) Z_j = P gU_j with P = I - U U^T: the
Sylvester-type equation for the eigenvectors' part outside span(U), solved one column at a
time (each eigenvalue d_j must be apart from the rest of A's spectrum). The gradient returned
is its symmetric part, as PyTorch's (whose lobpcg differentiates (A + A^T) / 2).

>>> import glassnet
>>> _ = glassnet.manual_seed(0)
>>> u = glassnet.randn(20, 2, dtype=glassnet.float64)
>>> A = u @ u.T  # rank 2
>>> U, S, V = glassnet.svd_lowrank(A, q=4)
>>> bool(((U * S) @ V.T - A).abs().max() < 1e-10)
True
"""

from __future__ import annotations

import numpy as np

from glassnet import grad_mode
from glassnet.backend import get_array_module
from glassnet.errors import AutogradError, ShapeError
from glassnet.ops._linalg_util import mT
from glassnet.ops.linalg_spectral import _gaps, _Part

__all__ = ["svd_lowrank", "pca_lowrank", "lobpcg"]


def _qr(x):
    from glassnet.ops.linalg_spectral import qr

    return qr(x).Q


def _randn(shape, like, generator=None):
    from glassnet.creation import randn

    return randn(*shape, dtype=like.dtype, device=like.device, generator=generator)


def _mT(x):  # noqa: N802
    return x.transpose(-2, -1)


def _range_finder(A, q, niter, M=None):  # noqa: N803
    """An (m, q) orthonormal Q whose span holds A's dominant column space."""
    n = A.shape[-1]
    omega = _randn(tuple(A.shape[:-2]) + (n, q), A)
    Y = A @ omega if M is None else A @ omega - M @ omega  # noqa: N806
    Q = _qr(Y)  # noqa: N806
    for _ in range(niter):
        Z = _mT(A) @ Q if M is None else _mT(A) @ Q - _mT(M) @ Q  # noqa: N806
        Q = _qr(A @ _qr(Z) if M is None else A @ _qr(Z) - M @ _qr(Z))  # noqa: N806
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):  # noqa: N803
    """``(U, S, V)`` with ``A - M ~ U diag(S) V^T`` of rank q (q slightly above the wanted
    rank gives better accuracy). Randomized: the same seed gives the same result."""
    from glassnet.ops.linalg_spectral import svd

    if A.ndim < 2:
        raise ShapeError(f"svd_lowrank: expected a matrix, got shape {tuple(A.shape)}")
    m, n = A.shape[-2], A.shape[-1]
    q = int(q if q is not None else 6)
    if not 0 < q <= min(m, n):
        raise ValueError(f"svd_lowrank: q={q} must be in 1..min(m, n) = {min(m, n)}")
    transposed = m < n  # run the range finder on the taller side, as PyTorch
    if transposed:
        A = _mT(A)  # noqa: N806
        M = None if M is None else _mT(M)  # noqa: N806
    Q = _range_finder(A, q, niter, M)  # noqa: N806
    B = _mT(Q) @ A if M is None else _mT(Q) @ A - _mT(Q) @ M  # noqa: N806
    Ub, S, Vh = svd(B, full_matrices=False)  # noqa: N806
    U = Q @ Ub  # noqa: N806
    V = _mT(Vh)  # noqa: N806
    return (V, S, U) if transposed else (U, S, V)


def pca_lowrank(A, q=None, center=True, niter=2):  # noqa: N803
    """Principal components of the rows of A: ``(U, S, V)`` of the centred data (V's columns
    are the principal directions, ``S**2 / (m - 1)`` the variances)."""
    if A.ndim < 2:
        raise ShapeError(f"pca_lowrank: expected a matrix, got shape {tuple(A.shape)}")
    m, n = A.shape[-2], A.shape[-1]
    q = min(6, m, n) if q is None else q
    if center:
        A = A - A.mean(dim=-2, keepdim=True)  # noqa: N806
    return svd_lowrank(A, q, niter)


def _b_orthonormal_np(S, B):  # noqa: N803
    """A B-orthonormal basis of span(S), dropping directions S barely spans."""
    if B is None:  # the SVD's left vectors: orthonormal to rounding, whatever S's conditioning
        S = S / np.maximum(np.linalg.norm(S, axis=0), np.finfo(S.dtype).tiny)  # noqa: N806
        U, sv, _ = np.linalg.svd(S, full_matrices=False)  # noqa: N806
        return U[:, sv > sv.max() * 1e-10]
    # the Gram matrix squares S's condition number, so orthonormalise a second time
    for _ in range(2):
        G = S.T @ (B @ S)  # noqa: N806
        w, V = np.linalg.eigh((G + G.T) / 2)  # noqa: N806
        keep = w > w.max() * 1e-14
        S = S @ (V[:, keep] / np.sqrt(w[keep]))  # noqa: N806
    return S


def _ritz_np(S, A, B, n, largest):  # noqa: N803
    S = _b_orthonormal_np(S, B)  # noqa: N806
    H = S.T @ A @ S  # noqa: N806
    w, C = np.linalg.eigh((H + H.T) / 2)  # noqa: N806
    order = np.argsort(-w if largest else w)[:n]
    return w[order], S @ C[:, order], S, C[:, order]


class LobpcgPart(_Part):
    """Eigenvalues (part 0) or eigenvectors (part 1) of lobpcg; ``parts`` is
    ``(values, vectors, A, generalized)`` with the k computed eigenpairs."""

    def backward(self, grad):
        xp = get_array_module(grad)
        values, u, a, generalized = self.parts
        if self.part == 0:  # d(d_j) = u_j^T dA u_j
            return (u * grad[None, :]) @ mT(xp, u), None, None
        if generalized:
            raise AutogradError(
                "lobpcg: the eigenvectors have a gradient only for the standard problem "
                "(B=None), as in PyTorch; detach them (X.detach()) or solve with B=None"
            )
        m, k = u.shape
        gaps, eye = _gaps(xp, values)
        inner = xp.where(eye, xp.zeros((), dtype=grad.dtype), (mT(xp, u) @ grad) / gaps)
        inside = u @ inner @ mT(xp, u)
        # outside span(U): du_j = -(A - d_j I)^+ P dA u_j on the complement; the matrix below
        # is (A - d_j I) there and the identity on span(U), so it is invertible when d_j is
        # apart from the rest of A's spectrum, and its solve gives the pseudo-inverse's action
        uu = u @ mT(xp, u)
        p = xp.eye(m, dtype=grad.dtype) - uu
        shifted = a[None, :, :] - values[:, None, None] * xp.eye(m, dtype=grad.dtype)
        lhs = p[None] @ shifted @ p[None] + uu[None]
        rhs = mT(xp, p @ grad)[:, :, None]  # (k, m, 1): P gU_j
        z = xp.linalg.solve(lhs, rhs)[:, :, 0]  # (k, m)
        g = inside - mT(xp, z) @ mT(xp, u)
        # symmetric, as PyTorch's (its lobpcg differentiates (A + A^T) / 2)
        return (g + mT(xp, g)) / 2, None, None


def lobpcg(
    A,  # noqa: N803
    k=None,
    B=None,  # noqa: N803
    X=None,  # noqa: N803
    n=None,
    iK=None,  # noqa: N803
    niter=None,
    tol=None,
    largest=None,
    method=None,
    tracker=None,
    ortho_iparams=None,
    ortho_fparams=None,
    ortho_bparams=None,
):
    """The k largest (``largest=True``, the default) or smallest eigenpairs ``(E, X)`` of the
    symmetric (m, m) ``A`` (or of ``A x = lambda B x``), by LOBPCG with the optional
    preconditioner ``iK``. ``n`` (>= k) is the block size, ``X`` an initial (m, n) guess. Both
    E and X carry a gradient in A (X only for B=None, as in PyTorch); see the module docstring."""
    from glassnet import backend
    from glassnet.creation import tensor

    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ShapeError(f"lobpcg: A must be a square matrix, got shape {tuple(A.shape)}")
    if method not in (None, "basic", "ortho"):
        raise ValueError(f"lobpcg: method must be 'basic' or 'ortho', got {method!r}")
    m = A.shape[0]
    largest = True if largest is None else largest
    k = (1 if X is None else X.shape[-1]) if k is None else int(k)
    n = (k if X is None else X.shape[-1]) if n is None else int(n)
    if not 0 < k <= n or 3 * n > m:
        raise ValueError(
            f"lobpcg: need 0 < k <= n and 3 * n <= m (LOBPCG's block of 3n vectors), got k={k}, "
            f"n={n}, m={m}; use torch.linalg.eigh for small matrices"
        )
    a = np.asarray(backend.to_numpy(A.detach()._data), dtype=np.float64)
    b = None if B is None else np.asarray(backend.to_numpy(B.detach()._data), dtype=np.float64)
    ik = None if iK is None else np.asarray(backend.to_numpy(iK.detach()._data), dtype=np.float64)
    if X is None:
        x = np.asarray(backend.to_numpy(_randn((m, n), A)._data), dtype=np.float64)
    else:
        x = np.asarray(backend.to_numpy(X.detach()._data), dtype=np.float64)
    tol = float(np.finfo(np.float64).eps) ** 0.5 if tol is None else float(tol)
    niter = 1000 if niter is None else int(niter)
    theta, x, _, _ = _ritz_np(x, a, b, n, largest)
    p = None
    scale = np.linalg.norm(a, 2) + (0 if b is None else np.abs(theta).max() * np.linalg.norm(b, 2))
    for _ in range(niter):
        bx = x if b is None else b @ x
        r = a @ x - bx * theta
        if np.all(np.linalg.norm(r[:, :k], axis=0) <= tol * scale):
            break
        w = r if ik is None else ik @ r
        s = np.concatenate([x, w] + ([] if p is None else [p]), axis=1)
        theta, x_new, _, _ = _ritz_np(s, a, b, n, largest)
        # the search direction: the new vectors' part outside the current X
        p = x_new - x @ (x.T @ (x_new if b is None else b @ x_new))  # B-orthogonal to X
        x = x_new
    dev = str(A.device)
    vectors = tensor(x[:, :k].astype(A._data.dtype), device=dev)
    values = tensor(theta[:k].astype(A._data.dtype), device=dev)
    if not (grad_mode.is_grad_enabled() and A.requires_grad):
        return values, vectors
    parts = (values._data, vectors._data, A.detach()._data, B is not None)
    return LobpcgPart.apply(A, parts, 0), LobpcgPart.apply(A, parts, 1)
