"""Factorizations of torch.linalg that NumPy does not expose, written out: ``lu_factor`` (LU
with partial pivoting, LAPACK's compact LU and 1-based pivots, with its backward),
``ldl_factor``/``ldl_solve`` (Bunch-Kaufman symmetric indefinite, LAPACK's sytf2/sytrs for the
lower triangle: no backward, as in PyTorch), ``eigvals`` (with its backward) and
``householder_product`` (composed of matrix products, so differentiable).

LU backward, for square A = P L U with gradient G of the packed LU (lower part for L, upper
for U): ``dA = P L^-H (tril(L^H G_L, -1) + triu(G_U U^H)) U^-H``. The eigenvalues' backward:
``dA = V^-H diag(g) V^H`` with V the eigenvectors (its real part for a real A).

>>> import glassnet
>>> LU, piv = glassnet.linalg.lu_factor(glassnet.tensor([[1.0, 2.0], [3.0, 4.0]]))
>>> LU, piv
(tensor([[3.0000, 4.0000],
        [0.3333, 0.6667]]), tensor([2, 2], dtype=glassnet.int32))
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet import backend
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor

lu_factor_result = namedtuple("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
ldl_factor_result = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
ldl_factor_ex_result = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _matrices(name, A):
    if A.ndim < 2:
        raise ShapeError(
            f"linalg.{name}: expected a matrix or a batch of matrices, got shape {tuple(A.shape)}"
        )


def _lu(a):
    """Batched LU with partial pivoting of a (B, m, n) array: (lu, pivots (B, k), info (B,))."""
    xp = get_array_module(a)
    lu = a.copy()
    b, m, n = lu.shape
    k = min(m, n)
    piv = xp.zeros((b, k), dtype=np.int32)
    info = xp.zeros(b, dtype=np.int32)
    rows = xp.arange(b)
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top = lu[rows, j, :].copy()
        lu[rows, j, :] = lu[rows, p, :]
        lu[rows, p, :] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        safe = xp.where(zero, 1, pivot)
        scale = xp.where(zero[:, None], 0, lu[:, j + 1 :, j] / safe[:, None])
        lu[:, j + 1 :, j] = xp.where(zero[:, None], lu[:, j + 1 :, j], scale)
        lu[:, j + 1 :, j + 1 :] -= scale[:, :, None] * lu[:, j, None, j + 1 :]
    return lu, piv, info


def _permutation(xp, piv, m):
    """perm with (P^T A) = A[perm] from LAPACK's sequential row swaps."""
    b, k = piv.shape
    perm = xp.tile(xp.arange(m), (b, 1))
    rows = xp.arange(b)
    for j in range(k):
        p = piv[:, j] - 1
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    return perm


class LUFactor(Function):
    """Passes the LU computed by ``_lu`` on and holds what its backward needs."""

    saves_inputs = False

    def forward(self, a, lu, piv):
        self.lu = lu.reshape((-1,) + lu.shape[-2:])
        self.piv = piv.reshape(-1, piv.shape[-1])
        return lu

    def backward(self, grad):
        xp = get_array_module(grad)
        lu = self.lu
        b, m, n = lu.shape
        if m != n:
            raise NotImplementedError("lu_factor: the backward is implemented for square matrices")
        g = grad.reshape(lu.shape)
        eye = xp.eye(n, dtype=lu.dtype)
        L = xp.tril(lu, -1) + eye
        U = xp.triu(lu)
        LH, UH = xp.swapaxes(L, -1, -2).conj(), xp.swapaxes(U, -1, -2).conj()
        phi = xp.tril(LH @ xp.tril(g, -1), -1) + xp.triu(xp.triu(g) @ UH)
        x = xp.linalg.solve(LH, phi)
        x = xp.swapaxes(xp.linalg.solve(U, xp.swapaxes(x, -1, -2).conj()), -1, -2).conj()
        perm = _permutation(xp, self.piv, m)
        out = xp.empty_like(x)
        rows = xp.arange(b)[:, None]
        out[rows, perm] = x  # undo the row swaps: A = P (L U)
        return out.reshape(grad.shape), None, None


