"""F.pdist, F.affine_grid and F.grid_sample against PyTorch, with gradients to the input and
the grid (finite differences too)."""

import numpy as np
import pytest
import torch

import glassnet
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


def _grid_parity(image, grid, **kw):
    """float64 values and both gradients (input, grid) of glassnet against PyTorch. The ops
    are a handful of products and sums of O(1) numbers per output, so float64 rounding leaves
    ~1e-15 relative; 1e-10 absolute is ample margin and would catch any wrong weight or tap."""
    gi = glassnet.tensor(image, requires_grad=True)
    gg = glassnet.tensor(grid, requires_grad=True)
    ti = torch.tensor(image, requires_grad=True)
    tg = torch.tensor(grid, requires_grad=True)
    go = F.grid_sample(gi, gg, **kw)
    to = TF.grid_sample(ti, tg, **kw)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=0, atol=1e-10)
    weights = np.random.default_rng(7).normal(size=to.shape)
    (go * glassnet.tensor(weights)).sum().backward()
    (to * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(gi.grad.numpy(), ti.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(gg.grad.numpy(), tg.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bicubic_matches_torch(padding_mode, align):
    r = np.random.default_rng(2)
    image = r.normal(size=(2, 3, 5, 6))
    # |g| up to 1.8: taps fall outside on every side, several pixels deep, so each tap's own
    # clamp/reflection is exercised (not just the sampling point's)
    grid = r.uniform(-1.8, 1.8, size=(2, 4, 7, 2))
    _grid_parity(image, grid, mode="bicubic", padding_mode=padding_mode, align_corners=align)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_5d_matches_torch(mode, padding_mode, align):
    r = np.random.default_rng(3)
    image = r.normal(size=(2, 2, 3, 4, 5))
    # past the edges (|g| up to 1.6) for the padding; random points never hit a voxel boundary
    # (where the trilinear derivative jumps) or a rounding tie for nearest
    grid = r.uniform(-1.6, 1.6, size=(2, 3, 2, 4, 3))
    _grid_parity(image, grid, mode=mode, padding_mode=padding_mode, align_corners=align)


def test_grid_sample_5d_identity_grid_reads_the_volume():
    # an identity affine grid (align_corners=True) lands exactly on each voxel: output == input
    image = np.random.default_rng(4).normal(size=(1, 2, 3, 4, 2))
    theta = glassnet.tensor(np.eye(3, 4)[None])
    grid = F.affine_grid(theta, (1, 2, 3, 4, 2), align_corners=True)
    out = F.grid_sample(glassnet.tensor(image), grid, align_corners=True)
    np.testing.assert_allclose(out.numpy(), image, rtol=0, atol=1e-12)


def test_grid_sample_bicubic_5d_is_refused_as_in_torch():
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(
            glassnet.zeros(1, 1, 2, 2, 2),
            glassnet.zeros(1, 1, 1, 1, 3),
            mode="bicubic",
            align_corners=False,
        )
    with pytest.raises(RuntimeError):
        TF.grid_sample(
            torch.zeros(1, 1, 2, 2, 2),
            torch.zeros(1, 1, 1, 1, 3),
            mode="bicubic",
            align_corners=False,
        )


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize(
    "mode, shape, grid_shape",
    [
        ("bicubic", (1, 2, 1, 2), (1, 5, 6, 2)),  # a 1-pixel-high image: every tap reflects
        ("bilinear", (1, 2, 1, 2, 3), (1, 2, 3, 4, 3)),
        ("nearest", (1, 1, 2, 1, 3), (1, 2, 3, 4, 3)),
    ],
)
def test_grid_sample_tiny_inputs_far_outside_match_torch(
    padding_mode, align, mode, shape, grid_shape
):
    # |g| up to 3 on sides of 1 or 2 pixels: reflection folds each coordinate several times
    r = np.random.default_rng(5)
    image = r.normal(size=shape)
    grid = r.uniform(-3.0, 3.0, size=grid_shape)
    _grid_parity(image, grid, mode=mode, padding_mode=padding_mode, align_corners=align)
