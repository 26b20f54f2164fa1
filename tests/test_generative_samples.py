"""Sample-grid pictures (glassnet.viz.samples): images land in the grid where they should."""

import numpy as np

from glassnet.report import PNG_SIGNATURE
from glassnet.viz.samples import image_grid, save_image_grid, save_loss_curves, save_points


def test_image_grid_places_each_image_row_by_row():
    x = np.stack([np.full((1, 2, 3), i / 10) for i in range(5)])  # 5 images of 2x3
    g = image_grid(x, nrow=3, pad=1)
    assert g.shape == (2 * 3 + 1, 3 * 4 + 1)
    for i in range(5):
        r, c = divmod(i, 3)
        np.testing.assert_array_equal(g[1 + 3 * r : 3 + 3 * r, 1 + 4 * c : 4 + 4 * c], i / 10)
    assert np.all(g[0] == 0.3) and np.all(g[-3:, -4:] == 0.3)  # padding and the empty slot
    # flat (N, 64) images are square 8x8 and values are mapped from value_range to [0, 1]
    flat = image_grid(np.full((2, 64), -1.0), nrow=2, value_range=(-1, 1))
    assert flat.shape == (10, 19) and flat[1:9, 1:9].max() == 0


def test_the_pictures_are_pngs(tmp_path):
    rng = np.random.default_rng(0)
    save_image_grid(rng.uniform(size=(20, 1, 8, 8)), tmp_path / "g.png", title="samples")
    save_points(rng.normal(size=(50, 2)), rng.normal(size=(50, 2)), tmp_path / "p.png")
    save_loss_curves({"D": [1, 0.5], "G": [2, 1.5]}, tmp_path / "l.png")
    for name in ("g.png", "p.png", "l.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
