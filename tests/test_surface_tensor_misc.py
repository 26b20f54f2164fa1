"""In-place shape ops, the random samplers (checked by their distribution statistics), and the
small torch names (asarray, scalar_tensor, range, fill, detach_, index_put_, adjoint/mH,
histogramdd, renorm_, post-accumulate-grad hooks, global settings) against PyTorch."""

import math

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.unsqueeze_(1),
        lambda x: x.squeeze_(),
        lambda x: x.unsqueeze_(0).squeeze_(0),
        lambda x: x.t_(),
        lambda x: x.transpose_(0, 1),
        lambda x: x.swapaxes_(1, 0),
        lambda x: x.swapdims_(0, 1),
    ],
)
def test_inplace_shape_ops_match_torch_and_keep_gradients(call):
    def run(x):
        y = x * 1.5  # a non-leaf: in-place view ops on it are recorded
        out = call(y)
        assert out is y
        return y

    check_op([(3, 4)], run, run)


def test_inplace_shape_op_on_a_plain_tensor_and_on_a_leaf():
    x = glassnet.zeros(2, 1, 3)
    x.squeeze_(1)
    assert tuple(x.shape) == (2, 3) and x._version[0] == 1
    leaf = glassnet.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.unsqueeze_(0)


N = 200_000  # draws per statistic; the standard error of a mean is sigma / sqrt(N)


def _mean_within(values, mean, std, k=5):
    """The sample mean is within k standard errors of the true mean (k=5: a chance of about
    6e-7 of failing for a correct sampler, and the draws are seeded anyway)."""
    m = float(np.mean(values))
    assert abs(m - mean) < k * std / math.sqrt(values.size), (m, mean)


def test_exponential_geometric_log_normal_fills():
    glassnet.manual_seed(0)
    lam = 2.5
    x = glassnet.empty(N, dtype=glassnet.float64).exponential_(lam).numpy()
    assert x.min() > 0
    _mean_within(x, 1 / lam, 1 / lam)
    p = 0.3
    g = glassnet.empty(N, dtype=glassnet.float64).geometric_(p).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g))
    _mean_within(g, 1 / p, math.sqrt(1 - p) / p)
    mu, sigma = 0.2, 0.5
    ln = glassnet.empty(N, dtype=glassnet.float64).log_normal_(mu, sigma).numpy()
    _mean_within(np.log(ln), mu, sigma)
    var = (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)
    _mean_within(ln, math.exp(mu + sigma**2 / 2), math.sqrt(var))


def test_cauchy_fill_has_the_right_quartiles():
    # no mean: check the median and quartiles; a sample quantile has standard error
    # sqrt(q(1-q)/N) / density(quantile)
    glassnet.manual_seed(1)
    m, s = 1.0, 2.0
    c = glassnet.empty(N, dtype=glassnet.float64).cauchy_(m, s).numpy()
    for q, want in [(0.25, m - s), (0.5, m), (0.75, m + s)]:
        density = 1 / (math.pi * s * (1 + ((want - m) / s) ** 2))
        se = math.sqrt(q * (1 - q) / N) / density
        assert abs(np.quantile(c, q) - want) < 5 * se


def test_random_fill_ranges():
    glassnet.manual_seed(2)
    r = glassnet.empty(N).random_(3, 7).numpy()
    assert set(np.unique(r).tolist()) == {3.0, 4.0, 5.0, 6.0}
    _mean_within(r, 4.5, math.sqrt((4**2 - 1) / 12))
    r = glassnet.empty(1000, dtype=glassnet.int64).random_(5).numpy()
    assert r.min() >= 0 and r.max() <= 4
    f = glassnet.empty(N).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.round(f))
    with pytest.raises(ValueError):
        glassnet.empty(3).random_(5, 2)


def test_bernoulli_multinomial_binomial_poisson():
    glassnet.manual_seed(3)
    probs = glassnet.full((N,), 0.3, dtype=glassnet.float64)
    b = probs.bernoulli()
    assert b.dtype == glassnet.float64
    _mean_within(b.numpy(), 0.3, math.sqrt(0.21))
    _mean_within(glassnet.zeros(N).bernoulli(0.8).numpy(), 0.8, 0.4)
    w = glassnet.tensor([1.0, 3.0, 6.0])
    idx = w.multinomial(N, replacement=True).numpy()
    share = np.bincount(idx, minlength=3) / N
    for i, p in enumerate([0.1, 0.3, 0.6]):
        assert abs(share[i] - p) < 5 * math.sqrt(p * (1 - p) / N)
    no_repeat = w.multinomial(3).numpy()
    assert sorted(no_repeat.tolist()) == [0, 1, 2]
    count = glassnet.full((N,), 10.0)
    draws = glassnet.binomial(count, glassnet.full((N,), 0.25)).numpy()
    _mean_within(draws, 2.5, math.sqrt(10 * 0.25 * 0.75))
    rates = glassnet.full((N,), 4.0)
    pois = glassnet.poisson(rates)
    assert pois.dtype == glassnet.float32
    _mean_within(pois.numpy(), 4.0, 2.0)


def test_samplers_follow_the_seed_and_a_generator():
    glassnet.manual_seed(7)
    a = glassnet.empty(5).exponential_()
    glassnet.manual_seed(7)
    assert glassnet.empty(5).exponential_().tolist() == a.tolist()
    g = glassnet.Generator(11)
    x = glassnet.empty(4).cauchy_(generator=g).tolist()
    assert glassnet.empty(4).cauchy_(generator=glassnet.Generator(11)).tolist() == x


