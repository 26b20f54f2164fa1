"""Every optimizer follows PyTorch's trajectory step for step, including across a
state_dict save/load in the middle of training."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import optim
from tests.helpers import assert_close

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.002, momentum=0.9, nesterov=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.003, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("Adamax", dict(lr=0.02, weight_decay=0.1)),
    ("NAdam", dict(lr=0.02)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
]


def _loss_grad(lib, params, a, b):
    """A non-convex function of the parameters; returns nothing, leaves grads on params."""
    w, v = params
    y = w * w * a + (v * w).sin() * b + v * v * 0.3
    y.backward(lib.ones(tuple(y.shape), dtype=y.dtype))


def _run(lib, opt_name, kwargs, dtype, steps=30, reload_at=15):
    rng = np.random.default_rng(0)
    w0, v0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    a, b = rng.uniform(0.5, 1.5, size=(3, 4)), rng.uniform(-1, 1, size=(3, 4))
    if lib is torch:
        params = [torch.tensor(x.astype(dtype), requires_grad=True) for x in (w0, v0)]
        a_t, b_t = torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype))
        make = getattr(torch.optim, opt_name)
    else:
        params = [glassnet.nn.Parameter(glassnet.tensor(x.astype(dtype))) for x in (w0, v0)]
        a_t, b_t = glassnet.tensor(a.astype(dtype)), glassnet.tensor(b.astype(dtype))
        make = getattr(optim, opt_name)
    opt = make(params, **kwargs)
    history = []
    for step in range(steps):
        if step == reload_at:
            state = opt.state_dict()
            opt = make(params, **kwargs)
            opt.load_state_dict(state)
        opt.zero_grad()
        _loss_grad(lib, params, a_t, b_t)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_pytorch(name, kwargs, dtype):
    mine = _run(glassnet, name, kwargs, dtype)
    theirs = _run(torch, name, kwargs, dtype)
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)
    if name == "NAdam" and dtype == "float64":
        # PyTorch keeps NAdam's step count and mu_product as float32 scalars even for float64
        # parameters, so its momentum schedule carries float32 rounding (about 1e-8 relative).
        tol = dict(rtol=1e-6, atol=1e-8)
    for step, (m, t) in enumerate(zip(mine, theirs)):
        for i, (pm, pt) in enumerate(zip(m, t)):
            np.testing.assert_allclose(pm, pt, err_msg=f"{name} step {step} param {i}", **tol)


def test_state_dict_layout_matches_pytorch():
    p = glassnet.nn.Parameter(glassnet.ones(2))
    tp = torch.ones(2, requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    (p * p).backward(glassnet.ones(2))
    (tp * tp).backward(torch.ones(2))
    opt.step()
    topt.step()
    mine, theirs = opt.state_dict(), topt.state_dict()
    assert set(mine["state"][0]) == set(theirs["state"][0])
    assert_close(mine["state"][0]["exp_avg_sq"], theirs["state"][0]["exp_avg_sq"], "float32")
    assert mine["param_groups"][0]["params"] == theirs["param_groups"][0]["params"]
    assert set(mine["param_groups"][0]) <= set(theirs["param_groups"][0])


def test_param_groups_have_their_own_lr():
    a = glassnet.nn.Parameter(glassnet.ones(1))
    b = glassnet.nn.Parameter(glassnet.ones(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a * 1.0).backward(glassnet.ones(1))
    (b * 1.0).backward(glassnet.ones(1))
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)


def test_step_with_closure_returns_loss():
    w = glassnet.nn.Parameter(glassnet.tensor([3.0]))
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = w * w
        loss.backward(glassnet.ones(1))
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(9.0)
    assert w.item() == pytest.approx(3.0 - 0.1 * 6.0)


def test_bad_arguments_are_explained():
    w = glassnet.nn.Parameter(glassnet.ones(1))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_named_parameters_are_accepted_with_pytorch_state_layout():
    model = glassnet.nn.Linear(2, 1)
    twin = torch.nn.Linear(2, 1)
    opt = optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(twin.named_parameters(), lr=0.1, momentum=0.9)
    mine, theirs = opt.state_dict(), topt.state_dict()
    assert mine["param_groups"][0]["param_names"] == theirs["param_groups"][0]["param_names"]
    assert set(mine["param_groups"][0]) <= set(theirs["param_groups"][0])
    fresh = optim.SGD(model.named_parameters(), lr=0.5)
    fresh.load_state_dict(mine)
    assert fresh.param_groups[0]["lr"] == 0.1
