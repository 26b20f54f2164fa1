"""linalg.lu_factor(_ex), ldl_factor(_ex), ldl_solve, eigvals and householder_product against
PyTorch (LAPACK), with gradients where PyTorch has them."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op

L = glassnet.linalg


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5)])
def test_lu_factor_matches_lapack(shape):
    a = np.random.default_rng(0).normal(size=shape)
    got = L.lu_factor_ex(glassnet.tensor(a))
    want = torch.linalg.lu_factor_ex(torch.tensor(a))
    # the same pivots (random data: no ties), and float64 elimination of a few terms
    assert got.pivots.tolist() == want.pivots.tolist() and got.pivots.dtype == glassnet.int32
    np.testing.assert_allclose(got.LU.numpy(), want.LU.numpy(), rtol=1e-10, atol=1e-12)
    assert got.info.tolist() == want.info.tolist()


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_lu_factor_backward_matches_torch(shape):
    check_op([shape], lambda a: L.lu_factor(a).LU, lambda a: torch.linalg.lu_factor(a).LU)


def test_lu_factor_of_a_singular_matrix():
    a = [[1.0, 2.0], [2.0, 4.0]]
    got = L.lu_factor_ex(glassnet.tensor(a))
    want = torch.linalg.lu_factor_ex(torch.tensor(a))
    assert got.LU.tolist() == want.LU.tolist() and int(got.info) == int(want.info) == 2
    with pytest.raises(RuntimeError, match="is zero"):
        L.lu_factor(glassnet.tensor(a))


@pytest.mark.parametrize("seed", range(6))
def test_ldl_factor_matches_lapack(seed):
    r = np.random.default_rng(seed)
    n = 5
    m = r.normal(size=(n, n))
    a = m + m.T
    if seed % 2:  # a small diagonal forces 2x2 pivots
        np.fill_diagonal(a, r.normal(scale=0.01, size=n))
    got = L.ldl_factor_ex(glassnet.tensor(a))
    want = torch.linalg.ldl_factor_ex(torch.tensor(a))
    assert got.pivots.tolist() == want.pivots.tolist()
    np.testing.assert_allclose(got.LD.numpy(), want.LD.numpy(), rtol=1e-9, atol=1e-12)
    b = r.normal(size=(n, 2))
    x = L.ldl_solve(got.LD, got.pivots, glassnet.tensor(b))
    tx = torch.linalg.ldl_solve(want.LD, want.pivots, torch.tensor(b))
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(a @ x.numpy(), b, atol=1e-9)  # it solves the system


def test_ldl_factor_batched():
    m = np.random.default_rng(9).normal(size=(3, 4, 4))
    a = m + np.swapaxes(m, -1, -2)
    got = L.ldl_factor(glassnet.tensor(a))
    want = torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_allclose(got.LD.numpy(), want.LD.numpy(), rtol=1e-9, atol=1e-12)
    assert got.pivots.tolist() == want.pivots.tolist()


def _sorted(w):
    return w[np.lexsort((w.imag.round(8), w.real.round(8)))]


def test_eigvals_match_torch():
    a = np.random.default_rng(1).normal(size=(2, 4, 4))
    got = L.eigvals(glassnet.tensor(a)).numpy()
    want = torch.linalg.eigvals(torch.tensor(a)).numpy()
    for g, w in zip(got, want):
        np.testing.assert_allclose(_sorted(g), _sorted(w), rtol=1e-10, atol=1e-12)


def test_eigvals_backward_matches_torch():
    # losses that do not depend on the eigenvalues' order
    def loss(lib):
        def f(a):
            w = lib.linalg.eigvals(a)
            return (w * w).real.sum() + w.abs().sum() + w.imag.abs().sum()

        return f

    check_op([(4, 4)], loss(glassnet), loss(torch), dtypes=("float64",))


@pytest.mark.parametrize("m, n, k", [(5, 3, 3), (4, 4, 2), (6, 4, 4)])
def test_householder_product_matches_torch(m, n, k):
    check_op([(m, n), (k,)], L.householder_product, torch.linalg.householder_product)
    check_op(
        [(2, m, n), (2, k)],
        L.householder_product,
        torch.linalg.householder_product,
        finite_diff=False,
    )


def test_householder_product_of_geqrf_is_q():
    a = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    qr, tau = torch.geqrf(a)
    q = L.householder_product(glassnet.tensor(qr.numpy()), glassnet.tensor(tau.numpy()))
    np.testing.assert_allclose(q.numpy(), torch.linalg.qr(a).Q.numpy(), atol=1e-12)
