"""Losses, normalisations, var/std, convolutions and average pooling on bfloat16 tensors outside
autocast.

glassnet widens the bfloat16 arguments to float32, computes there and rounds each result once
(``glassnet.ops.low_precision.bfloat16_in_float32``), forward and backward.

Two oracles, on the same bfloat16-representable inputs:
- torch in float64, its result rounded to bfloat16: computing in float32 and rounding once is
  within half an ulp of the exact value plus float32 noise, so within 1 bfloat16 ulp of the
  rounded exact value (relative 2**-7), plus an absolute float32-noise allowance where terms
  cancel towards zero.
- torch's own bfloat16 forward, within 2 ulps: its CPU kernels compute in float32 too, but some
  round one intermediate to bfloat16 first (half an ulp), then the result (another half).
  torch's bfloat16 *backward* rounds the output of every backward op, so its gradients can be
  many ulps from the exact ones where terms cancel; gradients are checked against float64 only.
"""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F

ULP = 2.0**-7  # bfloat16 spacing relative to the value (8 significant bits)
F32 = 2.0**-24


class _Twin:
    """One bfloat16-representable array as glassnet bfloat16, torch bfloat16 and torch float64."""

    def __init__(self, shape, seed, scale=1.0, grad=True):
        x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale
        self.bf16 = torch.from_numpy(x).to(torch.bfloat16)
        self.f64 = self.bf16.double()
        self.glass = glassnet.tensor(self.bf16.float().numpy()).to(glassnet.bfloat16)
        if grad:
            for t in (self.bf16, self.f64, self.glass):
                t.requires_grad_()


def _check(got, want, ulps=1, noise=0.0):
    """``got`` (glassnet bfloat16) within ``ulps`` bfloat16 ulps of ``want`` (torch; a float64
    ``want`` is rounded to bfloat16 first)."""
    assert got.dtype == glassnet.bfloat16, got.dtype
    g = got.detach().float().numpy().astype(np.float64)
    w = want.detach().to(torch.bfloat16).double().numpy()
    assert g.shape == w.shape
    np.testing.assert_allclose(g, w, rtol=ulps * ULP, atol=noise)


def _target(shape, seed, classes=None):
    """(glassnet, torch bfloat16, torch float64) targets: class indices, or values in [0, 1)."""
    rng = np.random.default_rng(seed)
    if classes is not None:
        y = torch.from_numpy(rng.integers(0, classes, shape))
        return glassnet.tensor(y.numpy()), y, y
    t = torch.from_numpy(rng.random(shape).astype(np.float32)).to(torch.bfloat16)
    return glassnet.tensor(t.float().numpy()).to(glassnet.bfloat16), t, t.double()


LOSSES = {
    "mse_loss": (lambda m, x, y: m.mse_loss(x, y), None),
    "l1_loss": (lambda m, x, y: m.l1_loss(x, y), None),
    "smooth_l1_loss": (lambda m, x, y: m.smooth_l1_loss(x, y, beta=0.5), None),
    "huber_loss": (lambda m, x, y: m.huber_loss(x, y, delta=0.7), None),
    "bce_with_logits": (lambda m, x, y: m.binary_cross_entropy_with_logits(x, y), None),
    "bce": (lambda m, x, y: m.binary_cross_entropy(x.sigmoid(), y), None),
    "kl_div": (lambda m, x, y: m.kl_div(x.log_softmax(-1), y, reduction="batchmean"), None),
    "cross_entropy": (lambda m, x, y: m.cross_entropy(x, y), 7),
    "cross_entropy_smoothed": (lambda m, x, y: m.cross_entropy(x, y, label_smoothing=0.1), 7),
    "nll_loss": (lambda m, x, y: m.nll_loss(x.log_softmax(-1), y), 7),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_on_bf16_match_torch(name):
    f, classes = LOSSES[name]
    x = _Twin((12, 7), 1)
    y, ty, ty64 = _target((12,) if classes else (12, 7), 2, classes)
    loss = f(F, x.glass, y)
    exact = f(torch.nn.functional, x.f64, ty64)
    # bce takes x.sigmoid() in bfloat16 first, a rounding of its own on both sides
    ulps = 2 if name == "bce" else 1
    _check(loss, exact, ulps=ulps)
    _check(loss, f(torch.nn.functional, x.bf16, ty), ulps=2)
    loss.backward()
    exact.backward()
    # each gradient element is a float32 expression of its own input rounded once; near-zero
    # values keep the float32 noise of a term ~1/numel. bce and kl_div pass through a bfloat16
    # intermediate (the sigmoid, the log-probabilities) on both the forward and the backward,
    # and the gradient (p - y) / numel cancels: it inherits up to an ulp of that intermediate,
    # 2**-7 / numel absolute, twice (forward value and backward product)
    composite = name in ("bce", "kl_div")
    noise = 2 * 2.0**-7 / (12 if name == "kl_div" else 84) if composite else 8 * F32
    _check(x.glass.grad, x.f64.grad, ulps=2 * ulps, noise=noise)


def test_a_bf16_model_trains_like_torch_in_bf16():
    # what the refusal used to stop: a bfloat16 model's loss and optimizer steps
    glassnet.manual_seed(0)
    model = glassnet.nn.Sequential(
        glassnet.nn.Linear(6, 8), glassnet.nn.LayerNorm(8), glassnet.nn.Linear(8, 3)
    ).bfloat16()
    twin = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 3)
    ).to(torch.bfloat16)
    twin.load_state_dict(
        {k: torch.from_numpy(v.float().numpy()) for k, v in model.state_dict().items()}
    )
    x = _Twin((16, 6), 0, grad=False)
    y = torch.from_numpy(np.arange(16) % 3)
    opt = glassnet.optim.SGD(model.parameters(), lr=0.5)
    topt = torch.optim.SGD(twin.parameters(), lr=0.5)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        topt.zero_grad()
        loss = F.cross_entropy(model(x.glass), glassnet.tensor(y.numpy()))
        tloss = torch.nn.functional.cross_entropy(twin(x.bf16), y)
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        losses.append((loss.item(), tloss.item()))
    assert loss.dtype == glassnet.bfloat16
    # Every step can round a weight the other way on the two sides (an ulp, 2**-7 relative),
    # and torch's backward rounds more often: the curves part slowly (on this data by about
    # 1% after 15 steps, 8% after 30, as the differences compound). 15 steps of ulp-sized
    # differences stay well within 10% of the loss, while a model whose bfloat16 steps were
    # lost would stay at the first loss (nearly twice the last).
    (first, _), (last, tlast) = losses[0], losses[-1]
    assert abs(last - tlast) < 0.1 * tlast, losses
    assert last < 0.7 * first, losses


