"""glassnet.amp against torch.amp: autocast's output dtypes on the CPU, GradScaler's scale
sequence, and a bfloat16 training run that follows the float32 one."""

from __future__ import annotations

import math

import ml_dtypes  # noqa: E402, F401
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.amp import GradScaler, autocast

BF16_EPS = 2.0**-7  # spacing of bfloat16 at 1 (8 significant bits); rounding error <= EPS / 2

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 6)).astype(np.float32)
W = rng.standard_normal((5, 6)).astype(np.float32)
B = rng.standard_normal(5).astype(np.float32)
IMG = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
K = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
SEQ = rng.standard_normal((2, 3, 8)).astype(np.float32)
K1 = rng.standard_normal((4, 3, 3)).astype(np.float32)
T = rng.standard_normal((4, 5)).astype(np.float32)
LABELS = np.array([0, 2, 4, 1])

# name -> (glassnet op, torch op) on the same data; each returns one tensor
_CASES = {
    "linear": lambda f, m, a: f.linear(a(X), a(W), a(B)),
    "matmul": lambda f, m, a: m.matmul(a(X), a(W).T),
    "mm": lambda f, m, a: m.mm(a(X), a(W).T),
    "bmm": lambda f, m, a: m.bmm(a(X)[None], a(W).T[None]),
    "conv2d": lambda f, m, a: f.conv2d(a(IMG), a(K)),
    "conv1d": lambda f, m, a: f.conv1d(a(SEQ), a(K1)),
    "relu(linear)": lambda f, m, a: f.relu(f.linear(a(X), a(W))),
    "tanh(linear)": lambda f, m, a: m.tanh(f.linear(a(X), a(W))),
    "linear+1.5": lambda f, m, a: f.linear(a(X), a(W)) + 1.5,
    "linear*fp32": lambda f, m, a: f.linear(a(X), a(W)) * a(T),
    "sum(linear)": lambda f, m, a: f.linear(a(X), a(W)).sum(),
    "mean(linear)": lambda f, m, a: f.linear(a(X), a(W)).mean(),
    "softmax(linear)": lambda f, m, a: f.softmax(f.linear(a(X), a(W)), dim=-1),
    "log_softmax(linear)": lambda f, m, a: f.log_softmax(f.linear(a(X), a(W)), dim=-1),
    "softmax(fp32)": lambda f, m, a: f.softmax(a(T), dim=-1),
    "layer_norm(linear)": lambda f, m, a: f.layer_norm(f.linear(a(X), a(W)), (5,)),
    "max_pool2d(conv)": lambda f, m, a: f.max_pool2d(f.conv2d(a(IMG), a(K)), 2),
    "mse_loss": lambda f, m, a: f.mse_loss(f.linear(a(X), a(W)), a(T)),
    "l1_loss": lambda f, m, a: f.l1_loss(f.linear(a(X), a(W)), a(T)),
    "smooth_l1_loss": lambda f, m, a: f.smooth_l1_loss(f.linear(a(X), a(W)), a(T)),
    "cross_entropy": lambda f, m, a: f.cross_entropy(f.linear(a(X), a(W)), a(LABELS)),
    "nll_loss": lambda f, m, a: f.nll_loss(f.log_softmax(f.linear(a(X), a(W)), 1), a(LABELS)),
    "bce_with_logits": lambda f, m, a: f.binary_cross_entropy_with_logits(
        f.linear(a(X), a(W)), a((T > 0).astype(np.float32))
    ),
    "linear_fp64": lambda f, m, a: f.linear(a(X.astype(np.float64)), a(W.astype(np.float64))),
}


def _glass(array):
    return glassnet.tensor(array)


def _torch(array):
    return torch.tensor(array)


@pytest.mark.parametrize("name", list(_CASES))
def test_autocast_cpu_output_dtypes_equal_torch(name):
    op = _CASES[name]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        want = op(TF, torch, _torch)
    with autocast("cpu", dtype=glassnet.bfloat16):
        got = op(F, glassnet, _glass)
    assert str(got.dtype).replace("glassnet.", "") == str(want.dtype).replace("torch.", "")
    # The values too: both round the inputs to bfloat16 and accumulate in float32, so what
    # differs is the float32 summation order and then one bfloat16 rounding of the result:
    # within 2 bfloat16 ulps of the value (relative 2 * EPS), plus float32 noise near 0.
    g = got.detach().float().numpy() if hasattr(got, "detach") else got
    w = want.detach().float().numpy()
    np.testing.assert_allclose(g, w, rtol=2 * BF16_EPS, atol=2 * BF16_EPS * np.abs(w).max())


