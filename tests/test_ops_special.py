"""The special functions (glassnet.special and the torch.* ones: lgamma, digamma, polygamma,
erfinv, erfc, ...) against PyTorch, forward and backward, and their accuracy over wide ranges
against PyTorch and, where PyTorch itself is inaccurate, SciPy (an optional, independent
oracle; those checks skip without it). glassnet's implementations are NumPy only.

The accuracy tolerances come from each algorithm's error bound (see glassnet/ops/special_*.py)
plus the oracle's own: a few ulps (eps 2.2e-16) become rtol 1e-13, and where a function is
ill-conditioned (erfc(x) for large x: relative error x^2 eps from rounding x^2; functions near
their zeros) an absolute floor says how large."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of


def sp(x):
    return glassnet.special if isinstance(x, glassnet.Tensor) else torch.special


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


UNARY = [
    ("lgamma", lambda x: x.lgamma(), {"low": 0.2, "high": 6.0}),
    ("lgamma_negative", lambda x: (x - 3.5).lgamma(), {"low": 0.1, "high": 0.9}),
    ("digamma", lambda x: x.digamma(), {"low": 0.2, "high": 12.0}),
    ("digamma_negative", lambda x: (x - 2.5).digamma(), {"low": 0.1, "high": 0.9}),
    ("polygamma1", lambda x: x.polygamma(1), {"low": 0.3, "high": 6.0}),
    ("polygamma2", lambda x: lib(x).polygamma(2, x), {"low": 0.3, "high": 6.0}),
    ("polygamma3", lambda x: lib(x).polygamma(3, x), {"low": 0.5, "high": 30.0}),
    ("mvlgamma", lambda x: x.mvlgamma(3), {"low": 1.5, "high": 5.0}),
    ("gammaln", lambda x: sp(x).gammaln(x), {"low": 0.5, "high": 40.0}),
    ("psi", lambda x: sp(x).psi(x), {"low": 0.5, "high": 40.0}),
    ("multigammaln", lambda x: sp(x).multigammaln(x, 2), {"low": 1.0, "high": 4.0}),
    ("erfc", lambda x: x.erfc(), {"low": -3.0, "high": 3.0}),
    ("erfc_tail", lambda x: x.erfc(), {"low": 2.0, "high": 9.0}),
    ("erfcx", lambda x: sp(x).erfcx(x), {"low": -3.0, "high": 20.0}),
    ("erfinv", lambda x: x.erfinv(), {"low": -0.99, "high": 0.99}),
    ("ndtr", lambda x: sp(x).ndtr(x), {"low": -4.0, "high": 4.0}),
    ("log_ndtr", lambda x: sp(x).log_ndtr(x), {"low": -20.0, "high": 6.0}),
    ("ndtri", lambda x: sp(x).ndtri(x), {"low": 0.02, "high": 0.98}),
    ("expit", lambda x: sp(x).expit(x), {}),
    ("entr", lambda x: sp(x).entr(x), {"low": 0.1, "high": 3.0}),
    ("sinc", lambda x: x.sinc(), {"low": -3.0, "high": 3.0}),
    ("logit", lambda x: x.logit(), {"low": 0.05, "high": 0.95}),
    ("logit_eps", lambda x: x.logit(eps=0.2), {"low": 0.05, "high": 0.95}),
    # i0 and i1 grow like e^x: beyond |x| ~ 12 a float64 finite difference of their weighted
    # sum is noise, so the large-x cases (the asymptotic branch) are checked against torch only
    ("i0", lambda x: x.i0(), {"low": -12.0, "high": 12.0}),
    ("i0_large", lambda x: x.i0(), {"low": 20.0, "high": 30.0, "finite_diff": False}),
    ("i0e", lambda x: sp(x).i0e(x), {"low": -40.0, "high": 40.0}),
    ("i1", lambda x: sp(x).i1(x), {"low": -12.0, "high": 12.0}),
    ("i1_large", lambda x: sp(x).i1(x), {"low": -30.0, "high": -20.0, "finite_diff": False}),
    ("i1e", lambda x: sp(x).i1e(x), {"low": -40.0, "high": 40.0}),
    ("modified_bessel_i0", lambda x: sp(x).modified_bessel_i0(x), {"low": -5.0, "high": 5.0}),
]


@pytest.mark.parametrize("name,fn,options", UNARY, ids=[u[0] for u in UNARY])
def test_unary_against_torch(name, fn, options, device):
    check_op([(3, 4)], fn, device=device, **options)


A = np.random.default_rng(5).uniform(0.5, 4.0, (3, 4))  # shape parameters: constants, since
# neither library differentiates igamma in a or zeta in s

BINARY = [
    ("xlogy", lambda x, y: x.xlogy(y), {"positive": True}),
    ("xlog1py", lambda x, y: sp(x).xlog1py(x, y), {"positive": True}),
    ("igamma", lambda x, _: lib(x).igamma(lib(x).tensor(A), x), {"positive": True, "high": 6.0}),
    ("igammac", lambda x, _: lib(x).igammac(lib(x).tensor(A), x), {"positive": True}),
    ("gammaincc", lambda x, _: sp(x).gammaincc(lib(x).tensor(A), x * 3), {"positive": True}),
    ("zeta_q", lambda q, _: sp(q).zeta(lib(q).tensor(A + 1.0), q), {"positive": True}),
]


@pytest.mark.parametrize("name,fn,options", BINARY, ids=[b[0] for b in BINARY])
def test_binary_against_torch(name, fn, options, device):
    check_op([(3, 4), (3, 4)], fn, device=device, **options)


def test_special_values_match_torch():
    nan, inf = float("nan"), float("inf")
    x = np.array([0.0, -0.0, -1.0, -2.5, 1.0, 2.0, inf, nan, 1e-300, 1e300, 0.5])
    for name in ("lgamma", "digamma", "erfc", "sinc", "i0"):
        # torch.i0(inf) is nan; glassnet gives the limit, inf (as SciPy), so not compared there
        xs = x[np.isfinite(x) | np.isnan(x)] if name == "i0" else x
        got = numpy_of(getattr(glassnet, name)(glassnet.tensor(xs)))
        want = getattr(torch, name)(torch.tensor(xs)).numpy()
        # atol: torch's sinc(n) is sin(pi n) / (pi n) ~ 1e-17, glassnet's exactly 0
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-16, err_msg=name)
    p = np.array([-1.0, 1.0, 0.0, 1.5, -2.0, nan])
    np.testing.assert_array_equal(
        numpy_of(glassnet.erfinv(glassnet.tensor(p))), torch.erfinv(torch.tensor(p)).numpy()
    )
    q = np.array([0.0, 1.0, 0.5])
    np.testing.assert_array_equal(
        numpy_of(glassnet.special.ndtri(glassnet.tensor(q))),
        torch.special.ndtri(torch.tensor(q)).numpy(),
    )
    a, y = np.array([0.0, 0.0, 0.0, 1.0]), np.array([0.0, inf, nan, 0.0])
    np.testing.assert_array_equal(
        numpy_of(glassnet.xlogy(glassnet.tensor(a), glassnet.tensor(y))),
        torch.xlogy(torch.tensor(a), torch.tensor(y)).numpy(),
    )
    e = np.array([0.0, -1.0, 2.0])
    np.testing.assert_allclose(
        numpy_of(glassnet.special.entr(glassnet.tensor(e))),
        torch.special.entr(torch.tensor(e)).numpy(),
    )
    big = np.array([-30.0, 30.0, 1e10, -1e10])
    np.testing.assert_allclose(
        numpy_of(glassnet.special.erfcx(glassnet.tensor(big))),
        torch.special.erfcx(torch.tensor(big)).numpy(),
        rtol=1e-13,
    )
    ga, gx = np.array([0.5, 0.0, 2.0, 1.0]), np.array([1.0, 1.0, 0.0, np.inf])
    for name in ("igamma", "igammac"):
        np.testing.assert_allclose(
            numpy_of(getattr(glassnet, name)(glassnet.tensor(ga), glassnet.tensor(gx))),
            getattr(torch, name)(torch.tensor(ga), torch.tensor(gx)).numpy(),
            rtol=1e-14,
        )


RNG = np.random.default_rng(0)
WIDE = np.concatenate(
    [np.linspace(-30.3, 30.3, 6001), RNG.uniform(0, 10, 2000), np.geomspace(1e-300, 1e300, 600)]
)


def _check(got, want, rtol, atol=0.0, what=""):
    got, want = numpy_of(got), np.asarray(want)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: nan pattern")
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=atol, err_msg=what)


def test_lgamma_and_digamma_accuracy_against_torch():
    x = WIDE
    t = torch.tensor(x)
    # lgamma: Lanczos' 2e-15 relative error, plus an absolute 1e-14 near lgamma's zeros at
    # negative x (there torch's value is itself a difference of terms of size ~1).
    _check(glassnet.lgamma(glassnet.tensor(x)), torch.lgamma(t).numpy(), 1e-13, 1e-14, "lgamma")
    # digamma: a few ulps of psi(x + 10) ~ 2.4 absolutely near its zeros (1e-14). Within 0.05
    # of a negative pole torch's reflection loses digits (see the mpmath test), so not there.
    away = (x > 0) | (np.abs(x - np.round(x)) > 0.05)
    x = x[away]
    _check(
        glassnet.digamma(glassnet.tensor(x)),
        torch.digamma(torch.tensor(x)).numpy(),
        1e-13,
        1e-14,
        "digamma",
    )


def test_accuracy_near_zeros_and_poles_against_mpmath():
    # mpmath (installed with PyTorch, through sympy) evaluates in 30-digit arithmetic: an exact
    # oracle where float64 libraries, PyTorch's included, lose digits.
    import mpmath  # installed with torch (through sympy)

    mpmath.mp.dps = 30
    z = np.geomspace(1e-15, 1e-2, 40)
    # lgamma near its zeros x = 1 and 2: the Taylor branch keeps a few ulps of relative error
    near = np.concatenate([1 + z, 1 - z, 2 + z, 2 - z])
    want = np.array([float(mpmath.log(abs(mpmath.gamma(mpmath.mpf(v))))) for v in near])
    _check(glassnet.lgamma(glassnet.tensor(near)), want, 1e-13, 0, "lgamma near 1 and 2")
    # digamma near negative poles: the reflection with an exactly reduced argument
    poles = np.concatenate([-k + z for k in (1, 3, 8)] + [-k - z for k in (1, 3, 8)])
    want = np.array([float(mpmath.digamma(mpmath.mpf(v))) for v in poles])
    _check(glassnet.digamma(glassnet.tensor(poles)), want, 1e-13, 0, "digamma near poles")
    # digamma near its positive root: an absolute error of a few ulps of psi(x + 10) ~ 2.4
    root = 1.4616321449683622 + np.concatenate([z, -z])
    want = np.array([float(mpmath.digamma(mpmath.mpf(v))) for v in root])
    _check(glassnet.digamma(glassnet.tensor(root)), want, 1e-13, 4 * 2.4 * 2.2e-16, "root")


def test_error_functions_accuracy_against_torch():
    x = np.concatenate([np.linspace(-26, 26, 8001), np.geomspace(1e-300, 1, 300)])
    t = torch.tensor(x)
    # erfc(x) for large x: rounding x^2 gives relative errors up to x^2 eps (~1.5e-13 at 26)
    # in a plain implementation such as torch's; glassnet splits x^2 exactly.
    _check(glassnet.erfc(glassnet.tensor(x)), torch.erfc(t).numpy(), 2e-13, 0, "erfc")
    _check(
        glassnet.special.erfcx(glassnet.tensor(x)),
        torch.special.erfcx(t).numpy(),
        5e-14,
        0,
        "erfcx",
    )
    p = np.concatenate([np.linspace(-1, 1, 4001), 1 - np.geomspace(1e-300, 0.5, 400)])
    _check(
        glassnet.erfinv(glassnet.tensor(p)),
        torch.erfinv(torch.tensor(p)).numpy(),
        1e-13,
        0,
        "erfinv",
    )
    # torch's ndtr loses its relative accuracy below x ~ -5 (it computes 1 + erf); compare above
    xn = x[x > -5]
    _check(
        glassnet.special.ndtr(glassnet.tensor(xn)),
        torch.special.ndtr(torch.tensor(xn)).numpy(),
        1e-13,
        1e-16,
        "ndtr",
    )
    _check(
        glassnet.special.log_ndtr(glassnet.tensor(x)),
        torch.special.log_ndtr(t).numpy(),
        5e-13,
        1e-300,
        "log_ndtr",
    )
    q = np.concatenate([np.linspace(0, 1, 4001), np.geomspace(1e-300, 0.5, 400)])
    _check(
        glassnet.special.ndtri(glassnet.tensor(q)),
        torch.special.ndtri(torch.tensor(q)).numpy(),
        1e-13,
        1e-15,
        "ndtri",
    )


def test_erfinv_inverts_erfc_in_the_far_tail():
    # 1 - x down to 1e-300: erfinv(1 - c) = erfcinv(c), checked through erfc itself
    c = np.geomspace(1e-300, 1e-3, 200)
    y = numpy_of(glassnet.erfinv(glassnet.tensor(1 - c)))
    ok = 1 - c < 1  # 1 - c rounds to 1 for c < 1.1e-16: erfinv(1) = inf
    np.testing.assert_allclose(
        numpy_of(glassnet.erfc(glassnet.tensor(y[ok]))), (1 - (1 - c))[ok], rtol=1e-12
    )


def test_polygamma_and_zeta_accuracy_against_torch():
    x = np.concatenate([np.linspace(0.01, 60, 3000), -np.linspace(0.3, 20.3, 401) + 0.0])
    x = x[np.abs(x - np.round(x)) > 1e-3]  # away from the poles at negative integers
    for n in (2, 3, 5):
        want = torch.polygamma(n, torch.tensor(x)).numpy()
        _check(glassnet.polygamma(n, glassnet.tensor(x)), want, 1e-12, 0, f"polygamma {n}")
    s, q = RNG.uniform(1.01, 30, 2000), RNG.uniform(0.001, 100, 2000)
    _check(
        glassnet.special.zeta(glassnet.tensor(s), glassnet.tensor(q)),
        torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy(),
        1e-13,
        0,
        "zeta",
    )


def test_trigamma_accuracy_against_scipy():
    # torch's trigamma is accurate to only ~5e-10 relative, so SciPy is the oracle here
    import scipy.special as special  # a test requirement

    x = np.linspace(0.01, 60, 3000)
    _check(glassnet.polygamma(1, glassnet.tensor(x)), special.polygamma(1, x), 1e-13, 0, "trigamma")


def test_incomplete_gamma_accuracy_against_scipy():
    import scipy.special as special  # a test requirement

    a = np.concatenate([RNG.uniform(0.01, 50, 2000), RNG.uniform(50, 1000, 100)])
    x = np.concatenate([RNG.uniform(0, 100, 2000), RNG.uniform(0, 2000, 100)])
    # the prefactor exp(a log x - x - lgamma(a)) costs about (a + x + |lgamma(a)|) eps relative:
    # below 1e4 eps = 2.2e-12 for a <= 1000, x <= 2000
    rtol = 1e4 * 2.2e-16
    _check(
        glassnet.igamma(glassnet.tensor(a), glassnet.tensor(x)),
        special.gammainc(a, x),
        rtol,
        1e-300,
        "igamma",
    )
    _check(
        glassnet.igammac(glassnet.tensor(a), glassnet.tensor(x)),
        special.gammaincc(a, x),
        rtol,
        1e-300,
        "igammac",
    )


def test_tails_accuracy_against_scipy():
    import scipy.special as special  # a test requirement

    x = np.linspace(-37, 8, 4001)
    # ndtr(x) = erfc(-x / sqrt 2) / 2: rounding x / sqrt 2 costs x^2 eps relative (3e-13 at -37)
    _check(glassnet.special.ndtr(glassnet.tensor(x)), special.ndtr(x), 4e-13, 0, "ndtr")
    b = np.linspace(-700, 700, 4001)
    for name in ("i0", "i0e", "i1", "i1e"):
        _check(
            getattr(glassnet.special, name)(glassnet.tensor(b)),
            getattr(special, name)(b),
            1e-13,
            0,
            name,
        )


POLYNOMIALS = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch(name):
    x = np.linspace(-1.2, 1.2, 25) if "shifted" not in name else np.linspace(-0.1, 1.1, 25)
    n = np.arange(-1, 9)
    gx, gn = glassnet.tensor(x[:, None]), glassnet.tensor(n[None, :])
    got = getattr(glassnet.special, name)(gx, gn)
    want = getattr(torch.special, name)(torch.tensor(x[:, None]), torch.tensor(n[None, :]))
    # degree <= 8 recurrences: a few dozen roundings of values up to ~1e4 (Hermite); PyTorch
    # uses a cosine formula for some of the Chebyshev ones, so agreement to 1e-10 relative
    np.testing.assert_allclose(numpy_of(got), want.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        numpy_of(getattr(glassnet.special, name)(gx, 3)),
        getattr(torch.special, name)(torch.tensor(x[:, None]), 3).numpy(),
        rtol=1e-10,
        atol=1e-12,
    )


def test_no_derivative_where_torch_has_none():
    a = glassnet.tensor([1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="igamma: input"):
        glassnet.igamma(a, glassnet.tensor([1.0])).sum().backward()
    with pytest.raises(RuntimeError, match="zeta"):
        glassnet.special.zeta(a + 1, glassnet.tensor([1.0])).sum().backward()
    with pytest.raises(RuntimeError, match="chebyshev_polynomial_t"):
        glassnet.special.chebyshev_polynomial_t(a, 2).sum().backward()


def test_mvlgamma_checks_domain():
    with pytest.raises(ValueError, match=r"greater than \(p-1\)/2"):
        glassnet.mvlgamma(glassnet.tensor([0.5]), 3)


def test_float32_inputs_stay_float32():
    x = glassnet.tensor([0.5, 1.5])
    for fn in (
        glassnet.lgamma,
        glassnet.digamma,
        glassnet.erfinv,
        glassnet.special.ndtr,
        glassnet.special.i1e,
    ):
        assert fn(x).dtype == glassnet.float32
    assert (
        glassnet.lgamma(glassnet.tensor([3])).dtype == glassnet.float32
    )  # integers: default float
