"""The digits quality figures (glassnet.models.generative.quality): the Fréchet distance against
scipy's matrix square root and the closed form for Gaussians, and the scorer's figures on real
digits, on noise and on a single repeated class (the cases whose answer is known)."""

import math

import numpy as np
import pytest
import scipy.linalg

from glassnet.models.generative.quality import (
    digits_scorer,
    entropy_bits,
    frechet_distance,
    gaussian_stats,
    to_digit_images,
)


def _random_cov(d, rng):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_matches_scipy_sqrtm():
    rng = np.random.default_rng(0)
    for d in (1, 3, 20):
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        s1, s2 = _random_cov(d, rng), _random_cov(d, rng)
        root = scipy.linalg.sqrtm(s1 @ s2).real
        expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * root)
        # float64 eigen-decompositions of well-conditioned 20x20 matrices: ~1e-10 relative
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_frechet_distance_closed_forms():
    # commuting (diagonal) covariances: |mu1-mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = 5.0 + (1 - 3) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)
    # the same Gaussian is at distance zero, however it is written: an isotropic covariance
    # is unchanged by a rotation R s R^T
    s = _random_cov(4, np.random.default_rng(1))
    assert frechet_distance(mu1[:1].repeat(4), s, mu1[:1].repeat(4), s) == pytest.approx(
        0, abs=1e-9
    )
    iso = 2.0 * np.eye(3)
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
    assert frechet_distance(mu1, iso, mu1, q @ iso @ q.T) == pytest.approx(0, abs=1e-9)


def test_frechet_distance_of_samples_approaches_the_closed_form():
    rng = np.random.default_rng(3)
    n, d = 200000, 2
    x = rng.normal(size=(n, d)) * np.array([1.0, 2.0])
    y = rng.normal(size=(n, d)) * np.array([3.0, 2.0]) + np.array([1.0, 0.0])
    # true value: 1 + (1-3)^2 + 0 = 5; the sample moments' errors are O(1/sqrt(n)) ~ 0.3%,
    # so 2% is over five standard errors
    got = frechet_distance(*gaussian_stats(x), *gaussian_stats(y))
    assert got == pytest.approx(5.0, rel=0.02)


def test_entropy_and_layouts():
    assert entropy_bits(np.arange(10)) == pytest.approx(math.log2(10), rel=1e-12)
    assert entropy_bits(np.zeros(7, dtype=int)) == 0.0
    assert entropy_bits(np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    x = np.random.default_rng(0).uniform(size=(3, 1, 8, 8)).astype(np.float32)
    big = np.kron(x, np.ones((1, 1, 2, 2), np.float32))
    np.testing.assert_allclose(to_digit_images(big), x, rtol=1e-6)
    np.testing.assert_array_equal(to_digit_images(x.reshape(3, 64)), x)
    with pytest.raises(ValueError, match="expected"):
        to_digit_images(np.zeros((2, 1, 7, 7)))


@pytest.fixture(scope="module")
def scorer():
    return digits_scorer()


def test_the_scorer_recognises_real_digits(scorer):
    # a DigitsCNN reaches ~98% on the digits; 95% leaves room for any CPU's rounding in training
    assert scorer.test_accuracy > 0.95
    real = scorer.score(scorer.x_test, scorer.y_test)
    assert real["confident"] > 0.9 and real["classes_seen"] == 10
    assert real["class_entropy"] > 3.25  # the test split's classes are nearly balanced
    assert real["class_accuracy"] == pytest.approx(scorer.test_accuracy)
    assert real["frechet"] == pytest.approx(0.0, abs=1e-6)  # the test images themselves


def test_the_scorer_separates_noise_and_collapse_from_real_digits(scorer):
    real = scorer.score(scorer.x_train[:360])
    noise = scorer.score(np.random.default_rng(0).uniform(size=(360, 64)))
    ones = scorer.score(scorer.x_train[scorer.y_train == 1][:100])
    assert noise["confident"] < real["confident"] - 0.3
    assert noise["frechet"] > 10 * real["frechet"]
    # one repeated class: confident, but no mode coverage and far from the real distribution
    assert ones["class_entropy"] == 0.0 and ones["classes_seen"] == 1
    assert ones["frechet"] > 10 * real["frechet"]
