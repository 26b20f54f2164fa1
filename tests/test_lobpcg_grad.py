"""glassnet.lobpcg's gradient through both outputs (eigenvalues and eigenvectors), against
torch.lobpcg's autograd and against central finite differences."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import AutogradError

M = 24
TOL = 1e-12  # LOBPCG's residual tolerance, tight so the eigenpairs are exact to ~1e-12 ||A||
GAP = 1.0  # the smallest gap between a computed eigenvalue and any other eigenvalue, below


def _matrix():
    """An SPD matrix with well-separated extremes: 1, 2, 3 | 6 .. 14 | 17, 20, 23."""
    r = np.random.default_rng(0)
    q, _ = np.linalg.qr(r.normal(size=(M, M)))
    ev = np.concatenate([[1.0, 2.0, 3.0], np.linspace(6, 14, M - 6), [17.0, 20.0, 23.0]])
    a = (q * ev) @ q.T
    return (a + a.T) / 2, r.normal(size=(M, M))


def _loss(lib, E, X, W):  # noqa: N803
    # sign-invariant in each eigenvector: the projector X X^T, and each u_j^T W u_j with its own
    # weight (so U^T gU is not symmetric and the part of gA inside span(U) is tested too)
    weights = lib.arange(1, E.shape[0] + 1, dtype=E.dtype)
    quad = (X * (W @ X)).sum(dim=0)
    return (E * weights).sum() + ((X @ X.T) * W).sum() + (quad * weights).sum()


def _tolerance(a, w):
    # an eigenpair with residual r is off by ~ r / gap; the gradient holds 1 / gap terms
    # again, so its error is ~ r ||gU|| / gap^2, with r <= TOL ||A|| and ||gU|| <= 8 ||W||
    # (gU = (W + W^T) U (I + diag(1..k)), k <= 3); a factor 10 of room for the bound's constants
    return 10 * TOL * np.linalg.norm(a, 2) * 8 * np.linalg.norm(w, 2) / GAP**2


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_lobpcg_gradient_matches_torch(largest, k):
    a, w = _matrix()
    glassnet.manual_seed(0)
    A = glassnet.tensor(a, requires_grad=True)
    E, X = glassnet.lobpcg(A, k=k, largest=largest, tol=TOL)
    _loss(glassnet, E, X, glassnet.tensor(w)).backward()
    torch.manual_seed(0)
    tA = torch.tensor(a, requires_grad=True)
    tE, tX = torch.lobpcg(tA, k=k, largest=largest, tol=TOL)
    _loss(torch, tE, tX, torch.tensor(w)).backward()
    np.testing.assert_allclose(E.detach().numpy(), tE.detach().numpy(), rtol=1e-10)
    got, want = A.grad.numpy(), tA.grad.numpy()
    assert np.abs(want).max() > 0.1  # the eigenvector part is really there
    np.testing.assert_allclose(got, want, rtol=0, atol=_tolerance(a, w))
    np.testing.assert_allclose(got, got.T, rtol=0, atol=1e-14)  # symmetric, as PyTorch's


@pytest.mark.parametrize("largest", [True, False])
def test_lobpcg_gradient_matches_finite_differences(largest):
    a, w = _matrix()
    k = 2
    W = glassnet.tensor(w)  # noqa: N806

    def loss(mat):
        glassnet.manual_seed(0)
        E, X = glassnet.lobpcg(glassnet.tensor(mat), k=k, largest=largest, tol=TOL)  # noqa: N806
        return float(_loss(glassnet, E, X, W))

    glassnet.manual_seed(0)
    A = glassnet.tensor(a, requires_grad=True)
    E, X = glassnet.lobpcg(A, k=k, largest=largest, tol=TOL)
    _loss(glassnet, E, X, W).backward()
    r = np.random.default_rng(1)
    h = 1e-4
    for _ in range(3):  # random symmetric directions D: dL = <gA, D>
        d = r.normal(size=(M, M))
        d = (d + d.T) / 2
        fd = (loss(a + h * d) - loss(a - h * d)) / (2 * h)
        exact = float((A.grad.numpy() * d).sum())
        # central differences: h^2 truncation (~1e-8 times derivatives of size 1 / GAP^3),
        # plus the eigenpairs' error ~ TOL ||A|| / GAP ~ 1e-11 in the loss, over 2h ~ 1e-7
        assert abs(fd - exact) <= 1e-5 * max(1.0, abs(exact)), (fd, exact)


def test_lobpcg_eigenvector_gradient_refused_for_the_generalized_problem():
    a, _ = _matrix()
    b = np.diag(np.random.default_rng(3).uniform(1, 2, M))
    A = glassnet.tensor(a, requires_grad=True)
    E, X = glassnet.lobpcg(A, k=1, B=glassnet.tensor(b))
    E.sum().backward()  # the eigenvalue's gradient x x^T (x B-normalised) still works
    x = X.detach().numpy()[:, 0]
    np.testing.assert_allclose(A.grad.numpy(), np.outer(x, x), atol=1e-6)
    _, X = glassnet.lobpcg(A, k=1, B=glassnet.tensor(b))
    with pytest.raises(AutogradError, match="B=None"):
        X.sum().backward()


@pytest.mark.parametrize("largest", [True, False])
def test_lobpcg_gradient_in_float32(largest):
    a, w = _matrix()
    glassnet.manual_seed(0)
    A = glassnet.tensor(a, dtype=glassnet.float32, requires_grad=True)
    E, X = glassnet.lobpcg(A, k=3, largest=largest, tol=TOL)
    assert E.dtype == X.dtype == glassnet.float32
    _loss(glassnet, E, X, glassnet.tensor(w, dtype=glassnet.float32)).backward()
    assert A.grad.dtype == glassnet.float32
    torch.manual_seed(0)
    tA = torch.tensor(a, requires_grad=True)
    tE, tX = torch.lobpcg(tA, k=3, largest=largest, tol=TOL)
    _loss(torch, tE, tX, torch.tensor(w)).backward()
    want = tA.grad.numpy()
    # float32 rounding (eps ~6e-8) amplified by the solves' condition ||A|| / GAP ~ 23, and by
    # the sums over m = 24 terms: ~3e-5 of the largest entry at worst
    np.testing.assert_allclose(A.grad.numpy(), want, rtol=0, atol=1e-4 * np.abs(want).max())
