"""stochastic_depth (EfficientNet's residual-branch drop) against its definition: each example's
branch is kept with probability 1 - p and scaled by 1 / (1 - p); "batch" mode decides once."""

import math

import numpy as np
import torch
import torchvision.ops

import glassnet
from glassnet.models.vision.layers import StochasticDepth, stochastic_depth


def test_row_mode_drops_whole_examples_at_rate_p_and_scales_the_rest():
    glassnet.manual_seed(0)
    n, p = 4000, 0.3
    x = glassnet.ones(n, 3, 2, requires_grad=True)
    y = stochastic_depth(x, p, "row")
    out = y.detach().numpy().reshape(n, -1)
    rows_zero = (out == 0).all(1)
    assert ((out == 0) == rows_zero[:, None]).all()  # one decision per example
    # binomial(n, p): the dropped fraction lies within 5 standard deviations of p
    assert abs(rows_zero.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    # survivors carry 1 / (1 - p), as torchvision's noise.div_(1 - p) gives (float32: one ulp)
    want = torchvision.ops.stochastic_depth(torch.ones(1, 1), 0.0, "row")[0, 0].item() / (1 - p)
    np.testing.assert_allclose(out[~rows_zero], want, rtol=2**-22)
    y.sum().backward()  # the gradient is the mask itself
    np.testing.assert_array_equal(x.grad.numpy().reshape(n, -1), out)


def test_batch_mode_decides_once_for_the_batch():
    glassnet.manual_seed(1)
    kept = []
    for _ in range(400):
        out = stochastic_depth(glassnet.ones(5, 4), 0.5, "batch").numpy()
        assert (out == out.flat[0]).all()
        kept.append(out.flat[0] != 0)
    assert abs(np.mean(kept) - 0.5) < 5 * math.sqrt(0.25 / 400)


def test_identity_cases_match_torchvision():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for p, mode, training in [(0.0, "row", True), (0.5, "row", False), (0.5, "batch", False)]:
        got = stochastic_depth(glassnet.tensor(x), p, mode, training).numpy()
        want = torchvision.ops.stochastic_depth(torch.tensor(x), p, mode, training).numpy()
        np.testing.assert_array_equal(got, want)
    assert (stochastic_depth(glassnet.tensor(x), 1.0, "row").numpy() == 0).all()
    layer = StochasticDepth(0.5, "row").eval()
    np.testing.assert_array_equal(layer(glassnet.tensor(x)).numpy(), x)