NORMS = {
    "layer_norm": lambda m, x, w, b: m.layer_norm(x, (6,), w, b),
    "group_norm": lambda m, x, w, b: m.group_norm(x, 2, w, b),
    "rms_norm": lambda m, x, w, b: m.rms_norm(x, (6,), w),
    "rms_norm_eps": lambda m, x, w, b: m.rms_norm(x, (6,), w, eps=1e-3),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_normalisations_on_bf16_match_torch(name):
    x = _Twin((4, 6, 5) if name == "group_norm" else (4, 5, 6), 3)
    w, b = _Twin((6,), 4), _Twin((6,), 5)
    f = NORMS[name]
    out = f(F, x.glass, w.glass, b.glass)
    if name == "rms_norm":  # the default eps is the dtype's: bfloat16's in both
        exact = torch.nn.functional.rms_norm(x.f64, (6,), w.f64, eps=2.0**-7)
    else:
        exact = f(torch.nn.functional, x.f64, w.f64, b.f64)
    # values the shift b cancels to near zero keep the float32 noise of |x w| + |b| ~ 10
    _check(out, exact, noise=10 * 4 * F32)
    # torch's CPU rms_norm is a composite of bfloat16 ops (square, mean, add, rsqrt, two
    # products), each rounding by up to half an ulp: up to 3 ulps from it, 4 with our rounding
    ulps = 4 if name.startswith("rms_norm") else 2
    _check(out, f(torch.nn.functional, x.bf16, w.bf16, b.bf16), ulps=ulps, noise=10 * 4 * F32)
    g = _Twin(tuple(out.shape), 6, grad=False)
    (out.float() * g.glass.float()).sum().backward()
    (exact * g.f64).sum().backward()
    # float32 sums over the normalised dims and the batch of terms of size ~10 that cancel
    for got, want in ((x.glass.grad, x.f64.grad), (w.glass.grad, w.f64.grad)):
        _check(got, want, noise=120 * 10 * F32)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_bf16_matches_torch_with_its_running_statistics(training):
    x = _Twin((8, 3, 4, 4), 7, scale=2.0)
    w, b = _Twin((3,), 8), _Twin((3,), 9)
    stats = [_Twin((3,), seed, grad=False) for seed in (10, 11)]
    for t in (stats[1].bf16, stats[1].f64):
        t.abs_().add_(0.5)
    stats[1].glass = stats[1].glass.abs() + 0.5
    mean, var = stats[0].glass, stats[1].glass
    out = F.batch_norm(x.glass, mean, var, w.glass, b.glass, training=training, momentum=0.3)
    m64, v64 = stats[0].f64.clone(), stats[1].f64.clone()
    exact = torch.nn.functional.batch_norm(
        x.f64, m64, v64, w.f64, b.f64, training=training, momentum=0.3
    )
    _check(out, exact, noise=10 * 4 * F32)
    assert mean.dtype == var.dtype == glassnet.bfloat16
    # the new running statistics: one float32 blend each, rounded once
    _check(mean, m64, noise=8 * F32)
    _check(var, v64, noise=8 * F32)
    g = _Twin(tuple(out.shape), 12, grad=False)
    (out.float() * g.glass.float()).sum().backward()
    (exact * g.f64).sum().backward()
    # float32 sums over 128 values per channel of terms ~10 that cancel
    for got, want in ((x.glass.grad, x.f64.grad), (w.glass.grad, w.f64.grad)):
        _check(got, want, noise=128 * 10 * F32)
    _check(b.glass.grad, b.f64.grad, noise=128 * 4 * F32)


def test_batch_norm_layer_in_bf16_keeps_bf16_running_statistics():
    layer = glassnet.nn.BatchNorm1d(4).bfloat16()
    twin = torch.nn.BatchNorm1d(4).double()
    for step in range(3):
        x = _Twin((16, 4), 20 + step, scale=3.0, grad=False)
        _check(layer(x.glass), twin(x.f64), noise=10 * 4 * F32)
    assert layer.running_mean.dtype == glassnet.bfloat16
    # three blends, each rounded to bfloat16 here and exact in float64: the half-ulp roundings
    # add up over the three updates (1.5 ulps), and the blends shrink them; 2 ulps
    _check(layer.running_mean, twin.running_mean, ulps=2, noise=8 * F32)
    _check(layer.running_var, twin.running_var, ulps=2, noise=8 * F32)
    layer.eval()
    twin.eval()
    x = _Twin((5, 4), 30, grad=False)
    # the stored statistics are 2 ulps off at most; the output inherits that, plus its rounding
    _check(layer(x.glass), twin(x.f64), ulps=3, noise=10 * 4 * F32)


@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 1])
def test_var_and_std_on_bf16_accumulate_in_float32(fn, dim):
    x = _Twin((6, 40), 13, scale=3.0)
    args = () if dim is None else (dim,)
    got = getattr(x.glass, fn)(*args)
    exact = getattr(x.f64, fn)(*args)
    _check(got, exact)
    _check(got, getattr(x.bf16, fn)(*args), ulps=2)
    got.sum().backward()
    exact.sum().backward()
    # each element's gradient is (x - mean) / ((n - 1) var) or the like: a few float32
    # operations on values ~3, rounded once
    _check(x.glass.grad, x.f64.grad, noise=40 * 9 * F32)


