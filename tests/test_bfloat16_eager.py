"""bfloat16 tensors outside autocast compute as PyTorch's CPU bfloat16 does.

Oracle: the same bfloat16 values through torch on the CPU. Both sides compute elementwise ops
in float32 and round each result to bfloat16, and accumulate sums and matrix products in
float32 with one rounding at the end. What can differ is float32 noise (another summation
order, another exp/tanh implementation) that moves a value across a bfloat16 rounding
boundary: one bfloat16 ulp, relative 2**-7 (8 significant bits; a rounding itself is off by
at most half of that, 2**-8). Results near zero from cancelling sums get an absolute allowance
of the float32 noise of their terms.
"""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn

ULP = 2.0**-7  # bfloat16 spacing relative to the value (8 significant bits)
F32 = 2.0**-24  # float32 rounding, relative


def _pair(shape, seed, scale=1.0):
    """The same bfloat16 values as a glassnet tensor and a torch tensor."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale
    t = torch.from_numpy(x).to(torch.bfloat16)
    return glassnet.tensor(t.float().numpy()).to(glassnet.bfloat16), t


def _check(got, want, ulps=1, noise=0.0):
    """``got`` (glassnet, bfloat16) within ``ulps`` bfloat16 ulps of ``want`` (torch)."""
    assert got.dtype == glassnet.bfloat16, got.dtype
    assert want.dtype == torch.bfloat16
    g = got.detach().float().numpy().astype(np.float64)
    w = want.detach().float().numpy().astype(np.float64)
    assert g.shape == w.shape
    np.testing.assert_allclose(g, w, rtol=ulps * ULP, atol=noise)


ELEMENTWISE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: (a.abs() + 0.1).log(),
    "sqrt": lambda a, b: a.abs().sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "pow2": lambda a, b: a**2,
    "scalar": lambda a, b: a * 3.0 - 1.0,
    "maximum": lambda a, b: a.maximum(b),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_ops_round_each_result_to_bf16(name):
    (a, ta), (b, tb) = _pair((6, 7), 1), _pair((6, 7), 2)
    f = ELEMENTWISE[name]
    # one op in float32 then one rounding on both sides; exp/log/tanh implementations differ in
    # float32's last bits, which moves a result across a rounding boundary at most: one ulp
    _check(f(a, b), f(ta, tb), ulps=1)


REDUCTIONS = {
    "sum": lambda a: a.sum(),
    "sum_dim": lambda a: a.sum(1),
    "mean": lambda a: a.mean(),
    "mean_keepdim": lambda a: a.mean(0, keepdim=True),
    "max": lambda a: a.max(),
    # prod is the exception: torch rounds each product to bfloat16 (checked: float32
    # accumulation differs from it in 19 of 33 columns), and so does glassnet
    "prod_dim": lambda a: (a.abs() + 0.5).prod(0),
    "softmax": lambda a: a.softmax(-1),
    "log_softmax": lambda a: a.log_softmax(-1),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_accumulate_in_float32(name):
    a, ta = _pair((8, 33), 3)
    # float32 sums of 33..264 terms of size ~3 differ by order at ~n * 2**-24 * 3: the noise
    # allowance for results that cancel to near zero
    _check(REDUCTIONS[name](a), REDUCTIONS[name](ta), ulps=1, noise=264 * 3 * F32)


def test_a_long_sum_is_not_added_in_bf16():
    # 4096 ones: added in bfloat16 the sum would stop at 256 (256 + 1 rounds to 256)
    ones = glassnet.ones(4096, dtype=glassnet.bfloat16)
    assert ones.sum().item() == torch.ones(4096, dtype=torch.bfloat16).sum().item() == 4096.0
    assert ones.mean().item() == 1.0


def test_matmul_accumulates_in_float32_and_rounds_once():
    (a, ta), (b, tb) = _pair((5, 64), 4), _pair((64, 3), 5)
    noise = 64 * 4 * 4 * F32  # 64 products of magnitude <= ~4*4, float32 order differences
    _check(a @ b, ta @ tb, ulps=1, noise=noise)
    (c, tc), (d, td) = _pair((2, 5, 64), 6), _pair((2, 64, 3), 7)
    _check(c @ d, tc @ td, ulps=1, noise=noise)  # batched
    # 1024 products of 1 * (1 + 2**-7): bf16 accumulation would stall, float32 gives 1032
    x = glassnet.ones(1, 1024, dtype=glassnet.bfloat16)
    y = glassnet.full((1024, 1), 1 + 2**-7, dtype=glassnet.bfloat16)
    assert (x @ y).item() == 1032.0


def test_linear_forward_and_backward_match_torch_bf16():
    glassnet.manual_seed(0)
    layer = nn.Linear(48, 16).bfloat16()
    assert layer.weight.dtype == glassnet.bfloat16 and layer.bias.dtype == glassnet.bfloat16
    twin = torch.nn.Linear(48, 16).to(torch.bfloat16)
    with torch.no_grad():
        for name, p in twin.named_parameters():
            p.copy_(torch.from_numpy(getattr(layer, name).detach().float().numpy()))
    x, tx = _pair((10, 48), 8)
    x.requires_grad_()
    tx.requires_grad_()
    g, tg = _pair((10, 16), 9)
    out, tout = layer(x), twin(tx)
    # 48 products of size ~|x| |w| <= 4 * 0.15 plus the bias: float32 order noise
    _check(out, tout, ulps=2, noise=48 * 4 * F32)
    (out * g).sum().backward()
    (tout * tg).sum().backward()
    # each gradient is one float32-accumulated product rounded once (the output's rounding
    # and the bias's add are two roundings in the forward, so 2 ulps there)
    _check(x.grad, tx.grad, ulps=1, noise=16 * 4 * F32)
    _check(layer.weight.grad, twin.weight.grad, ulps=1, noise=10 * 16 * F32)
    _check(layer.bias.grad, twin.bias.grad, ulps=1, noise=10 * 4 * F32)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps, torch_: (torch.optim if torch_ else glassnet.optim).SGD(
            ps, lr=0.1, momentum=0.9
        ),
        lambda ps, torch_: (torch.optim if torch_ else glassnet.optim).AdamW(ps, lr=0.01),
    ],
    ids=["sgd_momentum", "adamw"],
)
def test_optimizer_steps_on_bf16_parameters_match_torch(make):
    glassnet.manual_seed(1)
    layer = nn.Linear(12, 4).bfloat16()
    twin = torch.nn.Linear(12, 4).to(torch.bfloat16)
    with torch.no_grad():
        for name, p in twin.named_parameters():
            p.copy_(torch.from_numpy(getattr(layer, name).detach().float().numpy()))
    initial = {n: p.detach().float().numpy().copy() for n, p in layer.named_parameters()}
    opt, topt = make(list(layer.parameters()), False), make(list(twin.parameters()), True)
    for step in range(3):
        x, tx = _pair((8, 12), 20 + step)
        opt.zero_grad()
        topt.zero_grad()
        layer(x).square().mean().backward()
        twin(tx).square().mean().backward()
        opt.step()
        topt.step()
    for name, p in twin.named_parameters():
        got = getattr(layer, name)
        assert got.dtype == glassnet.bfloat16
        # The parameters stay bfloat16: every step rounds p + update to bfloat16 (one
        # rounding on each side, maybe another for the update's own arithmetic); over 3 steps
        # the two sides may part by a few ulps of |p| where a rounding went the other way.
        _check(got.detach(), p.detach(), ulps=4, noise=1e-3)
        # and the steps moved them by far more than that allowance (the test would notice
        # an optimizer that skipped bfloat16 parameters)
        moved = np.abs(got.detach().float().numpy() - initial[name]).max()
        assert moved > 1e-2, (name, moved)
