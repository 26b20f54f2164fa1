"""glassnet's GradScaler against ``torch.amp.GradScaler("cpu")``, step by step: the same
parameters, the same scaled gradients (some with inf or nan), the same calls; after every
step the scale, the growth tracker, whether the optimizer step was skipped, and the
parameters must agree.

The gradients come from ``(w * x).sum()``, so each is one float32 product ``x * scale``,
and the optimizer is plain SGD with momentum: every number is one float32 multiply or add
that both frameworks round the same way, and the parameters are compared bit for bit.
Where gradient clipping enters, the total norm is a float32 reduction whose summation order
differs (4 terms: at most a few float32 roundings, 1e-6 relative).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn
from glassnet.amp import GradScaler

INF, NAN = math.inf, math.nan
X1 = np.array([0.5, -1.25, 2.0], dtype=np.float32)
X2 = np.array([3.0, -0.75], dtype=np.float32)
# per step: the factors the two parameters' gradients get multiplied by (before the scale)
STEPS = [
    (1.0, 1.0),
    (2.0, 1.0),
    (INF, 1.0),  # skipped, back off
    (0.5, 0.25),
    (0.5, 1.0),
    (1.5, 1.0),  # third finite step in a row: the scale grows
    (1.0, NAN),  # nan in the second parameter only: skipped
    (1.0, 1.0),
    (-INF, 1.0),
    (0.75, 0.5),
    (1.0, 1.0),
    (1.0, 2.0),  # grows again
    (1.0, 1.0),
]


class _Side:
    """One framework's parameters, optimizer and scaler."""

    def __init__(self, lib, scaler_cls, **kw):
        self.lib = lib
        param = lib.nn.Parameter if lib is torch else nn.Parameter
        self.w1 = param(lib.tensor(np.array([1.0, -2.0, 0.5], dtype=np.float32)))
        self.w2 = param(lib.tensor(np.array([0.25, 4.0], dtype=np.float32)))
        self.opt = lib.optim.SGD([self.w1, self.w2], lr=0.125, momentum=0.5)
        self.scaler = scaler_cls("cpu", **kw)

    def backward(self, f1, f2):
        lib = self.lib
        x1, x2 = lib.tensor(X1 * np.float32(f1)), lib.tensor(X2 * np.float32(f2))
        loss = (self.w1 * x1).sum() + (self.w2 * x2).sum()
        self.scaler.scale(loss).backward()

    def params(self):
        return [p.detach().numpy().copy() for p in (self.w1, self.w2)]

    def grads(self):
        return [p.grad.detach().numpy().copy() for p in (self.w1, self.w2)]

    def clip(self, max_norm):
        utils = torch.nn.utils if self.lib is torch else nn.utils
        return float(utils.clip_grad_norm_([self.w1, self.w2], max_norm))


def _pair(**kw):
    return _Side(glassnet, GradScaler, **kw), _Side(torch, torch.amp.GradScaler, **kw)


def _same_state(g, t):
    gs, ts = g.scaler, t.scaler
    assert gs.get_scale() == ts.get_scale()
    assert gs.state_dict() == ts.state_dict()  # scale, factors, interval, _growth_tracker
    assert gs.is_enabled() == ts.is_enabled()


def _step(g, t, f1, f2, *, unscale_clip=None):
    """One training step in both; returns whether each side's parameters stayed put."""
    before = [g.params(), t.params()]
    for side in (g, t):
        side.opt.zero_grad()
        side.backward(f1, f2)
        if unscale_clip is not None:
            side.scaler.unscale_(side.opt)
    if unscale_clip is not None:
        np.testing.assert_array_equal(g.grads()[0], t.grads()[0])
        np.testing.assert_array_equal(g.grads()[1], t.grads()[1])
        norms = [g.clip(unscale_clip), t.clip(unscale_clip)]
        if math.isfinite(norms[1]):
            assert norms[0] == pytest.approx(norms[1], rel=1e-6)
            for a, b in zip(g.grads(), t.grads()):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for side in (g, t):
        side.scaler.step(side.opt)
        side.scaler.update()
    after = [g.params(), t.params()]
    return [all(np.array_equal(a, b) for a, b in zip(x, y)) for x, y in zip(before, after)]


# growth/backoff factors that are powers of 2 keep every scale exact; 1.7 and 0.3 are not
# float32 numbers, so they test the rounding of the scale too (torch: float scale times the
# double factor, rounded once to float32)
FACTORS = [(2.0, 0.5, 2.0**10), (1.7, 0.3, 1000.0)]


