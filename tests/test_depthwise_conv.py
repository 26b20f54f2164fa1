"""The depthwise convolution fast path (glassnet/ops/depthwise_conv.py) against PyTorch: the
forward and the gradients of input, weight and bias in float64 over strides, paddings,
dilations and kernel shapes; float32; the gradient-free layer path; and the cases that keep
the general kernel (a channel multiplier, an unbatched input)."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.ops.depthwise_conv import DepthwiseConv

CASES = [
    # (N, C, H, W), (kh, kw), stride, padding, dilation
    ((2, 3, 7, 7), (3, 3), 1, 1, 1),
    ((2, 4, 9, 8), (3, 3), 2, 1, 1),
    ((1, 5, 10, 10), (5, 5), 2, 2, 1),
    ((2, 3, 9, 9), (3, 3), 1, 2, 2),
    ((2, 2, 8, 11), (3, 2), (2, 1), (1, 0), (1, 2)),
    ((3, 4, 6, 6), (1, 1), 1, 0, 1),
    ((1, 6, 8, 8), (3, 3), 1, "same", 1),
    ((2, 3, 5, 5), (5, 5), 1, 0, 1),  # the kernel as large as the input
]


def _run(case, dtype, bias=True, seed=0):
    shape, kernel, stride, padding, dilation = case
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c, 1, *kernel)).astype(dtype)
    b = rng.standard_normal(c).astype(dtype) if bias else None
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if bias else None
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups=c)
    weights = rng.standard_normal(tuple(ty.shape)).astype(dtype)  # a random weighted sum
    (ty * torch.tensor(weights)).sum().backward()
    gx = glassnet.tensor(x, requires_grad=True)
    gw = glassnet.tensor(w, requires_grad=True)
    gb = glassnet.tensor(b, requires_grad=True) if bias else None
    gy = F.conv2d(gx, gw, gb, stride, padding, dilation, groups=c)
    assert type(gy.grad_fn).__name__.startswith("DepthwiseConv")  # the fast path ran
    (gy * glassnet.tensor(weights)).sum().backward()
    pairs = [(gy, ty), (gx.grad, tx.grad), (gw.grad, tw.grad)]
    if bias:
        pairs.append((gb.grad, tb.grad))
    return [(ours.detach().numpy(), theirs.detach().numpy()) for ours, theirs in pairs]


@pytest.mark.parametrize("case", CASES)
def test_float64_forward_and_gradients_match_torch(case):
    for got, expected in _run(case, "float64"):
        assert got.shape == expected.shape
        # sums of at most 25 products per output, 25*N*H*W for the weight gradient: float64
        # rounding stays below 1e-13 relative; 1e-10 leaves a wide margin
        assert np.abs(got - expected).max() <= 1e-10 * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize("case", CASES[:3])
def test_float32_matches_torch(case):
    for got, expected in _run(case, "float32", bias=False):
        # float32 eps 6e-8 over sums of up to a few thousand terms (the weight gradient)
        assert np.abs(got - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max())


def test_layer_inference_path_uses_the_same_arithmetic():
    torch.manual_seed(0)
    twin = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8).double()
    layer = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8).to("float64")
    layer.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 8, 9, 9))
    with glassnet.no_grad():
        got = layer(glassnet.tensor(x)).numpy()
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("kind", ["multiplier", "unbatched"])
def test_other_grouped_convolutions_keep_the_general_kernel(kind):
    rng = np.random.default_rng(0)
    out = 8 if kind == "multiplier" else 4  # two filters per channel
    shape = (4, 6, 6) if kind == "unbatched" else (2, 4, 6, 6)
    x, w = rng.standard_normal(shape), rng.standard_normal((out, 1, 3, 3))
    y = F.conv2d(glassnet.tensor(x), glassnet.tensor(w, requires_grad=True), padding=1, groups=4)
    assert not type(y.grad_fn).__name__.startswith("DepthwiseConv")
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1, groups=4)
    assert np.abs(y.detach().numpy() - expected.numpy()).max() <= 1e-12


def test_only_the_inputs_that_need_it_get_gradients():
    x = glassnet.randn(1, 3, 5, 5, requires_grad=True)
    w = glassnet.randn(3, 1, 3, 3)
    y = DepthwiseConv.apply(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1))
    y.sum().backward()
    assert x.grad is not None and w.grad is None
    # each input pixel meets 9, 6 or 4 kernel taps with padding 1: its gradient sums them
    taps = w.numpy()[:, 0]
    assert np.isclose(x.grad.numpy()[0, 1, 2, 2], taps[1].sum(), rtol=1e-6)
    assert np.isclose(x.grad.numpy()[0, 1, 0, 0], taps[1, :2, :2].sum(), rtol=1e-6)


# Each image size picks one of three ways to compute the same sums (channels-last passes for at
# most _CHANNELS_LAST_PIXELS input pixels, else passes or a window contraction in
# (N, C, H, W) order); forcing the threshold runs every case through both families.
@pytest.mark.parametrize("layout", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_both_layouts_match_torch(case, layout, dtype, monkeypatch):
    import glassnet.ops.depthwise_conv as dw

    limit = 10**9 if layout == "channels_last" else -1
    monkeypatch.setattr(dw, "_CHANNELS_LAST_PIXELS", limit)
    # float64: sums of at most 25*N*H*W products round far below 1e-10 relative; float32
    # (eps 6e-8) over the weight gradient's few thousand terms stays below 1e-5
    tol = 1e-10 if dtype == "float64" else 1e-5
    for got, expected in _run(case, dtype):
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= tol * max(1.0, np.abs(expected).max())


@pytest.mark.parametrize(
    "case",
    [
        ((2, 3, 48, 48), (3, 3), 1, 1, 1),  # 2304 pixels, 4608 positions: the window contraction
        ((2, 3, 48, 48), (5, 5), 2, 2, 1),  # stride 2: contraction forward, passes backward
        ((1, 4, 20, 20), (3, 3), 1, 1, 2),  # dilated, 400 pixels: the NCHW passes
        ((3, 8, 15, 15), (3, 3), 1, 1, 1),  # 225 pixels: channels-last by default
    ],
)
def test_default_choice_for_each_image_size_matches_torch(case):
    for got, expected in _run(case, "float64"):
        assert np.abs(got - expected).max() <= 1e-10 * max(1.0, np.abs(expected).max())


def test_channels_last_inference_path_matches_torch():
    torch.manual_seed(1)
    twin = torch.nn.Conv2d(16, 16, 5, stride=2, padding=2, groups=16).double()
    layer = nn.Conv2d(16, 16, 5, stride=2, padding=2, groups=16).to("float64")
    layer.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 16, 8, 8))
    with glassnet.no_grad():
        got = layer(glassnet.tensor(x)).numpy()
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    # 25 products per output in float64
    assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("side", [5, 20])  # channels-last (25 pixels) and NCHW (400 pixels)
def test_weight_gradient_alone_matches_torch(side):
    # a frozen input (the first layer): only the weight's gradient is computed
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, side, side)), rng.standard_normal((3, 1, 3, 3))
    gw = glassnet.tensor(w, requires_grad=True)
    gx = glassnet.tensor(x)
    y = DepthwiseConv.apply(gx, gw, None, (2, 2), (1, 1, 1, 1), (1, 1))
    y.sum().backward()
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), tw, None, 2, 1, 1, 3).sum().backward()
    assert gx.grad is None
    # float64 sums of 2*side*side/4 products: far below 1e-10 relative
    assert np.abs(gw.grad.numpy() - tw.grad.numpy()).max() <= 1e-10 * np.abs(tw.grad.numpy()).max()
