"""Generated pictures of shapes (squares, circles, triangles) on a noisy background, for
segmentation and detection: small enough to train on a CPU in minutes, hard enough that a model
must learn shape, not colour (every shape gets a random colour).

``shapes_masks`` gives images and a class per pixel (0 background, 1 square, 2 circle,
3 triangle); ``shapes_boxes`` gives images, a box ``(x1, y1, x2, y2)`` per shape and its label
(0 square, 1 circle, 2 triangle, the index in ``SHAPES``). Box corners are pixel edges: a shape
covering columns 3..7 has ``x1 = 3``, ``x2 = 8``. The same ``seed`` gives the same pictures.

>>> from glassnet.datasets import shapes_boxes, shapes_masks
>>> images, masks = shapes_masks(4, size=32)
>>> images.shape, images.dtype, masks.shape, masks.dtype
((4, 3, 32, 32), dtype('float32'), (4, 32, 32), dtype('int64'))
>>> images, boxes, labels = shapes_boxes(2, size=64)
>>> images.shape, boxes[0].shape[1], labels[0].dtype
((2, 3, 64, 64), 4, dtype('int64'))
"""

from __future__ import annotations

import numpy as np

SHAPES = ("square", "circle", "triangle")


def _shape_mask(kind: int, cx: float, cy: float, r: float, size: int) -> np.ndarray:
    """Boolean mask of one shape, testing each pixel's centre."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    dx, dy = x - cx, y - cy
    if kind == 0:  # square of half-side r
        return (np.abs(dx) <= r) & (np.abs(dy) <= r)
    if kind == 1:  # circle of radius r
        return dx * dx + dy * dy <= r * r
    # triangle: apex at the top, base 2r wide at the bottom, height 2r
    depth = dy + r  # 0 at the apex, 2r at the base
    return (depth >= 0) & (depth <= 2 * r) & (np.abs(dx) <= depth / 2)


def _colour_against(rng, background):
    """A shape colour at least 0.35 from the background in some channel, so every shape stands
    out by more than the noise blurs."""
    while True:
        colour = rng.uniform(0.0, 1.0, size=3)
        if np.abs(colour - background).max() >= 0.35:
            return colour


def _picture(rng, size, max_shapes, radius, separate):
    """One picture: (clean image, list of (kind, shape mask)). With ``separate`` the shapes'
    boxes do not overlap (detection targets stay exact); otherwise later shapes cover earlier
    ones (segmentation masks take the top one)."""
    background = rng.uniform(0.0, 1.0, size=3)
    image = np.broadcast_to(background[:, None, None], (3, size, size)).copy()
    shapes, taken = [], np.zeros((size, size), dtype=bool)
    for _ in range(int(rng.integers(1, max_shapes + 1))):
        for _attempt in range(20):
            kind = int(rng.integers(0, len(SHAPES)))
            r = rng.uniform(*radius)
            cx, cy = rng.uniform(r + 1, size - r - 1, size=2)
            mask = _shape_mask(kind, cx, cy, r, size)
            if not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            footprint = np.zeros_like(taken)
            footprint[max(ys.min() - 1, 0) : ys.max() + 2, max(xs.min() - 1, 0) : xs.max() + 2] = (
                True
            )
            if separate and (footprint & taken).any():
                continue
            taken |= footprint
            image[:, mask] = _colour_against(rng, background)[:, None]
            shapes.append((kind, mask))
            break
    return image, shapes


def _noisy(rng, image, noise):
    return np.clip(image + rng.normal(0.0, noise, size=image.shape), 0.0, 1.0) if noise else image


def shapes_masks(n: int, size: int = 32, seed: int = 0, noise: float = 0.1, max_shapes: int = 3):
    """``(images, masks)``: float32 images ``(n, 3, size, size)`` in [0, 1] and int64 label maps
    ``(n, size, size)``: 0 background, 1 square, 2 circle, 3 triangle (``SHAPES[k - 1]``).
    Shapes may overlap; the one drawn last is on top, in the picture and in the mask.

    >>> images, masks = shapes_masks(8, size=32, seed=1)
    >>> sorted(set(masks.ravel().tolist())) == [0, 1, 2, 3]
    True
    """
    # The noise has its own stream, so the same seed draws the same shapes at any noise level.
    rng, noise_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    images = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        image, shapes = _picture(rng, size, max_shapes, (size / 10, size / 4), separate=False)
        for kind, mask in shapes:
            masks[i][mask] = kind + 1
        images[i] = _noisy(noise_rng, image, noise)
    return images, masks


def shapes_boxes(n: int, size: int = 64, seed: int = 0, noise: float = 0.1, max_shapes: int = 3):
    """``(images, boxes, labels)``: float32 images ``(n, 3, size, size)``; for each image a
    float32 ``(k, 4)`` array of ``(x1, y1, x2, y2)`` boxes (the shapes' pixel extents) and an
    int64 ``(k,)`` array of labels (``SHAPES[label]``). Boxes never overlap, so each box holds
    exactly one shape.

    >>> _, boxes, labels = shapes_boxes(1, size=64, seed=3)
    >>> len(boxes[0]) == len(labels[0]) >= 1
    True
    """
    # The noise has its own stream, so the same seed draws the same shapes at any noise level.
    rng, noise_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    images = np.empty((n, 3, size, size), dtype=np.float32)
    boxes, labels = [], []
    for i in range(n):
        image, shapes = _picture(rng, size, max_shapes, (size / 14, size / 6), separate=True)
        b = []
        for _, mask in shapes:
            ys, xs = np.nonzero(mask)
            b.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        boxes.append(np.asarray(b, dtype=np.float32).reshape(-1, 4))
        labels.append(np.asarray([kind for kind, _ in shapes], dtype=np.int64))
        images[i] = _noisy(noise_rng, image, noise)
    return images, boxes, labels
