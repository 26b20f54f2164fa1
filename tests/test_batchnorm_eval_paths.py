"""Eval-mode batch norm (glassnet/ops/batch_norm.py) takes one of two layouts by size: small
inputs broadcast per-channel columns, large ones spread per-channel rows. Both against PyTorch,
forward and the gradients of input, weight and bias through the running statistics."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet.ops import normalization


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(1, 24, 4, 4), (3, 5, 7), (2, 8, 64, 72)])
def test_eval_batch_norm_matches_torch(shape, dtype):
    small = np.prod(shape) <= normalization._SMALL
    assert small == (shape != (2, 8, 64, 72))  # the cases cover both layouts
    rng = np.random.default_rng(0)
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    mean = rng.standard_normal(c).astype(dtype)
    var = (rng.random(c) + 0.5).astype(dtype)
    ours = [glassnet.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    gy = F.batch_norm(
        ours[0], glassnet.tensor(mean), glassnet.tensor(var), ours[1], ours[2], training=False
    )
    ty = torch.nn.functional.batch_norm(
        theirs[0], torch.tensor(mean), torch.tensor(var), theirs[1], theirs[2], training=False
    )
    weights = rng.standard_normal(shape).astype(dtype)  # a random weighted sum
    (gy * glassnet.tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    # a multiply-add per number; the weight and bias gradients sum up to 73728 products:
    # float64 stays far below 1e-10 relative, float32 (eps 6e-8) below 1e-4 over such sums
    tol = 1e-10 if dtype == "float64" else 1e-4
    pairs = [(gy, ty)] + [(o.grad, t.grad) for o, t in zip(ours, theirs)]
    for got, expected in pairs:
        got, expected = got.detach().numpy(), expected.detach().numpy()
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert np.abs(got - expected).max() <= tol * max(1.0, np.abs(expected).max())