def test_creation_spellings_match_torch():
    with pytest.warns(UserWarning):
        got = glassnet.range(1, 4, 0.5)
    with pytest.warns(UserWarning):
        want = torch.range(1, 4, 0.5)
    assert got.tolist() == want.tolist() and str(got.dtype) == "float32"
    assert glassnet.scalar_tensor(3).item() == torch.scalar_tensor(3).item()
    assert (
        glassnet.scalar_tensor(3).shape == ()
        and glassnet.scalar_tensor(2, dtype="int64").dtype == glassnet.int64
    )
    a = np.arange(4.0)
    shared = glassnet.asarray(a)
    a[0] = 9.0
    assert shared.tolist()[0] == 9.0
    assert glassnet.asarray(a, copy=True).tolist() == a.tolist()
    assert glassnet.asarray([1, 2]).dtype == glassnet.int64
    assert (
        glassnet.fill(glassnet.ones(2, 2), 3.0).tolist()
        == torch.fill(torch.ones(2, 2), 3.0).tolist()
    )
    assert isinstance(glassnet.ones(1).dtype, glassnet.dtype) and glassnet.short == glassnet.int16


def test_top_level_inplace_helpers():
    x = glassnet.ones(2, 3)
    assert glassnet.fill_(x, 2.0) is x and x.tolist() == [[2.0] * 3] * 2
    assert glassnet.zero_(x).sum().item() == 0
    t = torch.zeros(3, 4)
    g = glassnet.zeros(3, 4)
    idx = ([0, 2, 2], [1, 3, 3])
    torch.index_put_(t, tuple(torch.tensor(i) for i in idx), torch.tensor([1.0, 2.0, 3.0]), True)
    glassnet.index_put_(
        g, tuple(glassnet.tensor(i) for i in idx), glassnet.tensor([1.0, 2.0, 3.0]), True
    )
    assert g.tolist() == t.tolist()
    y = glassnet.ones(2, requires_grad=True) * 2
    assert glassnet.detach_(y) is y and y.grad_fn is None and not y.requires_grad
    z = glassnet.ones(2, requires_grad=True) * 3
    z.detach_()
    assert not z.requires_grad


def test_adjoint_and_mH_match_torch():
    check_op([(2, 3, 4)], lambda x: x.adjoint(), lambda x: x.adjoint())
    check_op([(3, 4)], lambda x: x.mH, lambda x: x.mH)
    check_op([(3, 4)], lambda x: glassnet.adjoint(x), lambda x: torch.adjoint(x))


def test_renorm_in_place_matches_torch():
    def run(lib):
        def f(x):
            y = x * 1.0
            y.renorm_(2, 0, 1.5)
            return y

        return f

    check_op([(4, 3)], run(glassnet), run(torch))


@pytest.mark.parametrize("bins", [4, [3, 5]])
def test_histogramdd_matches_torch(bins):
    pts = np.random.default_rng(0).normal(size=(200, 2)).astype("float32")
    w = np.random.default_rng(1).uniform(size=200).astype("float32")
    for kw in [{}, dict(density=True)]:
        g = glassnet.histogramdd(glassnet.tensor(pts), bins, weight=glassnet.tensor(w), **kw)
        t = torch.histogramdd(torch.tensor(pts), bins, weight=torch.tensor(w), **kw)
        # float32 bin counts of 200 weights: 1e-5 relative
        np.testing.assert_allclose(g.hist.numpy(), t.hist.numpy(), rtol=1e-5, atol=1e-6)
        for ge, te in zip(g.bin_edges, t.bin_edges):
            np.testing.assert_allclose(ge.numpy(), te.numpy(), rtol=1e-6, atol=1e-6)
    g = glassnet.histogramdd(glassnet.tensor(pts), [2, 2], range=[-1.0, 1.0, -2.0, 2.0])
    t = torch.histogramdd(torch.tensor(pts), [2, 2], range=[-1.0, 1.0, -2.0, 2.0])
    assert g.hist.tolist() == t.hist.tolist()


def test_post_accumulate_grad_hook_runs_after_grad_is_set():
    for lib in (glassnet, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        handle = p.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (p * 3).sum().backward()
        (p * 2).sum().backward()
        handle.remove()
        (p * 2).sum().backward()
        assert seen == [[3.0, 3.0], [5.0, 5.0]], lib


def test_global_settings():
    assert glassnet.get_num_threads() >= 1
    before = glassnet.get_num_threads()
    glassnet.set_num_threads(1)
    assert glassnet.get_num_threads() == 1
    glassnet.set_num_threads(before)
    assert str(glassnet.get_default_device()) == "cpu"
    glassnet.set_default_device("cpu")
    assert glassnet.zeros(1).device == glassnet.get_default_device()
    s = glassnet.seed()
    assert glassnet.initial_seed() == s
    assert glassnet.default_generator.initial_seed() == s
    glassnet.set_printoptions(precision=2)
    try:
        assert repr(glassnet.tensor([1.23456])) == "tensor([1.23])"
    finally:
        glassnet.set_printoptions(profile="default")
    assert repr(glassnet.tensor([1.23456])) == "tensor([1.2346])"
    assert glassnet.ones(2).name is None and torch.ones(2).name is None
