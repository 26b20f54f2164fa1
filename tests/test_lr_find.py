"""glassnet.train.lr_find: the sweep restores the model and optimizer exactly, and on a
quadratic whose stability limit is known its suggestions land below that limit."""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import nn, optim
from glassnet.train import lr_find


def _linreg(n=256, d=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, 1)) + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    # MSE's Hessian in the weights is 2/n X^T X; gradient descent on a quadratic converges
    # iff lr < 2 / lambda_max, fastest near 1 / lambda_max.
    lam = float(np.linalg.eigvalsh(2 * x.T.astype(np.float64) @ x / n).max())
    return glassnet.from_numpy(x), glassnet.from_numpy(y), lam


def test_weights_buffers_and_optimizer_state_restored_exactly():
    glassnet.manual_seed(0)
    x, y, _ = _linreg()
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(3):  # some optimizer state to keep
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = opt.state_dict()
    exp_avg = [s["exp_avg"].numpy().copy() for s in state["state"].values()]
    result = lr_find(model, nn.MSELoss(), opt, [(x[:128], y[:128]), (x[128:], y[128:])])
    assert len(result.lrs) > 10
    after = model.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(after[k].numpy(), v)  # exactly: a copy put back
    assert opt.param_groups[0]["lr"] == 3e-3
    for a, s in zip(exp_avg, opt.state_dict()["state"].values()):
        np.testing.assert_array_equal(s["exp_avg"].numpy(), a)
    assert model.training


def test_suggestions_below_the_stability_limit_of_a_quadratic():
    glassnet.manual_seed(0)
    x, y, lam = _linreg()
    model = nn.Linear(8, 1)
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [(x, y)])
    # the sweep reaches lr 10 > 2/lam (~0.7), so it must have stopped on the blow-up
    assert result.lrs[-1] < 10
    for value in (result.valley, result.steepest):
        # stable (< 2/lam) and not absurdly small: at 1e-3/lam, 100 steps barely move
        assert 1e-3 / lam < value < 2 / lam, (value, lam)


def test_smoothing_is_the_debiased_moving_average():
    glassnet.manual_seed(0)
    x, y, _ = _linreg()
    model = nn.Linear(8, 1)
    r = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [(x, y)], smooth=0.9)
    avg = 0.0
    for i, (raw, sm) in enumerate(zip(r.raw_losses, r.losses)):
        avg = 0.9 * avg + 0.1 * raw
        assert abs(sm - avg / (1 - 0.9 ** (i + 1))) <= 1e-12 * max(1.0, abs(sm))
    ratios = np.diff(np.log(r.lrs))  # exponential sweep: constant ratio 10/1e-7 per 99 steps
    np.testing.assert_allclose(ratios, np.log(1e8) / 99, rtol=1e-9)


def test_plot_writes_a_png(tmp_path):
    glassnet.manual_seed(0)
    x, y, _ = _linreg()
    model = nn.Linear(8, 1)
    r = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [(x, y)])
    r.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
