"""The rank-one shortcut of the separable map behind adaptive average pooling and resizing
(glassnet/ops/separable_map.py, ``_separable_rank_one``): global average pooling (both maps one row),
its adjoint and upsampling from one pixel (both one column), and the mixed shapes that must keep
the general two-product path, all against PyTorch, forward and input gradients."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F


def _compare(shape, fn_ours, fn_torch, dtype, tol):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    gx, tx = glassnet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = fn_ours(gx), fn_torch(tx)
    weights = rng.standard_normal(tuple(ty.shape)).astype(dtype)  # a random weighted sum
    (gy * glassnet.tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    for ours, theirs in [(gy, ty), (gx.grad, tx.grad)]:
        ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.abs(ours - theirs).max() <= tol * max(1.0, np.abs(theirs).max())


# float64: means of at most a few hundred numbers round below 1e-14; float32 (eps 6e-8) below
# 1e-6 relative over such sums
TOL = {"float64": 1e-12, "float32": 1e-5}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(2, 5, 7, 6), (3, 4, 1, 1), (4, 9, 9), (1, 3, 1, 8)])
def test_global_average_pool_matches_torch(shape, dtype):
    _compare(
        shape,
        lambda x: F.adaptive_avg_pool2d(x, 1),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 1),
        dtype,
        TOL[dtype],
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mixed_row_and_column_maps_keep_the_general_path(dtype):
    # height 1 -> 3 (a (3, 1) map: one column) and width 8 -> 1 (a (1, 8) map: one row)
    _compare(
        (2, 3, 1, 8),
        lambda x: F.adaptive_avg_pool2d(x, (3, 1)),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, (3, 1)),
        dtype,
        TOL[dtype],
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_upsampling_one_pixel_matches_torch(mode):
    kw = {"align_corners": False} if mode == "bilinear" else {}
    _compare(
        (2, 3, 1, 1),
        lambda x: F.interpolate(x, size=(4, 5), mode=mode, **kw),
        lambda x: torch.nn.functional.interpolate(x, size=(4, 5), mode=mode, **kw),
        "float64",
        TOL["float64"],
    )