def test_autocast_restores_and_nests_and_decorates():
    lin = nn.Linear(6, 5)
    x = glassnet.tensor(X)
    with autocast("cpu"):
        assert lin(x).dtype == glassnet.bfloat16
        with autocast("cpu", enabled=False):
            assert lin(x).dtype == glassnet.float32
        assert lin(x).dtype == glassnet.bfloat16
    assert lin(x).dtype == glassnet.float32
    assert F.mse_loss(lin(x), glassnet.tensor(T)).dtype == glassnet.float32

    @autocast("cpu", dtype=glassnet.bfloat16)
    def run():
        return lin(x)

    assert run().dtype == glassnet.bfloat16 and lin(x).dtype == glassnet.float32
    with pytest.raises(ValueError, match="bfloat16 or glassnet.float16"):
        autocast("cpu", dtype=glassnet.float64)


def test_autocast_gradients_reach_float32_parameters():
    # gradients of a bfloat16 forward arrive in the parameters' dtype, close to torch's
    g_lin = nn.Linear(6, 5)
    t_lin = torch.nn.Linear(6, 5)
    t_lin.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in g_lin.state_dict().items()}
    )
    with autocast("cpu"):
        F.mse_loss(g_lin(glassnet.tensor(X)), glassnet.tensor(T)).backward()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        TF.mse_loss(t_lin(torch.tensor(X)), torch.tensor(T)).backward()
    for name, p in g_lin.named_parameters():
        tp = dict(t_lin.named_parameters())[name]
        assert p.grad.dtype == glassnet.float32 and tp.grad.dtype == torch.float32
        # torch's backward runs its matmuls in bfloat16 and glassnet's in float32 on the
        # bfloat16-rounded values: a few bfloat16 roundings apart, 4 ulps relative
        np.testing.assert_allclose(
            p.grad.numpy(),
            tp.grad.numpy(),
            rtol=4 * BF16_EPS,
            atol=4 * BF16_EPS * np.abs(tp.grad.numpy()).max(),
        )


# ---- GradScaler --------------------------------------------------------------------------------
_GRADS = [1.0, 2.0, math.inf, 0.5, 0.5, 0.5, 0.5, math.nan, 1.0, 1.0, 1.0, -math.inf, 3.0, 1.0]


def test_grad_scaler_sequence_equals_torch():
    kw = dict(init_scale=2.0**10, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    g_w = nn.Parameter(glassnet.tensor([1.0, -2.0]))
    t_w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    g_opt, t_opt = glassnet.optim.SGD([g_w], lr=0.1), torch.optim.SGD([t_w], lr=0.1)
    g_s, t_s = GradScaler("cpu", **kw), torch.amp.GradScaler("cpu", **kw)
    seen = []
    for value in _GRADS:
        # the gradient backward of scaler.scale(loss) would give: value times the scale
        for w, s, make in ((g_w, g_s, glassnet.tensor), (t_w, t_s, torch.tensor)):
            loss = s.scale((w * make([value, 1.0])).sum())
            loss.backward()
        g_s.step(g_opt)
        t_s.step(t_opt)
        g_s.update()
        t_s.update()
        assert g_s.get_scale() == t_s.get_scale()
        assert g_s.state_dict() == t_s.state_dict()
        np.testing.assert_allclose(g_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-6)
        seen.append(g_s.get_scale())
        g_opt.zero_grad()
        t_opt.zero_grad()
    steps = list(zip(seen, seen[1:]))
    assert any(b > a for a, b in steps) and any(b < a for a, b in steps)  # grew and backed off


def test_grad_scaler_state_dict_roundtrip_and_errors():
    s = GradScaler("cpu", init_scale=4.0, growth_interval=7)
    t = GradScaler("cpu")
    t.load_state_dict(s.state_dict())
    assert (
        t.state_dict()
        == s.state_dict()
        == torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=7).state_dict()
    )
    w = nn.Parameter(glassnet.tensor([1.0]))
    opt = glassnet.optim.SGD([w], lr=0.1)
    s.scale(w.sum()).backward()
    s.unscale_(opt)
    np.testing.assert_array_equal(w.grad.numpy(), [1.0])
    with pytest.raises(RuntimeError, match="already been called"):
        s.unscale_(opt)


# ---- a bfloat16 training run ------------------------------------------------------------------
def _train(use_autocast, steps=60):
    glassnet.manual_seed(3)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.05)
    r = np.random.default_rng(1)
    x = r.standard_normal((64, 8)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype(np.float32)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with autocast("cpu", enabled=use_autocast):
            loss = F.mse_loss(model(glassnet.tensor(x)), glassnet.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


def test_bf16_training_follows_float32():
    full, low = _train(False), _train(True)
    assert not np.array_equal(full, low)  # autocast really changed the arithmetic
    assert low[-1] < 0.5 * low[0] and full[-1] < 0.5 * full[0]  # both learn
    # Each bfloat16 rounding is off by at most EPS/2 relative; the forward rounds the input,
    # the weights and the output of each of the 2 linears (6 roundings), so the prediction is
    # within ~3 EPS and the squared error within ~6 EPS; the trajectories then drift apart
    # by about as much again over the run: 12 EPS (9%) relative.
    np.testing.assert_allclose(low, full, rtol=12 * BF16_EPS)
