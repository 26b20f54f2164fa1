"""Every scheduler gives PyTorch's learning rates epoch by epoch (and momentum for OneCycleLR),
also after a state_dict round trip in the middle."""

import math

import pytest
import torch

import glassnet
from glassnet import optim
from glassnet.optim import lr_scheduler as gls

SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.001
    ),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=31),
    "OneCycleLR-3phase-linear": lambda m, o: m.OneCycleLR(
        o,
        max_lr=[1.0, 0.5],
        epochs=3,
        steps_per_epoch=10,
        three_phase=True,
        anneal_strategy="linear",
    ),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.8)],
        milestones=[4],
    ),
}


def _trace(lib_sched, make_params, make_opt, build, steps=30, reload_at=12):
    params = make_params()
    opt = make_opt(params)
    sched = build(lib_sched, opt)
    lrs, moms = [], []
    for step in range(steps):
        if step == reload_at and not isinstance(sched, (gls.SequentialLR,)):
            state = sched.state_dict()
            sched.load_state_dict(state)
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g.get("momentum", 0.0) for g in opt.param_groups])
        opt.step()
        sched.step()
    return lrs, moms


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_pytorch(name):
    build = SCHEDULES[name]
    g = _trace(
        gls,
        lambda: [
            glassnet.nn.Parameter(glassnet.zeros(1)),
            glassnet.nn.Parameter(glassnet.zeros(1)),
        ],
        lambda ps: optim.SGD(
            [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=1.0, momentum=0.9
        ),
        build,
    )
    t = _trace(
        torch.optim.lr_scheduler,
        lambda: [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)],
        lambda ps: torch.optim.SGD(
            [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=1.0, momentum=0.9
        ),
        build,
    )
    for step, (mine, theirs) in enumerate(zip(g[0], t[0])):
        assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-15), f"lr at step {step}"
    for step, (mine, theirs) in enumerate(zip(g[1], t[1])):
        assert mine == pytest.approx(theirs, rel=1e-12), f"momentum at step {step}"


def test_reduce_on_plateau_matches_pytorch():
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.2, 0.2, 0.2, 0.2, 0.2]
    p = glassnet.nn.Parameter(glassnet.zeros(1))
    tp = torch.zeros(1, requires_grad=True)
    opt, topt = optim.SGD([p], lr=1.0), torch.optim.SGD([tp], lr=1.0)
    mine = gls.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, factor=0.5, patience=2, cooldown=1, min_lr=0.1
    )
    for m in metrics:
        mine.step(m)
        theirs.step(m)
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"])
    assert opt.param_groups[0]["lr"] < 1.0


def test_adam_betas_cycle_with_one_cycle():
    p = glassnet.nn.Parameter(glassnet.zeros(1))
    tp = torch.zeros(1, requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    s = gls.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=10)
    for _ in range(9):
        opt.step()
        topt.step()
        s.step()
        ts.step()
        assert opt.param_groups[0]["betas"][0] == pytest.approx(topt.param_groups[0]["betas"][0])
        assert math.isclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"], rel_tol=1e-12)
