"""The Bessel functions and Ai of torch.special: checked against mpmath at 20 digits (mpmath
comes with torch, through sympy) and against torch.special itself, whose ports are less
accurate in places, so the check there is that glassnet is never further from the exact value
than torch is (beyond float64 rounding). Derivatives (PyTorch has none) by finite differences."""

import mpmath  # noqa: E402
import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_finite_differences

mpmath.mp.dps = 20  # 20 digits: four beyond float64, and quicker than more

EPS = np.finfo(np.float64).eps


def _positive(f):
    return lambda x: f(x) if x >= 0 else mpmath.nan


EXACT = {
    "bessel_j0": lambda x: mpmath.besselj(0, x),
    "bessel_j1": lambda x: mpmath.besselj(1, x),
    "bessel_y0": _positive(lambda x: mpmath.bessely(0, x)),
    "bessel_y1": _positive(lambda x: mpmath.bessely(1, x)),
    "modified_bessel_k0": _positive(lambda x: mpmath.besselk(0, x)),
    "modified_bessel_k1": _positive(lambda x: mpmath.besselk(1, x)),
    "scaled_modified_bessel_k0": _positive(lambda x: mpmath.exp(x) * mpmath.besselk(0, x)),
    "scaled_modified_bessel_k1": _positive(lambda x: mpmath.exp(x) * mpmath.besselk(1, x)),
    "airy_ai": lambda x: mpmath.airyai(x),
}

_r = np.random.default_rng(0)
POINTS = np.concatenate(
    [
        _r.uniform(-60, 60, 120),
        np.linspace(-11, 3, 57),
        np.geomspace(1e-6, 700, 60),
        -np.geomspace(1e-6, 200, 30),
        # the switches between representations, from both sides
        [1.999, 2.0, 2.001, 24.999, 25.0, 25.001, 29.999, 30.001, -2.49, -2.51, -9.999, -10.001],
    ]
)


def _phase(name, x):
    """How far the oscillation has run at x: its phase's rounding error is phase * eps."""
    ax = np.abs(x)
    if name == "airy_ai":
        return np.where(x < 0, ax**1.5, 1.0)
    return np.where(name.startswith("bessel"), np.maximum(ax, 1.0), 1.0)


@pytest.mark.parametrize("name", list(EXACT))
def test_accurate_against_mpmath_and_never_worse_than_torch(name):
    x = POINTS
    ours = getattr(glassnet.special, name)(glassnet.tensor(x, dtype=glassnet.float64)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    exact = np.array([float(EXACT[name](float(v))) for v in x])
    assert np.array_equal(np.isnan(ours), np.isnan(exact))
    finite = np.isfinite(exact)
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    e, o, t = exact[finite], ours[finite], theirs[finite]
    # 1e-12 relative, plus for the oscillating ones an absolute error of 16 eps per unit of
    # phase (the phase itself is rounded, and sums of O(100) terms of size 1 add ~10 eps)
    amplitude = np.maximum(np.abs(e), 1.0) if name.startswith("bessel") else np.abs(e)
    if name == "airy_ai":
        amplitude = np.where(x[finite] < 0, 0.6, np.abs(e))
    atol = 16 * EPS * _phase(name, x[finite]) * amplitude
    err = np.abs(o - e)
    assert np.all(err <= 1e-12 * np.abs(e) + atol + 1e-300), x[finite][np.argmax(err - atol)]
    assert np.all(err <= np.abs(t - e) + 1e-12 * np.abs(e) + atol)


@pytest.mark.parametrize("name", list(EXACT))
def test_edge_values_and_float32_match_torch(name):
    x = np.array([0.0, -1.0, np.inf, -np.inf, np.nan, 1.5])
    ours = getattr(glassnet.special, name)(glassnet.tensor(x, dtype=glassnet.float64)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12)
    x32 = np.linspace(0.1, 8, 20).astype("float32")
    o32 = getattr(glassnet.special, name)(glassnet.tensor(x32))
    t32 = getattr(torch.special, name)(torch.tensor(x32))
    assert o32.dtype == glassnet.float32
    # glassnet computes in float64 and rounds once; PyTorch evaluates in float32 arithmetic,
    # a few dozen float32 ulps (2^-24 = 6e-8 each) off at values of order 1
    o64 = getattr(glassnet.special, name)(glassnet.tensor(x32.astype("float64"))).numpy()
    np.testing.assert_array_equal(o32.numpy(), o64.astype("float32"))
    np.testing.assert_allclose(o32.numpy(), t32.numpy(), rtol=1e-5, atol=2e-6)


_RANGES = [(0.3, 1.9), (2.2, 9.0), (26.0, 40.0), (-9.0, -2.6)]
_REAL_FOR_NEGATIVE = ("airy_ai", "bessel_j0", "bessel_j1")  # the others are nan below 0


@pytest.mark.parametrize(
    "name, low, high",
    [(n, lo, hi) for n in EXACT for lo, hi in _RANGES if lo > 0 or n in _REAL_FOR_NEGATIVE],
)
def test_derivatives_by_finite_differences(name, low, high):
    check_finite_differences(
        [(12,)], getattr(glassnet.special, name), low=low, high=high, eps=1e-6, atol=1e-7
    )
