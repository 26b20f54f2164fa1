"""Gradient attributions: how much each input feature moves one output.

``target`` picks the output: a class index (an int, or one per sample), or None for a model
with one output per sample. The score is summed over the batch before differentiating, which
gives every sample its own gradient because samples do not interact in eval mode.

>>> import glassnet
>>> from glassnet import nn
>>> m = nn.Linear(2, 1)
>>> x = glassnet.tensor([[1.0, 2.0]])
>>> ig = integrated_gradients(m, x, steps=10)
>>> bool(abs(ig.sum() - (m(x) - m(glassnet.zeros(1, 2))).item()) < 1e-5)  # linear: exact
True
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import to_numpy


def _score(out, target):
    import glassnet

    if target is None:
        return out.sum()
    if isinstance(target, int):
        return out[:, target].sum()
    idx = glassnet.as_tensor(np.asarray(target, dtype=np.int64))
    return out.gather(1, idx.view(-1, 1)).sum()


def _input_grad(model, x, target):
    import glassnet

    x = x.detach().clone().requires_grad_(True)
    with glassnet.enable_grad():
        out = model(x)
        (g,) = glassnet.autograd.grad(_score(out, target), x)
    return g


def _eval(model):
    was = model.training
    model.eval()
    return was


def saliency(model, x, target=None, abs=True):
    """The gradient of the target output with respect to the input (Simonyan et al. 2013);
    its absolute value with ``abs=True`` (as Captum's Saliency)."""
    was = _eval(model)
    try:
        g = to_numpy(_input_grad(model, x, target)._data)
    finally:
        model.train(was)
    return np.abs(g) if abs else g


def smoothgrad(model, x, target=None, samples=25, sigma=0.15, seed=0, abs=False):
    """The mean gradient over ``samples`` noisy copies of ``x`` (Smilkov et al. 2017), noise
    std ``sigma`` times the input's range (max - min) per sample."""
    import glassnet

    rng = np.random.default_rng(seed)
    a = to_numpy(x._data)
    span = a.max(axis=tuple(range(1, a.ndim)), keepdims=True) - a.min(
        axis=tuple(range(1, a.ndim)), keepdims=True
    )
    was = _eval(model)
    total = np.zeros_like(a, dtype=np.float64)
    try:
        for _ in range(samples):
            noisy = a + rng.normal(size=a.shape) * sigma * span
            g = to_numpy(_input_grad(model, glassnet.tensor(noisy.astype(a.dtype)), target)._data)
            total += np.abs(g) if abs else g
    finally:
        model.train(was)
    return total / samples


def _path(method, steps):
    """Points in [0, 1] and their weights (summing to 1) for the path integral."""
    if method == "trapezoid":
        alphas = np.linspace(0.0, 1.0, steps)
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2  # the trapezoid rule's end points
    elif method == "middle":
        alphas = (np.arange(steps) + 0.5) / steps
        weights = np.full(steps, 1.0 / steps)
    elif method == "gausslegendre":
        nodes, w = np.polynomial.legendre.leggauss(steps)
        alphas, weights = 0.5 * (nodes + 1), 0.5 * w  # from [-1, 1] to [0, 1]
    else:
        raise ValueError(
            f"integrated_gradients: method must be 'trapezoid', 'middle' or 'gausslegendre', "
            f"got {method!r}"
        )
    return alphas, weights


def integrated_gradients(model, x, target=None, baseline=None, steps=50, method="trapezoid"):
    """Integrated Gradients (Sundararajan et al. 2017): ``(x - baseline)`` times the mean
    gradient along the straight path from the baseline (zeros by default) to ``x``, by the
    trapezoid rule on ``steps`` points ('middle': the midpoint rule; 'gausslegendre':
    Gauss-Legendre quadrature). Completeness: the attributions of a sample sum to
    ``f(x) - f(baseline)`` up to the quadrature's error (O(1/steps^2) for the trapezoid)."""
    import glassnet

    a = to_numpy(x._data)
    b = (
        np.zeros_like(a)
        if baseline is None
        else to_numpy(
            baseline._data if hasattr(baseline, "_data") else np.asarray(baseline, dtype=a.dtype)
        )
    )
    alphas, weights = _path(method, steps)
    was = _eval(model)
    total = np.zeros_like(a, dtype=np.float64)
    try:
        for alpha, w in zip(alphas, weights):
            point = glassnet.tensor((b + alpha * (a - b)).astype(a.dtype))
            total += w * to_numpy(_input_grad(model, point, target)._data)
    finally:
        model.train(was)
    return (a - b) * total