@pytest.mark.parametrize("fn", ["logsumexp", "norm", "norm_p1"])
def test_logsumexp_and_norm_on_bf16_give_bf16_computed_in_float32(fn):
    """logsumexp and norm on bfloat16 tensors: bfloat16 results as torch's, added up in
    float32 (1 ulp of the float64 value; torch's own bf16 within 2), gradients likewise;
    an explicit dtype= still gives that dtype."""
    x = _Twin((6, 40), 17)
    call = {
        "logsumexp": lambda lib, t: lib.logsumexp(t, 1),
        "norm": lambda lib, t: lib.norm(t, dim=1),
        "norm_p1": lambda lib, t: lib.norm(t, p=1),
    }[fn]
    got, exact = call(glassnet, x.glass), call(torch, x.f64)
    _check(got, exact, noise=40 * 4 * F32 * float(exact.detach().abs().max()))
    _check(got, call(torch, x.bf16), ulps=2)
    got.sum().backward()
    exact.sum().backward()
    _check(x.glass.grad, x.f64.grad, ulps=2, noise=40 * 4 * F32)
    wide = glassnet.norm(x.glass.detach(), dtype=glassnet.float32)
    assert wide.dtype == glassnet.float32
    assert torch.norm(x.bf16.detach(), dtype=torch.float32).dtype == torch.float32


_SCAN_INPUTS = {  # 600 values each, so that a bfloat16 accumulator would drift far
    "cumsum": lambda r: 0.5 + np.abs(r),  # the running sum passes 256 near step 400
    "cumprod": lambda r: 1 + 0.01 * r,  # the running product stays of order 1
    "logcumsumexp": lambda r: r,
}