def lu_factor_ex(A, *, pivot=True, check_errors=False):  # noqa: N803
    """LU with partial pivoting, compact: ``(LU, pivots, info)``; info > 0 where U has a zero
    on its diagonal (1-based position), as LAPACK's getrf."""
    _matrices("lu_factor_ex", A)
    if not pivot:
        raise NotImplementedError("linalg.lu_factor_ex: only pivot=True is supported on the CPU")
    shape = tuple(A.shape)
    lu, piv, info = _lu(A._data.reshape((-1,) + shape[-2:]))
    k = piv.shape[-1]
    LU = LUFactor.apply(A, lu.reshape(shape), piv.reshape(shape[:-2] + (k,)))  # noqa: N806
    piv = Tensor._make(piv.reshape(shape[:-2] + (k,)))
    info = Tensor._make(info.reshape(shape[:-2]))
    if check_errors and bool((info._data > 0).any()):
        raise RuntimeError(f"linalg.lu_factor_ex: U is singular (info = {info.tolist()})")
    return lu_factor_ex_result(LU, piv, info)


def lu_factor(A, *, pivot=True):  # noqa: N803
    """``(LU, pivots)``; raises when U has a zero on its diagonal (use lu_factor_ex then)."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)  # noqa: N806
    bad = backend.to_numpy(info._data).reshape(-1)
    if np.any(bad > 0):
        i = int(bad[bad > 0][0])
        raise RuntimeError(
            f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve would result "
            "in a division by zero; call linalg.lu_factor_ex to factorize anyway."
        )
    return lu_factor_result(LU, piv)


_ALPHA = (1.0 + 17.0**0.5) / 8.0  # Bunch-Kaufman's threshold


def _sytf2_lower(a):
    """One (n, n) matrix, float64: LAPACK dsytf2 (uplo='L') in place; (a, ipiv, info)."""
    n = a.shape[0]
    ipiv = np.zeros(n, dtype=np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1 :, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0:
            info = info or k + 1
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                rowmax = np.max(np.abs(a[imax, k:imax]))
                if imax < n - 1:
                    rowmax = max(rowmax, np.max(np.abs(a[imax + 1 :, imax])))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                if kp < n - 1:
                    a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
                seg = a[kk + 1 : kp, kk].copy()
                a[kk + 1 : kp, kk] = a[kp, kk + 1 : kp]
                a[kp, kk + 1 : kp] = seg
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    d11 = 1.0 / a[k, k]
                    col = a[k + 1 :, k].copy()
                    a[k + 1 :, k + 1 :] -= d11 * np.tril(np.outer(col, col))
                    a[k + 1 :, k] = col * d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                wk = d21 * (d11 * a[k + 2 :, k] - a[k + 2 :, k + 1])
                wkp1 = d21 * (d22 * a[k + 2 :, k + 1] - a[k + 2 :, k])
                a[k + 2 :, k + 2 :] -= np.tril(
                    np.outer(a[k + 2 :, k], wk) + np.outer(a[k + 2 :, k + 1], wkp1)
                )
                a[k + 2 :, k] = wk
                a[k + 2 :, k + 1] = wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):  # noqa: N803
    """Bunch-Kaufman LDL^T of symmetric A (its lower triangle is read): ``(LD, pivots, info)``
    in LAPACK's compact form (pivots 1-based; a negative pair marks a 2x2 block)."""
    _matrices("ldl_factor_ex", A)
    a = np.asarray(backend.to_numpy(A.detach()._data))
    shape = a.shape
    if shape[-1] != shape[-2]:
        raise ShapeError(f"linalg.ldl_factor: A must be square, got shape {tuple(shape)}")
    if a.dtype.kind == "c":
        raise NotImplementedError("linalg.ldl_factor: complex matrices are not supported")
    flat = a.reshape((-1,) + shape[-2:]).astype(np.float64)
    outs = [_sytf2_lower(m.copy()) for m in flat]
    dev = str(A.device)
    LD = np.stack([o[0] for o in outs]).astype(a.dtype).reshape(shape)  # noqa: N806
    piv = np.stack([o[1] for o in outs]).reshape(shape[:-1])
    info = np.array([o[2] for o in outs], dtype=np.int32).reshape(shape[:-2])
    if check_errors and np.any(info > 0):
        raise RuntimeError(f"linalg.ldl_factor_ex: D is singular (info = {info.tolist()})")
    return ldl_factor_ex_result(
        Tensor._make(backend.to_device(LD, dev)),
        Tensor._make(backend.to_device(piv, dev)),
        Tensor._make(backend.to_device(info, dev)),
    )


def ldl_factor(A, *, hermitian=False):  # noqa: N803
    """``(LD, pivots)`` of the Bunch-Kaufman factorization (see ldl_factor_ex)."""
    LD, piv, _ = ldl_factor_ex(A, hermitian=hermitian)  # noqa: N806
    return ldl_factor_result(LD, piv)


