"""Running reductions (cummax, cummin, logcumsumexp, diff, trapezoid), order statistics
(median, quantile, kthvalue, mode), moments (std_mean, cov, ...) and counting (bincount,
histc, histogram) against PyTorch.

Random inputs from check_op are distinct almost surely, so the element a sort picks, and with
it the gradient, is the same in both libraries. Tolerances are check_op's defaults (float64
rtol 1e-7; float32 rtol 2e-4, a few ulps of float32 eps 1.2e-7 through short sums)."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of

NAN = float("nan")

CASES = [
    ("cummax", lambda x: x.cummax(1), {}),
    ("cummax_dim0", lambda x: x.cummax(0), {}),
    ("cummin", lambda x: x.cummin(-1), {}),
    ("logcumsumexp", lambda x: x.logcumsumexp(1), {}),
    ("logcumsumexp_wide", lambda x: x.logcumsumexp(0), {"low": -50.0, "high": 50.0}),
    ("diff", lambda x: x.diff(), {}),
    ("diff_n2_dim0", lambda x: x.diff(n=2, dim=0), {}),
    ("median_all", lambda x: x.median(), {}),
    ("median_dim", lambda x: x.median(dim=1), {}),
    ("median_keepdim", lambda x: x.median(0, keepdim=True), {}),
    ("nanmedian_dim", lambda x: x.nanmedian(1), {}),
    ("kthvalue", lambda x: x.kthvalue(2, 1), {}),
    ("kthvalue_keepdim", lambda x: x.kthvalue(3, 0, keepdim=True), {}),
    ("quantile", lambda x: x.quantile(0.3), {}),
    ("quantile_dim", lambda x: x.quantile(0.6, dim=1, keepdim=True), {}),
    ("quantile_lower", lambda x: x.quantile(0.6, dim=0, interpolation="lower"), {}),
    ("quantile_midpoint", lambda x: x.quantile(0.4, dim=1, interpolation="midpoint"), {}),
    ("nanquantile", lambda x: x.nanquantile(0.75, dim=1), {}),
    ("std_mean", lambda x: torch_or_glassnet(x).std_mean(x, dim=1), {}),
    ("var_mean", lambda x: torch_or_glassnet(x).var_mean(x, 0, correction=0), {}),
    ("aminmax", lambda x: x.aminmax(dim=1), {}),
    ("nansum", lambda x: x.nansum(1), {}),
    ("nanmean", lambda x: x.nanmean(), {}),
    ("cov", lambda x: x.cov(), {}),
    ("cov_correction0", lambda x: x.cov(correction=0), {}),
    ("corrcoef", lambda x: x.corrcoef(), {}),
    ("trapezoid", lambda x: torch_or_glassnet(x).trapezoid(x, dim=1), {}),
    ("trapezoid_dx", lambda x: torch_or_glassnet(x).trapezoid(x, dx=0.5, dim=0), {}),
    ("cumulative_trapezoid", lambda x: torch_or_glassnet(x).cumulative_trapezoid(x), {}),
]


def torch_or_glassnet(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


@pytest.mark.parametrize("name,fn,options", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, fn, options, device):
    check_op([(4, 5)], fn, device=device, **options)


def test_trapezoid_with_sample_points():
    x = np.array([0.0, 0.5, 1.5, 2.0, 4.0])
    check_op([(3, 5)], lambda y: torch_or_glassnet(y).trapezoid(y, torch_or_glassnet(y).tensor(x)))
    check_op(
        [(3, 5)],
        lambda y: torch_or_glassnet(y).cumulative_trapezoid(y, torch_or_glassnet(y).tensor(x)),
    )


def test_cumulative_with_ties_and_nan_match_torch():
    x = np.array(
        [[1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN, 1.0], [2.0, 2.0, 1.0, 1.0, 0.0, 4.0, 4.0, 0.0]]
    )
    for name in ("cummax", "cummin"):
        got = getattr(glassnet, name)(glassnet.tensor(x), 1)
        want = getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(numpy_of(got.values), want.values.numpy())
        np.testing.assert_array_equal(numpy_of(got.indices), want.indices.numpy())


def test_logcumsumexp_extremes():
    # Values 1000 apart: a shift by the slice maximum would underflow the early outputs to -inf.
    x = np.array([-1000.0, 0.0, 3.0, -5.0, 800.0])
    w = np.array([1.0, -2.0, 3.0, 0.5, -1.0])
    g = glassnet.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    (g.logcumsumexp(0) * glassnet.tensor(w)).sum().backward()
    (t.logcumsumexp(0) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(numpy_of(g.logcumsumexp(0)), t.logcumsumexp(0).detach().numpy())
    np.testing.assert_allclose(numpy_of(g.grad), t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_median_with_nan_and_ties_match_torch():
    x = np.array([[1.0, 4.0, 2.0, 3.0], [5.0, NAN, 1.0, 2.0], [2.0, 2.0, 2.0, 7.0]])
    for name in ("median", "nanmedian"):
        got = getattr(glassnet, name)(glassnet.tensor(x), 1)
        want = getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(numpy_of(got.values), want.values.numpy())
        np.testing.assert_array_equal(numpy_of(got.indices)[:2], want.indices.numpy()[:2])
        np.testing.assert_array_equal(
            numpy_of(getattr(glassnet, name)(glassnet.tensor(x))),
            getattr(torch, name)(torch.tensor(x)).numpy(),
        )
    assert glassnet.tensor([1, 4, 2, 3]).median().item() == 2  # the lower median, an int


def test_global_median_gradient_is_shared_by_ties():
    x = np.array([3.0, 3.0, 1.0, 5.0])
    g = glassnet.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    g.median().backward()
    t.median().backward()
    np.testing.assert_array_equal(numpy_of(g.grad), t.grad.numpy())


def test_mode_matches_torch():
    for x in ([[1, 2, 2, 3, 3, 1, 1, 2], [5, 5, 4, 4, 0, 1, 2, 3]], [[3.0, 1.0, 1.0, 3.0]]):
        got, want = glassnet.tensor(x).mode(1), torch.tensor(x).mode(1)
        np.testing.assert_array_equal(numpy_of(got.values), want.values.numpy())
        np.testing.assert_array_equal(numpy_of(got.indices), want.indices.numpy())


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_shapes_and_modes_match_torch(interpolation):
    x = np.arange(24.0).reshape(2, 3, 4) % 7  # many ties and exact ranks
    q = np.array([0.1, 0.5, 0.875, 0.25, 0.75])
    for kwargs in ({}, {"dim": 1}, {"dim": 2, "keepdim": True}, {"keepdim": True}):
        for qq in (q, 0.3):
            gq = glassnet.tensor(qq) if isinstance(qq, np.ndarray) else qq
            tq = torch.tensor(qq) if isinstance(qq, np.ndarray) else qq
            got = glassnet.tensor(x).quantile(gq, interpolation=interpolation, **kwargs)
            want = torch.tensor(x).quantile(tq, interpolation=interpolation, **kwargs)
            assert got.shape == want.shape
            np.testing.assert_allclose(numpy_of(got), want.numpy(), rtol=1e-12)


def test_nan_quantiles_match_torch():
    x = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [1.0, 2.0, 3.0]])
    for name in ("quantile", "nanquantile"):
        got = getattr(glassnet.tensor(x), name)(0.5, dim=1)
        want = getattr(torch.tensor(x), name)(0.5, dim=1)
        np.testing.assert_array_equal(numpy_of(got), want.numpy())


def test_quantile_errors():
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        glassnet.tensor([1.0]).quantile(1.5)
    with pytest.raises(TypeError, match="float or double"):
        glassnet.tensor([1, 2]).quantile(0.5)


def test_nan_reductions_match_torch():
    x = np.array([[1.0, NAN, 2.0], [NAN, NAN, NAN]])
    for name, kwargs in (("nansum", {}), ("nansum", {"dim": 1}), ("nanmean", {"dim": 1})):
        np.testing.assert_array_equal(
            numpy_of(getattr(glassnet, name)(glassnet.tensor(x), **kwargs)),
            getattr(torch, name)(torch.tensor(x), **kwargs).numpy(),
        )
    g = glassnet.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    g.nansum().backward()
    t.nansum().backward()
    np.testing.assert_array_equal(numpy_of(g.grad), t.grad.numpy())


def test_count_nonzero_and_aminmax_of_integers():
    x = np.array([[1, 0, 3], [0, 0, 7]])
    for dim in (None, 0, 1, (0, 1)):
        np.testing.assert_array_equal(
            numpy_of(glassnet.count_nonzero(glassnet.tensor(x), dim=dim)),
            torch.count_nonzero(torch.tensor(x), dim=dim).numpy(),
        )
    got, want = glassnet.tensor(x).aminmax(keepdim=True), torch.tensor(x).aminmax(keepdim=True)
    assert numpy_of(got.min).shape == want.min.shape and got.max.item() == want.max.item()


def test_cov_with_weights_matches_torch():
    c = np.random.default_rng(0).normal(size=(3, 5))
    f, a = np.array([1, 2, 1, 3, 1]), np.array([0.5, 1.0, 2.0, 1.0, 1.0])
    for kwargs in ({"fweights": f}, {"aweights": a}, {"fweights": f, "aweights": a}):
        for correction in (0, 1, 2):
            got = glassnet.cov(
                glassnet.tensor(c),
                correction=correction,
                **{k: glassnet.tensor(v) for k, v in kwargs.items()},
            )
            want = torch.cov(
                torch.tensor(c),
                correction=correction,
                **{k: torch.tensor(v) for k, v in kwargs.items()},
            )
            np.testing.assert_allclose(numpy_of(got), want.numpy(), rtol=1e-12)
    assert glassnet.cov(glassnet.tensor([1.0, 2.0, 4.0])).shape == ()


def test_bincount_matches_torch():
    x = np.array([0, 1, 1, 3, 7, 1])
    for weights in (None, np.linspace(0, 1, 6).astype("float32"), np.arange(6)):
        for minlength in (0, 10):
            gw = None if weights is None else glassnet.tensor(weights)
            tw = None if weights is None else torch.tensor(weights)
            got = glassnet.bincount(glassnet.tensor(x), gw, minlength)
            want = torch.bincount(torch.tensor(x), tw, minlength)
            assert str(got.dtype) == str(want.dtype).replace("torch.", "")
            np.testing.assert_allclose(numpy_of(got), want.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="1-d non-negative"):
        glassnet.bincount(glassnet.tensor([[1, 2]]))


def test_histc_and_histogram_match_torch():
    x = (np.random.default_rng(0).normal(size=200) * 2).astype("float32")
    g, t = glassnet.tensor(x), torch.tensor(x)
    for kwargs in ({"bins": 7, "min": -2, "max": 3}, {"bins": 5}, {}):
        np.testing.assert_array_equal(numpy_of(g.histc(**kwargs)), t.histc(**kwargs).numpy())
    flat = np.ones(3, dtype="float32")
    np.testing.assert_array_equal(
        numpy_of(glassnet.tensor(flat).histc(4)), torch.tensor(flat).histc(4).numpy()
    )
    for kwargs in ({"bins": 6}, {"bins": 4, "range": (-1.0, 1.0)}, {"bins": 3, "density": True}):
        gh, th = g.histogram(**kwargs), t.histogram(**kwargs)
        # The edges are a linspace rounded to float32: equal up to a few float32 ulps of the
        # range's end points (eps 1.2e-7 * max |edge|), also for an edge near zero.
        span = np.abs(th.bin_edges.numpy()).max()
        np.testing.assert_allclose(
            numpy_of(gh.bin_edges), th.bin_edges.numpy(), rtol=0, atol=4 * 1.2e-7 * span
        )
        np.testing.assert_allclose(numpy_of(gh.hist), th.hist.numpy(), rtol=1e-6)
    edges = np.array([-1.0, 0.0, 0.5, 2.0], dtype="float32")
    gh = g.histogram(glassnet.tensor(edges), weight=glassnet.tensor(np.abs(x)), density=True)
    th = t.histogram(torch.tensor(edges), weight=torch.tensor(np.abs(x)), density=True)
    np.testing.assert_allclose(numpy_of(gh.hist), th.hist.numpy(), rtol=1e-5)


def test_histc_backward_raises():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for 'histc'"):
        x.histc(bins=2).sum().backward()