@pytest.mark.parametrize(("growth", "backoff", "init"), FACTORS)
def test_scale_tracker_skips_and_parameters_equal_torch(growth, backoff, init):
    g, t = _pair(init_scale=init, growth_factor=growth, backoff_factor=backoff, growth_interval=3)
    _same_state(g, t)
    scales, skipped = [g.scaler.get_scale()], []
    for f1, f2 in STEPS:
        still = _step(g, t, f1, f2)
        assert still[0] == still[1]  # skipped in both or in neither
        skipped.append(still[1])
        _same_state(g, t)
        for a, b in zip(g.params(), t.params()):
            np.testing.assert_array_equal(a, b)
        scales.append(t.scaler.get_scale())
    # the sequence exercised what it is for: skips exactly at the non-finite steps, growth
    want_skips = [not (math.isfinite(f1) and math.isfinite(f2)) for f1, f2 in STEPS]
    assert skipped == want_skips
    assert any(b > a for a, b in zip(scales, scales[1:]))
    assert any(b < a for a, b in zip(scales, scales[1:]))


def test_unscale_then_clip_then_step_equals_torch():
    g, t = _pair(init_scale=2.0**8, growth_interval=3)
    for f1, f2 in [(4.0, 1.0), (1.0, INF), (8.0, 2.0), (0.25, 0.25), (1.0, 1.0), (NAN, 1.0)]:
        still = _step(g, t, f1, f2, unscale_clip=1.0)
        assert still[0] == still[1] == (not (math.isfinite(f1) and math.isfinite(f2)))
        _same_state(g, t)
        # the clipped gradients differ by the norm's rounding (1e-6 relative), so do the steps
        for a, b in zip(g.params(), t.params()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_unscale_twice_and_step_twice_raise_as_torch():
    g, t = _pair()
    for side in (g, t):
        side.backward(1.0, 1.0)
        side.scaler.unscale_(side.opt)
    for side in (g, t):
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            side.scaler.unscale_(side.opt)
        side.scaler.step(side.opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            side.scaler.step(side.opt)


def test_update_new_scale_equals_torch():
    g, t = _pair(init_scale=64.0, growth_interval=3)
    _step(g, t, 1.0, 1.0)
    _step(g, t, 1.0, 1.0)
    for side, value in ((g, 10.0), (t, 10.0)):
        side.opt.zero_grad()
        side.backward(1.0, 1.0)
        side.scaler.step(side.opt)
        side.scaler.update(value)  # a float new scale
    _same_state(g, t)
    assert t.scaler.get_scale() == 10.0
    for f1, f2 in [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (INF, 1.0)]:
        _step(g, t, f1, f2)
        _same_state(g, t)
    for a, b in zip(g.params(), t.params()):
        np.testing.assert_array_equal(a, b)


def test_state_dict_round_trip_equals_torch():
    kw = dict(init_scale=128.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
    g, t = _pair(**kw)
    for f1, f2 in [(1.0, 1.0), (1.0, 1.0), (INF, 1.0), (1.0, 1.0)]:
        _step(g, t, f1, f2)
    gd, td = g.scaler.state_dict(), t.scaler.state_dict()
    assert gd == td and td["_growth_tracker"] == 1
    # a fresh scaler with other settings takes them all over, in both frameworks
    g.scaler, t.scaler = GradScaler("cpu"), torch.amp.GradScaler("cpu")
    g.scaler.load_state_dict(gd)
    t.scaler.load_state_dict(td)
    _same_state(g, t)
    for f1, f2 in [(1.0, 1.0), (1.0, 1.0), (1.0, NAN), (1.0, 1.0)]:
        _step(g, t, f1, f2)
        _same_state(g, t)
    for a, b in zip(g.params(), t.params()):
        np.testing.assert_array_equal(a, b)
    # a disabled scaler saves nothing, and loading nothing is refused
    assert GradScaler("cpu", enabled=False).state_dict() == {}
    assert torch.amp.GradScaler("cpu", enabled=False).state_dict() == {}
    for fresh in (GradScaler("cpu"), torch.amp.GradScaler("cpu")):
        with pytest.raises(RuntimeError, match="empty"):
            fresh.load_state_dict({})


def test_disabled_scaler_equals_torch():
    g, t = _pair(enabled=False)
    _same_state(g, t)
    for side in (g, t):
        loss = (side.w1 * side.lib.tensor(X1)).sum()
        assert side.scaler.scale(loss) is loss  # not scaled at all
    for f1, f2 in [(1.0, 1.0), (2.0, 0.5)]:
        assert _step(g, t, f1, f2) == [False, False]  # every step is taken
        _same_state(g, t)
        assert t.scaler.get_scale() == 1.0
        for a, b in zip(g.params(), t.params()):
            np.testing.assert_array_equal(a, b)
    # a non-finite gradient is not checked when disabled: the step is taken (and spreads nan)
    assert _step(g, t, NAN, 1.0) == [False, False]
    for a, b in zip(g.params(), t.params()):
        np.testing.assert_array_equal(a, b)