def _sytrs_lower(a, ipiv, b):
    """LAPACK dsytrs (uplo='L'): solve A X = B with A's factorization (a, ipiv)."""
    n = a.shape[0]
    b = b.copy()
    k = 0
    while k < n:
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1 :] -= np.outer(a[k + 1 :, k], b[k])
            b[k] /= a[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            if k < n - 2:
                b[k + 2 :] -= np.outer(a[k + 2 :, k], b[k])
                b[k + 2 :] -= np.outer(a[k + 2 :, k + 1], b[k + 1])
            akm1k = a[k + 1, k]
            akm1 = a[k, k] / akm1k
            ak = a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:
        if ipiv[k] > 0:
            if k < n - 1:
                b[k] -= a[k + 1 :, k] @ b[k + 1 :]
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            if k < n - 1:
                b[k] -= a[k + 1 :, k] @ b[k + 1 :]
                b[k - 1] -= a[k + 1 :, k - 1] @ b[k + 1 :]
            kp = -ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve(LD, pivots, B, *, hermitian=False):  # noqa: N803
    """X with A X = B, from ``ldl_factor(A)``'s ``LD`` and ``pivots`` (no backward, as in
    PyTorch)."""
    ld = np.asarray(backend.to_numpy(LD.detach()._data), dtype=np.float64)
    piv = np.asarray(backend.to_numpy(pivots._data))
    b = np.asarray(backend.to_numpy(B.detach()._data))
    if b.ndim < 2 or b.shape[-2] != ld.shape[-1]:
        raise ShapeError(
            f"linalg.ldl_solve: B must be (..., {ld.shape[-1]}, k) for LD of shape "
            f"{tuple(ld.shape)}, got {tuple(b.shape)}"
        )
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1,) + ld.shape[-2:])
    piv = np.broadcast_to(piv, batch + piv.shape[-1:]).reshape(-1, piv.shape[-1])
    bb = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    x = np.stack([_sytrs_lower(ld[i], piv[i], bb[i].astype(np.float64)) for i in range(len(ld))])
    x = x.reshape(batch + b.shape[-2:]).astype(b.dtype)
    return Tensor._make(backend.to_device(x, str(B.device)))


class EigVals(Function):
    supports_complex = True

    def forward(self, a):
        w, v = np.linalg.eig(backend.to_numpy(a))
        self.v = v
        self.real = a.dtype.kind != "c"
        self.device = backend.device_of(a)
        dt = np.result_type(a.dtype, np.complex64)
        return backend.to_device(w.astype(dt), self.device)

    def backward(self, grad):
        g = backend.to_numpy(grad)
        v = self.v
        vh = np.swapaxes(v, -1, -2).conj()
        ga = np.linalg.solve(vh, g[..., :, None] * vh)  # V^-H diag(g) V^H
        if self.real:
            ga = ga.real
        return (backend.to_device(ga, self.device),)


def eigvals(A):  # noqa: N803
    """The eigenvalues of a square matrix (complex, in the order NumPy's geev gives them)."""
    _matrices("eigvals", A)
    if A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"linalg.eigvals: A must be square, got shape {tuple(A.shape)}")
    return EigVals.apply(A)


def householder_product(A, tau):  # noqa: N803
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H with v_i the i-th column
    of A below the diagonal and 1 on it (LAPACK's orgqr); composed, so differentiable."""
    from glassnet.creation import eye
    from glassnet.ops.shape_join import cat

    _matrices("householder_product", A)
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if not m >= n >= k:
        raise ShapeError(
            f"linalg.householder_product: need A.shape[-2] >= A.shape[-1] >= tau.shape[-1], got "
            f"A {tuple(A.shape)} and tau {tuple(tau.shape)}"
        )
    batch = tuple(A.shape[:-2])
    q = eye(m, dtype=A.dtype, device=A.device).expand(batch + (m, m))
    xp = get_array_module(A._data)
    for i in range(k):
        parts = []
        if i:
            parts.append(Tensor._make(xp.zeros(batch + (i, 1), dtype=A._data.dtype)))
        parts.append(Tensor._make(xp.ones(batch + (1, 1), dtype=A._data.dtype)))
        if i + 1 < m:
            parts.append(A[..., i + 1 :, i : i + 1])
        v = cat(parts, dim=-2)  # (..., m, 1)
        t = tau[..., i : i + 1].unsqueeze(-1)  # (..., 1, 1)
        q = q - (q @ v) @ (v.transpose(-1, -2) * t)
    return q[..., :, :n]


LINALG = {
    "lu_factor": lu_factor,
    "lu_factor_ex": lu_factor_ex,
    "ldl_factor": ldl_factor,
    "ldl_factor_ex": ldl_factor_ex,
    "ldl_solve": ldl_solve,
    "eigvals": eigvals,
    "householder_product": householder_product,
}
__all__: list = []
