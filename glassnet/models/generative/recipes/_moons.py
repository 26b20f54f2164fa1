"""The 2-D moons data the moons recipes learn, standardised for the networks."""

from __future__ import annotations

NOISE = 0.1


def moons(seed=0, n_samples=4000):
    """``(x_train, y_train, x_test, y_test, mean, std)``: the moons points and the
    per-coordinate mean and std the networks' inputs are standardised with."""
    from glassnet import datasets

    b = datasets.load("moons", n_samples=n_samples, noise=NOISE, seed=seed)
    mean, std = b.x_train.mean(0), b.x_train.std(0)
    return b.x_train, b.y_train, b.x_test, b.y_test, mean, std
