"""How good are generated 2-D moons? Measured against the two noiseless half circles.

The moons data (``glassnet.datasets.moons``) is two arcs of radius 1, the upper one centred at
(0, 0) and the lower one at (1, 0.5), plus Gaussian noise. Generated points are scored by:

- ``on_moons``: the fraction within ``3 * noise`` of an arc (real points: ~99%, the
  three-sigma share of the noise's normal component);
- ``moon_entropy``: the entropy, in bits, of how points split between the two arcs (1 when
  half and half: both modes covered);
- ``frechet``: the Fréchet distance between Gaussians fitted to generated and real test
  points (``frechet_real``: the same for as many real training points, the floor);
- ``moon_accuracy`` (conditional models): the fraction nearest the asked-for arc.

>>> import numpy as np
>>> arc_distances(np.array([[0.0, 1.0], [1.0, -0.5], [3.0, 0.5]])).round(3).tolist()
[[0.0, 0.5], [0.5, 0.0], [2.041, 1.0]]
"""

from __future__ import annotations

import numpy as np

from glassnet.models.generative.quality import entropy_bits, frechet_distance, gaussian_stats


def _arc_distance(q, lower_half, ends):
    """Distance of points ``q`` (relative to the centre) to the unit half circle on the side
    ``q_y >= 0`` (or ``<= 0`` when ``lower_half``), ``ends`` its two end points."""
    r = np.hypot(q[:, 0], q[:, 1])
    inside = q[:, 1] <= 0 if lower_half else q[:, 1] >= 0
    to_ends = np.min([np.hypot(*(q - e).T) for e in ends], axis=0)
    return np.where(inside, np.abs(r - 1.0), to_ends)


def arc_distances(points) -> np.ndarray:
    """``(N, 2)`` points -> ``(N, 2)`` distances to the upper and to the lower moon."""
    p = np.asarray(points, np.float64)
    up = _arc_distance(p, False, [np.array([1.0, 0.0]), np.array([-1.0, 0.0])])
    low = _arc_distance(
        p - np.array([1.0, 0.5]), True, [np.array([1.0, 0.0]), np.array([-1.0, 0.0])]
    )
    return np.stack([up, low], 1)


def score_moons(points, real_test, real_train, noise, labels=None) -> dict:
    """The quality figures of generated ``points`` (see the module docstring)."""
    points = np.asarray(points, np.float64)
    d = arc_distances(points)
    nearest = d.argmin(1)
    n = len(points)
    out = {
        "on_moons": float((d.min(1) <= 3 * noise).mean()),
        "moon_entropy": entropy_bits(nearest, 2),
        "frechet": frechet_distance(*gaussian_stats(points), *gaussian_stats(real_test)),
        "frechet_real": frechet_distance(
            *gaussian_stats(np.asarray(real_train)[:n]), *gaussian_stats(real_test)
        ),
    }
    if labels is not None:
        out["moon_accuracy"] = float((nearest == np.asarray(labels)).mean())
    return out
