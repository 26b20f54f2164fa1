"""Products (addmm family, kron, tensordot, cross, cdist, ...), diagonals (diag, diag_embed,
trace, ...), repeat_interleave, meshgrid, Tensor.unfold, and the set/lookup ops (unique,
searchsorted, bucketize, isin) against PyTorch.

Tolerances are check_op's defaults: float64 rtol 1e-7, float32 rtol 2e-4 (products of at most
a few dozen terms: float32 eps 1.2e-7 times the term count stays well inside)."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


CASES = [
    # (name, shapes, function, options)
    ("addmm", [(2, 3), (2, 4), (4, 3)], lambda i, a, b: lib(i).addmm(i, a, b), {}),
    (
        "addmm_scaled_broadcast",
        [(3,), (2, 4), (4, 3)],
        lambda i, a, b: lib(i).addmm(i, a, b, beta=0.5, alpha=-2),
        {},
    ),
    ("addmv", [(2,), (2, 3), (3,)], lambda i, a, b: i.addmv(a, b, alpha=3), {}),
    ("addr", [(2, 3), (2,), (3,)], lambda i, a, b: i.addr(a, b, beta=2), {}),
    ("baddbmm", [(2, 3), (4, 2, 5), (4, 5, 3)], lambda i, a, b: i.baddbmm(a, b), {}),
    ("addbmm", [(2, 3), (4, 2, 5), (4, 5, 3)], lambda i, a, b: i.addbmm(a, b, alpha=0.5), {}),
    ("kron", [(2, 3), (3, 2)], lambda a, b: a.kron(b), {}),
    ("kron_ranks", [(2,), (2, 3, 2)], lambda a, b: lib(a).kron(a, b), {}),
    ("inner", [(2, 4), (3, 4)], lambda a, b: a.inner(b), {}),
    ("vdot", [(5,), (5,)], lambda a, b: a.vdot(b), {}),
    ("ger", [(3,), (4,)], lambda a, b: a.ger(b), {}),
    ("tensordot", [(2, 3, 4), (3, 4, 5)], lambda a, b: lib(a).tensordot(a, b), {}),
    (
        "tensordot_lists",
        [(2, 3, 4), (4, 2, 5)],
        lambda a, b: lib(a).tensordot(a, b, dims=([0, 2], [1, 0])),
        {},
    ),
    ("cross", [(4, 3), (4, 3)], lambda a, b: a.cross(b, dim=1), {}),
    ("cross_broadcast", [(2, 1, 3), (1, 5, 3)], lambda a, b: lib(a).linalg.cross(a, b), {}),
    ("cdist", [(2, 4, 3), (2, 5, 3)], lambda a, b: lib(a).cdist(a, b), {}),
    ("cdist_p1", [(4, 3), (5, 3)], lambda a, b: lib(a).cdist(a, b, p=1), {}),
    ("cdist_p3", [(4, 3), (5, 3)], lambda a, b: lib(a).cdist(a, b, p=3), {}),
    ("cdist_inf", [(4, 3), (5, 3)], lambda a, b: lib(a).cdist(a, b, p=float("inf")), {}),
    ("dist", [(4, 3), (4, 3)], lambda a, b: a.dist(b, p=3), {}),
    ("pdist", [(5, 3)], lambda a: lib(a).pdist(a), {}),
    ("chain_matmul", [(2, 3), (3, 4), (4, 2)], lambda a, b, c: lib(a).chain_matmul(a, b, c), {}),
    ("diag_vector", [(4,)], lambda a: a.diag(1), {}),
    ("diag_matrix", [(3, 4)], lambda a: a.diag(-1), {}),
    ("diag_embed", [(2, 3)], lambda a: a.diag_embed(1, 0, 2), {}),
    ("diagflat", [(2, 2)], lambda a: a.diagflat(-1), {}),
    ("diagonal_scatter", [(3, 4), (3,)], lambda a, s: a.diagonal_scatter(s, 1), {}),
    ("trace", [(3, 4)], lambda a: a.trace(), {}),
    ("block_diag", [(2, 2), (3,), ()], lambda a, b, c: lib(a).block_diag(a, b, c), {}),
    ("repeat_interleave", [(2, 3)], lambda a: a.repeat_interleave(2), {}),
    ("repeat_interleave_dim", [(2, 3)], lambda a: a.repeat_interleave(3, dim=1), {}),
    ("meshgrid_ij", [(3,), (2,)], lambda a, b: lib(a).meshgrid(a, b, indexing="ij"), {}),
    (
        "meshgrid_xy",
        [(3,), (2,), (4,)],
        lambda a, b, c: lib(a).meshgrid(a, b, c, indexing="xy"),
        {},
    ),
    ("cartesian_prod", [(3,), (2,)], lambda a, b: lib(a).cartesian_prod(a, b), {}),
    ("combinations", [(4,)], lambda a: lib(a).combinations(a, 3), {}),
    ("unfold_overlapping", [(2, 7)], lambda a: a.unfold(1, 3, 2), {}),
    ("unfold_dense", [(5, 2)], lambda a: a.unfold(0, 4, 1), {}),
    ("unfold_gaps", [(3, 9, 2)], lambda a: a.unfold(1, 2, 3), {}),
]


@pytest.mark.parametrize("name,shapes,fn,options", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, shapes, fn, options, device):
    check_op(shapes, fn, device=device, **options)


def test_repeat_interleave_with_counts():
    check_op(
        [(3, 2)],
        lambda a: a.repeat_interleave(lib(a).tensor([1, 0, 3]), dim=0),
    )
    counts = np.array([2, 0, 1, 3])
    np.testing.assert_array_equal(
        numpy_of(glassnet.repeat_interleave(glassnet.tensor(counts))),
        torch.repeat_interleave(torch.tensor(counts)).numpy(),
    )


def test_addmm_beta_zero_ignores_nan_input():
    nan_input = glassnet.full((2, 2), float("nan"))
    out = glassnet.addmm(nan_input, glassnet.eye(2), glassnet.eye(2), beta=0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_cross_default_dim_is_first_of_size_3():
    a, b = np.random.default_rng(0).normal(size=(2, 3, 3, 3))
    with pytest.warns(UserWarning):  # torch warns that the default will change
        want = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(
        numpy_of(glassnet.cross(glassnet.tensor(a), glassnet.tensor(b))), want.numpy()
    )


def test_integer_products_keep_integer_dtype():
    a, b = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 0]])
    for name in ("kron", "tensordot", "inner"):
        got = getattr(glassnet, name)(glassnet.tensor(a), glassnet.tensor(b))
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        assert str(got.dtype) == str(want.dtype).replace("torch.", "")
        np.testing.assert_array_equal(numpy_of(got), want.numpy(), err_msg=name)


@pytest.mark.parametrize(
    "row,col,offset", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (2, 5, -3), (0, 3, 0)]
)
def test_tril_triu_indices(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        got = getattr(glassnet, name)(row, col, offset)
        want = getattr(torch, name)(row, col, offset)
        np.testing.assert_array_equal(numpy_of(got), want.numpy(), err_msg=name)


@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal(wrap):
    g, t = glassnet.zeros(7, 3), torch.zeros(7, 3)
    g.fill_diagonal_(2.5, wrap=wrap)
    t.fill_diagonal_(2.5, wrap=wrap)
    np.testing.assert_array_equal(numpy_of(g), t.numpy())


UNIQUE_INPUTS = [
    np.array([[3.0, 1.0, 3.0], [1.0, 2.0, 1.0]]),
    np.array([[1, 2], [1, 2], [0, 5], [1, 0]]),
    np.array([5, 5, 5]),
    np.array([], dtype="int64"),
]


@pytest.mark.parametrize("x", UNIQUE_INPUTS, ids=["float", "rows", "same", "empty"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize(
    "inverse,counts", [(False, False), (True, False), (True, True), (False, True)]
)
@pytest.mark.parametrize("name", ["unique", "unique_consecutive"])
def test_unique_matches_torch(x, dim, inverse, counts, name):
    if dim is not None and x.ndim == 1 and x.size == 0:
        pytest.skip("torch refuses dim= on an empty 1-D tensor")
    kwargs = dict(return_inverse=inverse, return_counts=counts, dim=dim)
    got = getattr(glassnet, name)(glassnet.tensor(x), **kwargs)
    want = getattr(torch, name)(torch.tensor(x), **kwargs)
    got, want = (
        (got if isinstance(got, tuple) else (got,)),
        (want if isinstance(want, tuple) else (want,)),
    )
    assert len(got) == len(want)
    for g, t in zip(got, want):
        assert g.shape == t.shape
        np.testing.assert_array_equal(numpy_of(g), t.numpy())


def test_unique_keeps_each_nan_and_refuses_backward():
    x = glassnet.tensor([float("nan"), 1.0, float("nan")], requires_grad=True)
    u = x.unique()
    np.testing.assert_array_equal(
        numpy_of(u), torch.tensor([float("nan"), 1.0, float("nan")]).unique().numpy()
    )
    with pytest.raises(RuntimeError, match="derivative for 'unique'"):
        u.sum().backward()


def test_searchsorted_and_bucketize_match_torch():
    s = np.array([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    v = np.array([[3, 6, 9], [3, 6, 11]])
    for kwargs in ({}, {"right": True}, {"side": "right"}, {"out_int32": True}):
        got = glassnet.searchsorted(glassnet.tensor(s), glassnet.tensor(v), **kwargs)
        want = torch.searchsorted(torch.tensor(s), torch.tensor(v), **kwargs)
        assert str(got.dtype) == str(want.dtype).replace("torch.", "")
        np.testing.assert_array_equal(numpy_of(got), want.numpy())
    seq, values = np.array([1.0, 3.0, 5.0]), np.array([[0.0, 3.0], [4.0, 7.0]])
    for right in (False, True):
        np.testing.assert_array_equal(
            numpy_of(
                glassnet.searchsorted(glassnet.tensor(seq), glassnet.tensor(values), right=right)
            ),
            torch.searchsorted(torch.tensor(seq), torch.tensor(values), right=right).numpy(),
        )
        np.testing.assert_array_equal(
            numpy_of(
                glassnet.bucketize(glassnet.tensor(values), glassnet.tensor(seq), right=right)
            ),
            torch.bucketize(torch.tensor(values), torch.tensor(seq), right=right).numpy(),
        )
    assert glassnet.searchsorted(glassnet.tensor(seq), 3.0).item() == 1
    unsorted, order = np.array([5, 1, 3]), np.array([1, 2, 0])
    got = glassnet.searchsorted(
        glassnet.tensor(unsorted), glassnet.tensor([3, 6]), sorter=glassnet.tensor(order)
    )
    want = torch.searchsorted(
        torch.tensor(unsorted), torch.tensor([3, 6]), sorter=torch.tensor(order)
    )
    np.testing.assert_array_equal(numpy_of(got), want.numpy())
    with pytest.raises(ValueError, match="opposites"):
        glassnet.searchsorted(
            glassnet.tensor(seq), glassnet.tensor(values), right=True, side="left"
        )


def test_isin_matches_torch():
    a, b = np.array([[1, 2], [3, 4]]), np.array([2, 3, 9])
    for invert in (False, True):
        np.testing.assert_array_equal(
            numpy_of(glassnet.isin(glassnet.tensor(a), glassnet.tensor(b), invert=invert)),
            torch.isin(torch.tensor(a), torch.tensor(b), invert=invert).numpy(),
        )
    np.testing.assert_array_equal(
        numpy_of(glassnet.isin(glassnet.tensor(a), 4)), torch.isin(torch.tensor(a), 4).numpy()
    )


def test_unfold_is_a_view():
    x = glassnet.arange(6.0)
    w = x.unfold(0, 2, 2)
    x[0] = 10.0
    assert w[0, 0].item() == 10.0
