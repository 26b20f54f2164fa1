"""F.pdist, F.affine_grid and F.grid_sample against PyTorch, with gradients to the input and
the grid (finite differences too)."""

import numpy as np
import pytest
import torch

import glassnet.nn.functional as F
from tests.helpers import check_op

TF = torch.nn.functional


@pytest.mark.parametrize("p", [2, 1, 3.5, float("inf")])
def test_pdist_matches_torch(p):
    check_op([(5, 3)], lambda x: F.pdist(x, p), lambda x: TF.pdist(x, p))


def test_pdist_p0_counts_differences():
    check_op([(4, 3)], lambda x: F.pdist(x, 0), lambda x: TF.pdist(x, 0), grad=False)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 2, 4)])
def test_affine_grid_matches_torch(align, size):
    k = len(size) - 2
    check_op(
        [(size[0], k, k + 1)],
        lambda t: F.affine_grid(t, size, align_corners=align),
        lambda t: TF.affine_grid(t, size, align_corners=align),
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_matches_torch(mode, padding_mode, align):
    r = np.random.default_rng(0)
    image = r.normal(size=(2, 3, 4, 5))
    # positions past the edges (|g| up to 1.6) exercise the padding; none sits on a pixel
    # boundary, where the bilinear derivative jumps, or a rounding tie for nearest
    grid = r.uniform(-1.6, 1.6, size=(2, 3, 6, 2))

    def run(fn):
        return lambda x, g: fn(x, g, mode=mode, padding_mode=padding_mode, align_corners=align)

    check_op([], run(F.grid_sample), run(TF.grid_sample), inputs=[image, grid])


def test_spatial_transformer_pipeline_matches_torch():
    r = np.random.default_rng(1)
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]]] * 2) + r.normal(
        scale=0.05, size=(2, 2, 3)
    )
    image = r.normal(size=(2, 2, 6, 6))

    def run(lib):
        def f(x, t):
            grid = lib.affine_grid(t, (2, 2, 5, 5), align_corners=False)
            return lib.grid_sample(x, grid, align_corners=False)

        return f

    check_op([], run(F), run(TF), inputs=[image, theta])
