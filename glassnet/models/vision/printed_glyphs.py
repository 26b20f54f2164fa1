"""Generated 8x8 images of printed characters, drawn the way scikit-learn's digits were made.

The UCI handwritten digits behind ``sklearn.datasets.load_digits`` are 32x32 binary bitmaps
cut into 4x4 blocks, each pixel the count of ink in its block (0-16). This module renders
letters and digits from the fonts matplotlib ships (sans, serif, mono, bold, italic), each
with a random rotation, shear, aspect and offset and a random pen width, onto the same 32x32
grid and counts the blocks the same way, so the images look like the real digits' domain:
a large, varied source task for pre-training (``digits-transfer``).

>>> x, y = printed_characters(per_class=2, seed=0)
>>> x.shape, x.dtype, len(CHARACTERS), int(y.max()) + 1 == len(CHARACTERS)
((102, 1, 8, 8), dtype('float32'), 51, True)
>>> bool(0.0 <= x.min() and x.max() <= 1.0)
True
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require

# lower case only where its shape differs from the capital (c/C, o/O, s/S, ... left out)
CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghijmnqrty0123456789"

# (family, weight, style): all shipped inside matplotlib, so every machine draws the same shapes
FONTS = (
    ("DejaVu Sans", "normal", "normal"),
    ("DejaVu Sans", "bold", "normal"),
    ("DejaVu Sans", "normal", "oblique"),
    ("DejaVu Sans", "bold", "oblique"),
    ("DejaVu Serif", "normal", "normal"),
    ("DejaVu Serif", "bold", "normal"),
    ("DejaVu Sans Mono", "normal", "normal"),
    ("DejaVu Sans Mono", "bold", "normal"),
    ("STIXGeneral", "normal", "normal"),
    ("STIXGeneral", "bold", "italic"),
    ("cmss10", "normal", "normal"),
    ("cmtt10", "normal", "normal"),
)

_SIDE = 32  # the bitmap side of the UCI digits; 4x4 blocks give 8x8
_GRID = np.stack(np.meshgrid(np.arange(_SIDE) + 0.5, np.arange(_SIDE) + 0.5), -1).reshape(-1, 2)
_OUTLINES: dict = {}


def _outline(char, font):
    """The glyph's closed polygons, centred and scaled so its longer side is 1 (cached)."""
    key = (char, font)
    if key not in _OUTLINES:
        require("matplotlib", "viz")
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import TextPath

        family, weight, style = font
        prop = FontProperties(family=family, weight=weight, style=style)
        # size 100: curves are flattened to polygons at a tolerance of about one unit, so a
        # glyph one unit tall would lose its round parts (they would become chords)
        path = TextPath((0, 0), char, size=100.0, prop=prop)
        polygons = [p for p in path.to_polygons() if len(p) > 2]
        points = np.concatenate(polygons)
        low, high = points.min(0), points.max(0)
        centre, size = (low + high) / 2, (high - low).max()
        _OUTLINES[key] = [(p - centre) / size for p in polygons]
    return _OUTLINES[key]


def render(char, font, rng) -> np.ndarray:
    """One 8x8 float image in [0, 1] of ``char`` in ``font`` with a random pose and pen."""
    from matplotlib.path import Path

    angle = np.deg2rad(rng.uniform(-15, 15))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-0.3, 0.3)], [0.0, 1.0]])
    # 28 of 32 pixels tall, a little wider than the font (handwritten digits fill the box);
    # y is flipped: font outlines point up, image rows point down
    scale = np.diag([rng.uniform(0.9, 1.3) * 28, -rng.uniform(0.85, 1.0) * 28])
    matrix = rotate @ shear @ scale
    offset = _SIDE / 2 + rng.uniform(-1.5, 1.5, 2)
    inside = np.zeros(len(_GRID), bool)
    for polygon in _outline(char, font):
        # even-odd rule: a point inside the outer contour and a hole's contour is outside
        inside ^= Path(polygon @ matrix.T + offset).contains_points(_GRID)
    ink = inside.reshape(_SIDE, _SIDE)
    for _ in range(rng.integers(0, 3)):  # a wider pen: grow the ink one pixel each way
        grown = ink.copy()
        grown[1:] |= ink[:-1]
        grown[:-1] |= ink[1:]
        grown[:, 1:] |= ink[:, :-1]
        grown[:, :-1] |= ink[:, 1:]
        ink = grown
    # count the ink of each 4x4 block (0-16) as the UCI digits do, scaled to [0, 1]
    return ink.reshape(8, 4, 8, 4).sum((1, 3)) / 16.0


def printed_characters(per_class: int, seed: int = 0):
    """``per_class`` images of each of ``CHARACTERS`` as (x float32 (N, 1, 8, 8), y int64);
    label ``k`` is ``CHARACTERS[k]``, each image in a font drawn at random from ``FONTS``."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, char in enumerate(CHARACTERS):
        for _ in range(per_class):
            images.append(render(char, FONTS[rng.integers(len(FONTS))], rng))
            labels.append(label)
    return np.asarray(images, np.float32)[:, None], np.asarray(labels, np.int64)
