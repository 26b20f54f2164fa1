"""Gradients and activations: exploding and vanishing gradients, dead ReLUs, saturated units."""

from __future__ import annotations

import math

from glassnet.doctor.finding import Finding
from glassnet.doctor.rules.helpers import _codes, _last_leaf, _median, _pct, ref
from glassnet.doctor.rules.thresholds import (
    DEAD_FRACTION,
    EXPLODING_NORM,
    EXPLODING_RATIO,
    SATURATED_FRACTION,
    VANISHING_RATIO,
)


def _depth_ratio(rec):
    paths = [p for p in rec.layer_order if rec.grads.get(p)]
    if len(paths) < 3:
        return None
    first, last = paths[0], paths[-1]
    ratios = [
        a / b for a, b in zip(rec.grads[first], rec.grads[last]) if b > 0 and math.isfinite(a / b)
    ]
    return (first, last, _median(ratios)) if ratios else None


def _exploding(rec, model, found):
    codes = _codes(found)
    norms = [(s, n) for s, n in rec.grad_norms if math.isfinite(n)]
    if not norms:
        return None
    step, peak = max(norms, key=lambda sn: sn[1])
    start = norms[0][1]
    growth = peak / start if start > 0 else float("inf")
    depth = _depth_ratio(rec)
    # Large from the first step: the set-up (init, recurrence) makes them large. Growing
    # later: only when neither a too-high learning rate nor unscaled inputs explain it.
    explained = codes & {"lr_too_high", "unscaled_inputs"}
    if start > EXPLODING_NORM or (
        not explained and (peak > EXPLODING_NORM or (growth > EXPLODING_RATIO and peak > 10))
    ):
        return Finding(
            "exploding_gradients",
            f"the gradient norm reached {peak:.3g} at step {step} (it started at {start:.3g})",
            "clip the gradient norm: Trainer(..., grad_clip=1.0) (or nn.utils."
            "clip_grad_norm_(model.parameters(), 1.0) before optimizer.step()); for RNNs also "
            "prefer nn.LSTM/nn.GRU and a smaller init of the recurrent weights; for deep nets "
            "nn.init.kaiming_normal_",
            step=step,
            numbers={"peak_norm": peak, "first_norm": start},
        )
    if depth is not None and depth[2] > EXPLODING_RATIO:
        first, last, r = depth
        return Finding(
            "exploding_gradients",
            f"gradients grow through depth: {first} gets {r:.3g}x the gradient of {last}",
            "use nn.init.kaiming_normal_/xavier_normal_ for the weights, add normalisation "
            "(nn.BatchNorm1d/LayerNorm) and clip: Trainer(..., grad_clip=1.0)",
            layer=first.rsplit(".", 1)[0],
        )
    return None


def _vanishing(rec, model, found):
    if _codes(found) & {"dead_relu", "nan"}:
        return None  # silent units have zero gradients for another reason
    depth = _depth_ratio(rec)
    if depth is None or depth[2] >= VANISHING_RATIO:
        return None
    first, last, r = depth
    kinds = set(rec.kinds.values())
    act = "sigmoid/tanh " if kinds & {"sigmoid", "tanh"} else ""
    return Finding(
        "vanishing_gradients",
        f"the first weight ({first}) gets {r:.2g}x the RMS gradient of the last ({last}), "
        f"median over {len(rec.grads[first])} sampled steps",
        f"replace the {act}activations by nn.ReLU() with nn.init.kaiming_normal_(layer.weight, "
        "nonlinearity='relu') for each Linear, add nn.BatchNorm1d(width) after each hidden "
        "Linear, or add skip connections",
        layer=first.rsplit(".", 1)[0],
        numbers={"ratio": r},
    )


def _previous_layer(rec, path):
    prev = None
    for p, _ in rec.call_order:
        if p == path:
            return prev
        prev = p
    return None


def _worst_layer(rec, fractions, threshold, skip=None):
    """The layer whose median fraction is highest and at least ``threshold``, that median, and
    Python for the layer before it (the one to re-initialise); None when no layer reaches it."""
    worst = None
    for path, fracs in fractions.items():
        if path == skip:
            continue
        m = _median(fracs)
        if m >= threshold and (worst is None or m > worst[1]):
            worst = (path, m)
    if worst is None:
        return None
    prev = _previous_layer(rec, worst[0])
    return (*worst, ref(prev) if prev else "the layer before it")


def _dead(rec, model, found):
    # the second half of the sampled steps: the state the run settled in, not its start
    second_half = {path: fracs[len(fracs) // 2 :] for path, fracs in rec.dead.items()}
    worst = _worst_layer(rec, second_half, DEAD_FRACTION)
    if worst is None:
        return None
    path, m, target = worst
    return Finding(
        "dead_relu",
        f"{_pct(m)} of the units of ReLU {path!r} output 0 for every sample of a batch "
        "(median over the second half of the sampled steps)",
        f"re-initialise {target}: nn.init.kaiming_normal_({target}.weight, nonlinearity='relu'); "
        f"nn.init.zeros_({target}.bias); or use nn.LeakyReLU(0.01), or a lower learning rate",
        layer=path,
        numbers={"dead_fraction": m},
    )


def _saturated(rec, model, found):
    last, _ = _last_leaf(rec)  # skipped: an output sigmoid may rightly be sure of itself
    worst = _worst_layer(rec, rec.saturated, SATURATED_FRACTION, skip=last)
    if worst is None:
        return None
    path, m, target = worst
    return Finding(
        "saturated_activation",
        f"{_pct(m)} of the outputs of {rec.kinds[path]} {path!r} are within 0.01 of its limits",
        f"initialise {target} with nn.init.xavier_normal_({target}.weight), scale the inputs, "
        "or switch to nn.ReLU() (with kaiming_normal_) and add nn.BatchNorm1d before the "
        "activation",
        layer=path,
        numbers={"saturated_fraction": m},
    )
