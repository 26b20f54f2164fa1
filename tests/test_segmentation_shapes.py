"""The generated shapes data (glassnet.datasets.shapes): masks and boxes agree with the pixels
actually drawn, and each label is the shape its pixels make (told apart by how much of its
bounding box a shape fills: square 1, circle pi/4, triangle 1/2)."""

import numpy as np
import pytest

from glassnet.datasets import shapes_boxes, shapes_masks
from glassnet.datasets.shapes import SHAPES

# Share of its bounding box a shape covers, from geometry; pixel rounding on shapes a few
# pixels across moves it by up to ~0.12 (a one-pixel rim on a 8-pixel box), well inside the
# gaps between the three values.
FILL = {"square": 1.0, "circle": np.pi / 4, "triangle": 0.5}


def drawn(image):
    """Pixels that differ from the background colour (the colour of the corner pixel's
    neighbourhood is not safe: take the most common colour)."""
    flat = image.reshape(3, -1).T
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return np.abs(image - background[:, None, None]).max(0) > 0


def test_masks_agree_with_the_drawn_pixels():
    images, masks = shapes_masks(30, size=32, seed=4, noise=0.0)
    assert images.min() >= 0 and images.max() <= 1
    for image, mask in zip(images, masks):
        np.testing.assert_array_equal(drawn(image), mask > 0)


def test_mask_labels_name_the_shape_drawn():
    images, masks = shapes_masks(60, size=32, seed=5, noise=0.0, max_shapes=1)
    for mask in masks:
        (kind,) = set(mask[mask > 0].tolist())
        ys, xs = np.nonzero(mask)
        fill = len(ys) / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1))
        assert abs(fill - FILL[SHAPES[kind - 1]]) < 0.12


def test_boxes_agree_with_the_drawn_pixels():
    images, boxes, labels = shapes_boxes(30, size=64, seed=6, noise=0.0)
    for image, b, lab in zip(images, boxes, labels):
        pixels = drawn(image)
        inside = np.zeros_like(pixels)
        assert b.dtype == np.float32 and len(b) == len(lab) >= 1
        for (x1, y1, x2, y2), kind in zip(b.astype(int), lab):
            region = pixels[y1:y2, x1:x2]
            ys, xs = np.nonzero(region)
            # the tightest box around the drawn pixels is the box given
            assert (ys.min(), xs.min(), ys.max() + 1, xs.max() + 1) == (0, 0, y2 - y1, x2 - x1)
            assert abs(region.mean() - FILL[SHAPES[kind]]) < 0.12
            inside[y1:y2, x1:x2] = True
        assert not (pixels & ~inside).any()  # nothing drawn outside the boxes


def test_seeded_and_noisy():
    a, ma = shapes_masks(3, seed=1)
    b, mb = shapes_masks(3, seed=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ma, mb)
    c, mc = shapes_masks(3, seed=2)
    assert not np.array_equal(mc, ma)
    clean, _ = shapes_masks(3, seed=1, noise=0.0)
    assert 0.05 < np.std(a - clean) < 0.15  # noise of std 0.1 (clipping at 0 and 1 trims it)


@pytest.mark.parametrize("size", [32, 48])
def test_other_sizes(size):
    images, boxes, labels = shapes_boxes(4, size=size, seed=0)
    assert images.shape == (4, 3, size, size)
    assert all((b[:, 2:] <= size).all() and (b[:, :2] >= 0).all() for b in boxes)