@pytest.mark.parametrize("fn", sorted(_SCAN_INPUTS))
def test_scans_on_bf16_accumulate_in_float32(fn):
    """The scans add up in float32 and round each result once, as PyTorch's CPU scans do: a
    bfloat16 running sum of values above 0.5 stalls at 256 (256 + 0.5 rounds back to 256).
    Against float64 (rounded once: 1 ulp, plus the float32 noise of 600 terms relative to the
    largest running value) and torch's own bfloat16 scan (2 ulps)."""
    r = np.random.default_rng(21).standard_normal(600).astype(np.float32)
    bf16 = torch.from_numpy(_SCAN_INPUTS[fn](r).astype(np.float32)).to(torch.bfloat16)
    f64 = bf16.double().requires_grad_()
    glass = glassnet.tensor(bf16.float().numpy()).to(glassnet.bfloat16).requires_grad_()
    got = getattr(glassnet, fn)(glass, 0)
    exact = getattr(torch, fn)(f64, 0)
    _check(got, exact, noise=600 * F32 * float(exact.detach().abs().max()))
    _check(got, getattr(torch, fn)(bf16, 0), ulps=2)
    got.sum().backward()
    exact.sum().backward()
    # the backward's reverse running sums, in float32 too, rounded once (and once more where
    # the forward's rounded output enters them: 2 ulps)
    _check(glass.grad, f64.grad, ulps=2, noise=600 * F32 * float(f64.grad.abs().max()))


@pytest.mark.parametrize(
    "values", [[1.25, 2.0], 1.25, [[0.1, -3.0], [1e-6, 7.0]], [1.0, 2.0], [12345.0, 0.5]]
)
def test_bf16_tensors_print_as_torch_prints_them(values):
    want = repr(torch.tensor(values).to(torch.bfloat16)).replace("torch.", "glassnet.")
    assert repr(glassnet.tensor(values).to(glassnet.bfloat16)) == want


CONV_POOL = {
    "conv2d": lambda m, x, w, b: m.conv2d(x, w, b, padding=1),
    "conv2d_stride_groups": lambda m, x, w, b: m.conv2d(x, w[:, :2], b, stride=2, groups=2),
    "conv_transpose2d": lambda m, x, w, b: m.conv_transpose2d(x, w.transpose(0, 1), b, stride=2),
    "avg_pool2d": lambda m, x, w, b: m.avg_pool2d(x, 3, stride=2, padding=1),
}


@pytest.mark.parametrize("name", sorted(CONV_POOL))
def test_convolution_and_average_pooling_on_bf16_add_up_in_float32(name):
    x = _Twin((2, 4, 9, 9), 40)
    w, b = _Twin((6, 4, 3, 3), 41, scale=0.3), _Twin((6,), 42)
    f = CONV_POOL[name]
    out = f(F, x.glass, w.glass, b.glass)
    exact = f(torch.nn.functional, x.f64, w.f64, b.f64)
    # a window's 36 products of size ~|x| |w| ~ 1 add up in float32 and round once; values the
    # bias cancels to near zero keep that sum's float32 noise
    _check(out, exact, noise=36 * 4 * F32)
    if name != "conv_transpose2d":
        # (torch's CPU bfloat16 conv_transpose2d rounds partial sums: up to 8 ulps from the
        # exact result here, so it is no oracle for the one-rounding result)
        _check(out, f(torch.nn.functional, x.bf16, w.bf16, b.bf16), ulps=2, noise=36 * 4 * F32)
    g = _Twin(tuple(out.shape), 43, grad=False)
    (out.float() * g.glass.float()).sum().backward()
    (exact * g.f64).sum().backward()
    # every gradient element is a float32 sum over the windows (or, for the weight, over the
    # batch and all positions: 2 * 81 terms ~ 4) that cancels, rounded once
    _check(x.glass.grad, x.f64.grad, noise=54 * 4 * F32)
    if name != "avg_pool2d":
        _check(w.glass.grad, w.f64.grad, noise=162 * 4 * F32)


def test_conv_layer_without_a_graph_computes_bf16_in_float32_too():
    # the layers' no-graph shortcuts step aside for bfloat16 and take the op
    glassnet.manual_seed(0)
    block = glassnet.nn.Sequential(
        glassnet.nn.Conv2d(3, 8, 3, padding=1), glassnet.nn.BatchNorm2d(8), glassnet.nn.ReLU()
    )
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU()
    )
    block[1].running_mean.copy_(glassnet.tensor(np.linspace(-0.5, 0.5, 8)))
    block[1].running_var.copy_(glassnet.tensor(np.linspace(0.5, 2.0, 8)))
    block = block.bfloat16().eval()
    # the twin holds the same (bfloat16-rounded) numbers, in float64
    twin.load_state_dict(
        {k: torch.from_numpy(v.float().numpy()) for k, v in block.state_dict().items()}
    )
    twin = twin.double().eval()
    x = _Twin((2, 3, 8, 8), 44, grad=False)
    with glassnet.no_grad():
        out = block(x.glass)
    # conv in float32 rounded to bfloat16, then batch norm in float32 rounded again: 2 roundings.
    # Where batch norm's shift cancels the conv output (|conv| up to ~2) towards zero, the
    # result keeps the conv rounding's absolute error, 2 * 2**-8, times 1 / sqrt(var) <= 1.42
    _check(out, twin(x.f64), ulps=2, noise=2 * 2.0**-8 * 1.42)
