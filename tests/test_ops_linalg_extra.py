"""glassnet.linalg and the matrix functions of torch.* (det, inverse, solve, cholesky, eigh, svd,
qr, pinv, norms, matrix_exp, ...) against torch.linalg: forward, gradients in float64 and
float32, and float64 finite differences.

Inputs are well conditioned (a random matrix plus 3 I, or M M^T + I for symmetric
positive-definite ones; condition numbers below ~30), so float32 results carry about
30 * eps32 (1.2e-7) ~ 4e-6 relative error: the float32 tolerance is rtol 1e-4. Eigen- and
singular vectors are defined up to sign, so their tests square them (sign-free functions whose
gradients still depend on every entry of the vectors' gradients)."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_finite_differences, check_op, numpy_of

RNG = np.random.default_rng(0)
GENERAL = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
_M = RNG.normal(size=(2, 3, 3))
SPD = _M @ _M.transpose(0, 2, 1) + np.eye(3)
RHS = RNG.normal(size=(2, 3, 2))
TALL = RNG.normal(size=(4, 3))


def lin(x):
    return glassnet.linalg if isinstance(x, glassnet.Tensor) else torch.linalg


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


def sym(a):
    """(A + A^T) / 2: cholesky, eigh and hermitian pinv read one triangle, and both libraries
    return the symmetric gradient; through this, finite differences see the same function."""
    return (a + a.mT) / 2


CASES = [
    ("inv", [GENERAL], lambda a: lin(a).inv(a)),
    ("inverse", [GENERAL], lambda a: a.inverse()),
    ("det", [GENERAL], lambda a: lin(a).det(a)),
    ("det_method", [GENERAL[0]], lambda a: a.det()),
    ("slogdet", [GENERAL], lambda a: lin(a).slogdet(a)),
    ("logdet", [SPD], lambda a: a.logdet()),
    ("solve", [GENERAL, RHS], lambda a, b: lin(a).solve(a, b)),
    ("solve_vector", [GENERAL, RHS[..., 0]], lambda a, b: lin(a).solve(a, b)),
    ("solve_broadcast", [GENERAL[0], RHS], lambda a, b: lin(a).solve(a, b)),
    ("solve_right", [GENERAL, RHS.transpose(0, 2, 1)], lambda a, b: lin(a).solve(a, b, left=False)),
    (
        "solve_triangular_upper",
        [GENERAL, RHS],
        lambda a, b: lin(a).solve_triangular(a, b, upper=True),
    ),
    (
        "solve_triangular_unit_right",
        [GENERAL, RHS.transpose(0, 2, 1)],
        lambda a, b: lin(a).solve_triangular(a, b, upper=False, left=False, unitriangular=True),
    ),
    ("cholesky", [SPD], lambda a: lin(a).cholesky(sym(a))),
    ("cholesky_upper", [SPD], lambda a: lin(a).cholesky(sym(a), upper=True)),
    ("cholesky_solve", [RHS, SPD], lambda b, a: lib(a).cholesky_solve(b, lin(a).cholesky(sym(a)))),
    ("cholesky_inverse", [SPD[0]], lambda a: lib(a).cholesky_inverse(lin(a).cholesky(sym(a)))),
    ("eigh_values", [SPD], lambda a: lin(a).eigh(sym(a)).eigenvalues),
    ("eigh_vectors", [SPD], lambda a: lin(a).eigh(sym(a)).eigenvectors ** 2),
    ("eigh_both", [SPD], lambda a: (lin(a).eigh(sym(a))[0], lin(a).eigh(sym(a))[1] ** 2)),
    ("eigvalsh_upper", [SPD], lambda a: lin(a).eigvalsh(sym(a), UPLO="U")),
    ("svd_S", [TALL], lambda a: lin(a).svd(a, full_matrices=False).S),
    ("svd_U", [TALL], lambda a: lin(a).svd(a, full_matrices=False).U ** 2),
    ("svd_Vh", [TALL], lambda a: lin(a).svd(a, full_matrices=False).Vh ** 2),
    ("svd_wide", [TALL.T], lambda a: [t**2 for t in lin(a).svd(a, full_matrices=False)]),
    ("svd_square_full", [GENERAL], lambda a: [t**2 for t in lin(a).svd(a)]),
    ("svdvals", [GENERAL], lambda a: lin(a).svdvals(a)),
    ("torch_svd", [TALL], lambda a: [t**2 for t in lib(a).svd(a)]),
    ("qr", [TALL], lambda a: [t**2 for t in lin(a).qr(a)]),
    ("qr_square", [GENERAL], lambda a: [t**2 for t in lin(a).qr(a)]),
    ("pinv", [TALL], lambda a: lin(a).pinv(a)),
    ("pinv_hermitian", [SPD], lambda a: lin(a).pinv(sym(a), hermitian=True)),
    ("pinverse", [TALL.T], lambda a: a.pinverse()),
    ("cond", [GENERAL], lambda a: lin(a).cond(a)),
    ("cond_1", [GENERAL], lambda a: lin(a).cond(a, 1)),
    ("cond_fro", [GENERAL], lambda a: lin(a).cond(a, "fro")),
    ("lstsq", [TALL, TALL[:, :2]], lambda a, b: lin(a).lstsq(a, b).solution),
    ("matrix_norm_fro", [GENERAL], lambda a: lin(a).matrix_norm(a)),
    ("matrix_norm_nuc", [GENERAL], lambda a: lin(a).matrix_norm(a, "nuc")),
    ("matrix_norm_2", [GENERAL], lambda a: lin(a).matrix_norm(a, 2)),
    ("matrix_norm_-2", [GENERAL], lambda a: lin(a).matrix_norm(a, -2)),
    ("matrix_norm_1", [GENERAL], lambda a: lin(a).matrix_norm(a, 1, keepdim=True)),
    ("matrix_norm_-1", [GENERAL], lambda a: lin(a).matrix_norm(a, -1)),
    ("matrix_norm_inf", [GENERAL], lambda a: lin(a).matrix_norm(a, float("inf"), dim=(0, 2))),
    ("matrix_norm_-inf", [GENERAL], lambda a: lin(a).matrix_norm(a, -float("inf"))),
    ("norm", [GENERAL], lambda a: lin(a).norm(a)),
    ("norm_dim", [GENERAL], lambda a: lin(a).norm(a, 3, dim=1)),
    ("norm_matrix", [GENERAL[0]], lambda a: lin(a).norm(a, "nuc")),
    ("norm_pair", [GENERAL], lambda a: lin(a).norm(a, 1, dim=(2, 0), keepdim=True)),
    ("vector_norm", [GENERAL], lambda a: lin(a).vector_norm(a, 0.5, dim=(0, 2))),
    ("vector_norm_inf", [GENERAL], lambda a: lin(a).vector_norm(a, float("inf"), dim=1)),
    ("matrix_exp", [GENERAL], lambda a: lin(a).matrix_exp(a)),
    ("matrix_exp_large", [GENERAL * 4], lambda a: a.matrix_exp()),
    ("matrix_power", [GENERAL], lambda a: lin(a).matrix_power(a, 5)),
    ("matrix_power_negative", [GENERAL], lambda a: a.matrix_power(-2)),
    ("matrix_power_zero", [GENERAL], lambda a: lin(a).matrix_power(a, 0) * a),
    ("multi_dot", [TALL[0], GENERAL[0], TALL.T], lambda a, b, c: lin(a).multi_dot([a, b, c])),
    ("vecdot", [GENERAL, TALL[0]], lambda a, b: lin(a).vecdot(a, b)),
    ("vander", [TALL[0]], lambda a: lin(a).vander(a)),
    ("vander_top_level", [TALL[0]], lambda a: lib(a).vander(a, N=4)),
    ("tensorinv", [np.eye(4).reshape(4, 2, 2) + 0.1], lambda a: lin(a).tensorinv(a, ind=1)),
    (
        "tensorsolve",
        [np.eye(6).reshape(2, 3, 6) + 0.2, RHS[0]],
        lambda a, b: lin(a).tensorsolve(a, b),
    ),
    ("linalg_diagonal", [GENERAL], lambda a: lin(a).diagonal(a, offset=1)),
]


# PyTorch 2.13's own backward of these fails (an in-place error inside torch): their gradients
# are checked against finite differences only, their values against torch.
TORCH_BACKWARD_FAILS = {"cond_1", "cond_fro", "vander_top_level"}


@pytest.mark.parametrize("name,inputs,fn", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, inputs, fn, device):
    arrays = [np.ascontiguousarray(x) for x in inputs]
    if name in TORCH_BACKWARD_FAILS:
        check_op([], fn, inputs=arrays, device=device, grad=False)
        check_finite_differences([], fn, inputs=arrays)
    else:
        check_op([], fn, inputs=arrays, device=device)


@pytest.mark.parametrize("name,inputs,fn", CASES, ids=[c[0] for c in CASES])
def test_float32_against_torch(name, inputs, fn):
    # rtol 1e-4: float32 eps 1.2e-7 times condition numbers of at most ~30 and a few steps
    check_op(
        [],
        fn,
        inputs=[np.ascontiguousarray(x) for x in inputs],
        grad=name not in TORCH_BACKWARD_FAILS,
        dtypes=("float32",),
        rtol=1e-4,
        atol=1e-5,
        finite_diff=False,
    )


def test_det_gradient_of_singular_matrix():
    # A rank-1 matrix: det 0, and the gradient is adj(A)^T = [[4, -2], [-2, 1]] (det(A + E) =
    # tr(adj(A) E) to first order). PyTorch 2.13 returns zeros here, so the oracles are the
    # adjugate and finite differences.
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    g = glassnet.tensor(a, requires_grad=True)
    glassnet.linalg.det(g).backward()
    np.testing.assert_allclose(numpy_of(g.grad), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    check_finite_differences([], lambda x: glassnet.linalg.det(x), inputs=[a])


def test_errors_are_linalg_errors():
    singular = glassnet.zeros(2, 2)
    with pytest.raises(glassnet.linalg.LinAlgError, match="singular"):
        glassnet.linalg.inv(singular)
    with pytest.raises(RuntimeError, match="singular"):
        glassnet.linalg.solve(singular, glassnet.ones(2))
    with pytest.raises(glassnet.linalg.LinAlgError, match="positive-definite"):
        glassnet.linalg.cholesky(-glassnet.eye(2))
    with pytest.raises(ValueError, match="square"):
        glassnet.linalg.inv(glassnet.ones(2, 3))
    with pytest.raises(TypeError, match="floating point"):
        glassnet.linalg.det(glassnet.tensor([[1, 0], [0, 1]]))


def test_ex_forms_report_instead_of_raising():
    singular = np.zeros((2, 2))
    for name in ("inv_ex", "cholesky_ex"):
        got = getattr(glassnet.linalg, name)(
            glassnet.tensor(-np.eye(2) if "chol" in name else singular)
        )
        want = getattr(torch.linalg, name)(torch.tensor(-np.eye(2) if "chol" in name else singular))
        assert got.info.item() == want.info.item() != 0
    got = glassnet.linalg.solve_ex(
        glassnet.tensor(singular), glassnet.ones(2, dtype=glassnet.float64)
    )
    assert got.info.item() != 0 and bool(got.result.isnan().all())
    ok = glassnet.linalg.inv_ex(glassnet.eye(2))
    assert ok.info.item() == 0 and ok.inverse.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_matrix_rank_matches_torch():
    for a in (np.ones((3, 3)), np.eye(4), TALL, np.zeros((2, 2))):
        assert (
            glassnet.linalg.matrix_rank(glassnet.tensor(a)).item()
            == torch.linalg.matrix_rank(torch.tensor(a)).item()
        )
    assert glassnet.linalg.matrix_rank(glassnet.tensor(SPD), hermitian=True).tolist() == [3, 3]


def test_qr_modes():
    for mode in ("reduced", "complete", "r"):
        gq, gr = glassnet.linalg.qr(glassnet.tensor(TALL), mode=mode)
        tq, tr = torch.linalg.qr(torch.tensor(TALL), mode=mode)
        assert gq.shape == tq.shape and gr.shape == tr.shape
        np.testing.assert_allclose(np.abs(numpy_of(gr)), np.abs(tr.numpy()), atol=1e-12)
    x = glassnet.tensor(TALL, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='reduced'"):
        glassnet.linalg.qr(x, mode="r").R.sum().backward()


def test_svd_full_matrices_backward_refused_for_non_square():
    x = glassnet.tensor(TALL, requires_grad=True)
    U, S, Vh = glassnet.linalg.svd(x)  # noqa: N806
    assert U.shape == (4, 4)
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        (U[:, :3] ** 2).sum().backward()
    (S * 2).sum().backward()  # the singular values keep their gradient
    np.testing.assert_allclose(
        numpy_of(x.grad), 2 * numpy_of(U[:, :3] @ Vh), rtol=1e-12, atol=1e-12
    )


def test_matrix_exp_of_known_matrices():
    # exp of a rotation generator is a rotation; of a nilpotent matrix, a finite series
    theta = 0.7
    rot = glassnet.tensor([[0.0, -theta], [theta, 0.0]], dtype=glassnet.float64).matrix_exp()
    np.testing.assert_allclose(
        numpy_of(rot),
        [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]],
        rtol=1e-15,
        atol=1e-15,
    )
    big = glassnet.tensor(np.diag([30.0, -5.0]))  # needs scaling and squaring
    np.testing.assert_allclose(
        numpy_of(big.matrix_exp()), np.diag(np.exp([30.0, -5.0])), rtol=1e-13
    )
