"""Generated 2-D classification sets for quick experiments and pictures of decision boundaries.

Each takes ``n_samples`` (split evenly between the classes), ``noise`` (the std of Gaussian
jitter added to the points) and ``seed``; the same arguments always give the same points.
Inputs are float32 ``(N, 2)``, labels int64.

>>> from glassnet import datasets
>>> b = datasets.load("moons", n_samples=200, noise=0.1)
>>> b.x_train.shape, b.num_classes
((160, 2), 2)
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets.bundle import DatasetBundle, from_arrays


def _counts(n_samples, k):
    """``n_samples`` shared between ``k`` classes as evenly as possible."""
    return [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]


def _finish(name, x, y, rng, noise, test_size, seed, description):
    if noise:
        x = x + rng.normal(0.0, noise, size=x.shape)
    order = rng.permutation(len(x))
    return from_arrays(
        x[order].astype(np.float32),
        y[order].astype(np.int64),
        test_size=test_size,
        seed=seed,
        name=name,
        task="classification",
        description=description,
        feature_names=["x", "y"],
    )


def xor(n_samples=400, noise=0.1, seed=0, test_size=0.2) -> DatasetBundle:
    """Points in the four quadrants of [-1, 1]²; class 1 where x and y have opposite signs
    (not separable by a line: the classic case for a hidden layer)."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for q, m in enumerate(_counts(n_samples, 4)):
        sx, sy = (1, 1, -1, -1)[q], (1, -1, 1, -1)[q]
        pts = rng.uniform(0.05, 1.0, size=(m, 2)) * np.array([sx, sy])
        parts.append(pts)
        labels.append(np.full(m, int(sx != sy)))
    return _finish(
        "xor",
        np.concatenate(parts),
        np.concatenate(labels),
        rng,
        noise,
        test_size,
        seed,
        "XOR: class 1 where x and y have opposite signs",
    )


def moons(n_samples=400, noise=0.1, seed=0, test_size=0.2) -> DatasetBundle:
    """Two interleaving half circles of radius 1 (class 0 on top, class 1 below, shifted)."""
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n_samples, 2)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    x = np.concatenate(
        [
            np.stack([np.cos(t0), np.sin(t0)], 1),
            np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1),
        ]
    )
    y = np.repeat([0, 1], [n0, n1])
    return _finish("moons", x, y, rng, noise, test_size, seed, "two interleaving half moons")


def circles(n_samples=400, noise=0.05, seed=0, test_size=0.2, factor=0.5) -> DatasetBundle:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``."""
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1, got {factor}")
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n_samples, 2)
    t = rng.uniform(0, 2 * np.pi, n0 + n1)
    r = np.repeat([1.0, factor], [n0, n1])
    x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    y = np.repeat([0, 1], [n0, n1])
    return _finish(
        "circles",
        x,
        y,
        rng,
        noise,
        test_size,
        seed,
        f"two concentric circles, radii 1 and {factor}",
    )


def spirals(
    n_samples=400, noise=0.05, seed=0, test_size=0.2, classes=2, turns=1.5
) -> DatasetBundle:
    """``classes`` interleaved spiral arms from the centre out to radius 1 (``turns`` turns
    each); arm ``k`` is class ``k``."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for k, m in enumerate(_counts(n_samples, classes)):
        r = rng.uniform(0.05, 1.0, m)
        angle = 2 * np.pi * (turns * r + k / classes)
        parts.append(np.stack([r * np.cos(angle), r * np.sin(angle)], 1))
        labels.append(np.full(m, k))
    return _finish(
        "spirals",
        np.concatenate(parts),
        np.concatenate(labels),
        rng,
        noise,
        test_size,
        seed,
        f"{classes} interleaved spirals",
    )


def blobs(
    n_samples=400, noise=1.0, seed=0, test_size=0.2, centers=3, box=(-8.0, 8.0)
) -> DatasetBundle:
    """Gaussian clusters (std ``noise``) around ``centers`` random centres in ``box``²
    (or around the given ``(k, 2)`` array of centres); cluster ``k`` is class ``k``.
    The centres are kept in ``bundle.centers``."""
    rng = np.random.default_rng(seed)
    if np.ndim(centers) == 0:
        centers = rng.uniform(box[0], box[1], size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    counts = _counts(n_samples, len(centers))
    x = np.repeat(centers, counts, axis=0)
    y = np.repeat(np.arange(len(centers)), counts)
    b = _finish(
        "blobs",
        x,
        y,
        rng,
        noise,
        test_size,
        seed,
        f"{len(centers)} Gaussian blobs with std {noise}",
    )
    b.extra["centers"] = centers.astype(np.float32)
    return b
