"""FractionalMaxPool2d/3d (the regions PyTorch's rule draws from the same _random_samples),
AdaptiveLogSoftmaxWithLoss (same weights as PyTorch), and svd_lowrank / pca_lowrank / lobpcg
(checked by what they must reconstruct, not bit for bit: they are randomized)."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op

TF = torch.nn.functional


@pytest.mark.parametrize(
    "k, shape, kernel, out",
    [
        (2, (2, 3, 9, 11), (2, 3), (5, 4)),
        (2, (2, 2, 10, 10), 2, (9, 9)),
        (2, (3, 7, 6), 3, 2),
        (3, (1, 2, 7, 8, 9), (2, 2, 3), (3, 4, 5)),
    ],
)
def test_fractional_max_pool_matches_torch(k, shape, kernel, out):
    r = np.random.default_rng(0)
    batch = shape[:2] if len(shape) == k + 2 else (1, shape[0])
    u = r.uniform(size=batch + (k,))
    g = getattr(F, f"fractional_max_pool{k}d")
    t = getattr(TF, f"fractional_max_pool{k}d")

    def run(fn, lib):
        return lambda x: fn(x, kernel, output_size=out, _random_samples=lib.tensor(u).to(x.dtype))

    check_op([shape], run(g, glassnet), run(t, torch))
    x = r.normal(size=shape)
    gi = g(
        glassnet.tensor(x), kernel, out, return_indices=True, _random_samples=glassnet.tensor(u)
    )[1]
    ti = t(torch.tensor(x), kernel, out, return_indices=True, _random_samples=torch.tensor(u))[1]
    assert gi.tolist() == ti.tolist()


def test_fractional_max_pool_layers_and_random_regions():
    u = np.random.default_rng(1).uniform(size=(2, 3, 2))
    check_layer(
        nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=glassnet.tensor(u)),
        torch.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=torch.tensor(u)),
        [(2, 3, 8, 10)],
    )
    x = glassnet.randn(2, 3, 12, 12)
    glassnet.manual_seed(5)
    a = nn.FractionalMaxPool2d(3, output_size=5)(x)
    glassnet.manual_seed(5)
    b = nn.FractionalMaxPool2d(3, output_size=5)(x)
    assert a.shape == (2, 3, 5, 5) and a.tolist() == b.tolist()  # the seed fixes the regions
    assert nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.5))(
        glassnet.randn(1, 2, 6, 6, 6)
    ).shape == (1, 2, 3, 3, 3)


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(head_bias):
    g = nn.AdaptiveLogSoftmaxWithLoss(16, 30, cutoffs=[6, 15], div_value=2.0, head_bias=head_bias)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(
        16, 30, cutoffs=[6, 15], div_value=2.0, head_bias=head_bias
    )
    target = np.array([0, 5, 6, 14, 15, 29, 3, 20])
    check_layer(g, t, [], inputs=[np.random.default_rng(0).normal(size=(8, 16)), target])
    x = np.random.default_rng(1).normal(size=(5, 16))
    np.testing.assert_allclose(
        g.log_prob(glassnet.tensor(x)).detach().numpy(),
        t.log_prob(torch.tensor(x)).detach().numpy(),
        rtol=1e-10,
        atol=1e-12,
    )
    assert g.predict(glassnet.tensor(x)).tolist() == t.predict(torch.tensor(x)).tolist()


def test_adaptive_log_softmax_unbatched_and_checks():
    g = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4])
    out = g(glassnet.randn(8), glassnet.tensor(7))
    assert out.output.shape == () and out.loss.shape == ()
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 4])


def _low_rank(m, n, rank, seed=0):
    r = np.random.default_rng(seed)
    return r.normal(size=(m, rank)) @ r.normal(size=(rank, n))


@pytest.mark.parametrize("shape", [(30, 12), (12, 30)])
def test_svd_lowrank_recovers_a_low_rank_matrix(shape):
    glassnet.manual_seed(0)
    a = _low_rank(*shape, rank=3)
    U, S, V = glassnet.svd_lowrank(glassnet.tensor(a), q=5)
    assert U.shape == (shape[0], 5) and V.shape == (shape[1], 5)
    # rank 3 inside a rank-5 sketch: exact up to float64 rounding of a few products
    np.testing.assert_allclose(((U * S) @ V.T).numpy(), a, atol=1e-10)
    np.testing.assert_allclose(S.numpy()[:3], np.linalg.svd(a, compute_uv=False)[:3], rtol=1e-10)
    assert np.all(S.numpy()[3:] < 1e-10)


def test_svd_lowrank_with_M_and_gradient():
    glassnet.manual_seed(1)
    a = _low_rank(20, 10, 2) + 1.0
    m = np.ones((20, 10))
    U, S, V = glassnet.svd_lowrank(glassnet.tensor(a), q=4, M=glassnet.tensor(m))
    np.testing.assert_allclose(((U * S) @ V.T).numpy(), a - m, atol=1e-10)
    x = glassnet.tensor(_low_rank(15, 8, 3), requires_grad=True)
    glassnet.manual_seed(2)
    s = glassnet.svd_lowrank(x, q=6)[1]
    s[:3].sum().backward()
    # d(sum of the top singular values)/dA = U_k V_k^T, the exact SVD's gradient
    u, _, vt = np.linalg.svd(x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), u[:, :3] @ vt[:3], atol=1e-8)


def test_pca_lowrank_matches_the_centred_svd():
    glassnet.manual_seed(3)
    r = np.random.default_rng(4)
    data = _low_rank(50, 6, 2, seed=5) + r.normal(size=(1, 6)) * 10  # rank 2 around a mean
    U, S, V = glassnet.pca_lowrank(glassnet.tensor(data), q=4)
    centred = data - data.mean(axis=0)
    np.testing.assert_allclose(
        S.numpy()[:2], np.linalg.svd(centred, compute_uv=False)[:2], rtol=1e-10
    )
    np.testing.assert_allclose(((U * S) @ V.T).numpy(), centred, atol=1e-9)
    tU, tS, tV = torch.pca_lowrank(torch.tensor(data), q=4)
    np.testing.assert_allclose(S.numpy()[:2], tS.numpy()[:2], rtol=1e-10)


@pytest.mark.parametrize("largest", [True, False])
def test_lobpcg_finds_the_extreme_eigenpairs(largest):
    glassnet.manual_seed(0)
    r = np.random.default_rng(0)
    m = r.normal(size=(40, 40))
    a = m @ m.T + np.diag(np.linspace(1, 40, 40))
    E, X = glassnet.lobpcg(glassnet.tensor(a), k=3, largest=largest)
    want = np.linalg.eigvalsh(a)
    want = want[::-1][:3] if largest else want[:3]
    # converged to LOBPCG's default tolerance sqrt(eps) ~ 1.5e-8 of ||A|| on the residual
    np.testing.assert_allclose(E.numpy(), want, rtol=1e-7)
    x = X.numpy()
    np.testing.assert_allclose(a @ x, x * E.numpy(), atol=1e-5 * np.linalg.norm(a, 2))
    tE, _ = torch.lobpcg(torch.tensor(a), k=3, largest=largest)
    np.testing.assert_allclose(np.sort(E.numpy()), np.sort(tE.numpy()), rtol=1e-7)


def test_lobpcg_generalized_and_eigenvalue_gradient():
    glassnet.manual_seed(1)
    r = np.random.default_rng(2)
    m = r.normal(size=(30, 30))
    a = m @ m.T + 30 * np.eye(30)
    b = np.diag(r.uniform(1, 2, 30))
    E, _ = glassnet.lobpcg(glassnet.tensor(a), k=2, B=glassnet.tensor(b))
    tE, _ = torch.lobpcg(torch.tensor(a), k=2, B=torch.tensor(b))
    np.testing.assert_allclose(E.numpy(), tE.numpy(), rtol=1e-7)
    A = glassnet.tensor(a, requires_grad=True)
    E, X = glassnet.lobpcg(A, k=1)
    E.sum().backward()
    x = X.detach().numpy()[:, 0]
    np.testing.assert_allclose(A.grad.numpy(), np.outer(x, x), atol=1e-6)
