"""From Records to findings: one small rule per problem, each with its threshold and why.

Thresholds are deliberately far from what healthy runs show (checked on the bundled recipes,
see tests/test_doctor_cases.py): a doctor that cries wolf is not read.

>>> loss_kind("cross_entropy"), loss_kind(lambda o, t: o)
('cross_entropy', 'other')
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.doctor.finding import Finding, Report

# ---- thresholds ----------------------------------------------------------------------------
VANISHING_RATIO = 1e-3  # first-layer / last-layer RMS gradient
EXPLODING_RATIO = 1e3  # the same ratio the other way, or growth of the gradient norm
EXPLODING_NORM = 1e3  # a global gradient norm no healthy small model reaches
DEAD_FRACTION = 0.9  # most of a ReLU layer's units silent on a whole batch (healthy nets
# can have many: the digits CNN has ~75% in its dense layer and still reaches 98%)
SATURATED_FRACTION = 0.5
TOO_LOW_UPDATE = 1e-3  # |dW|/|W| per step, with a loss that did not move: 1e-3..1e-2 is usual
NO_PROGRESS = 0.02  # relative loss decrease (first to last epoch) below which it "did not move"
DIVERGED = 3.0  # loss this many times its starting value
UNSCALED_RMS = 20.0  # a feature's root mean square above which it is "unscaled"
IMBALANCE = 9.0  # largest class / smallest class (90/10 and worse)
LEAK_SHARED = 0.05  # fraction of validation rows also in the training data


def loss_kind(loss_fn) -> str:
    """The loss family from a Module, a function or a name."""
    name = loss_fn if isinstance(loss_fn, str) else type(loss_fn).__name__
    if name in ("function", "builtin_function_or_method", "functools.partial"):
        name = getattr(loss_fn, "__name__", "")
    name = name.lower().replace("_", "").replace("-", "")
    table = [
        ("bcewithlogits", "bce_logits"),
        ("binarycrossentropywithlogits", "bce_logits"),
        ("bceloss", "bce"),
        ("binarycrossentropy", "bce"),
        ("crossentropy", "cross_entropy"),
        ("nll", "nll"),
        ("mse", "mse"),
        ("l1", "regression"),
        ("huber", "regression"),
        ("smoothl1", "regression"),
    ]
    for key, kind in table:
        if key in name or name in ("bce", "ce") and key.startswith(name):
            return kind
    return "other"


def ref(path) -> str:
    """Python for a module path: '0' -> 'model[0]', 'features.3' -> 'model.features[3]'.

    >>> ref("features.3"), ref("0"), ref(None)
    ('model.features[3]', 'model[0]', 'model')
    """
    out = "model"
    for part in (path or "").split(".") if path else []:
        out += f"[{part}]" if part.isdigit() else f".{part}"
    return out


def _median(xs):
    xs = [x for x in xs if math.isfinite(x)]
    return float(np.median(xs)) if xs else float("nan")


def _pct(x):
    return f"{100 * x:.0f}%"


def diagnose(rec, model=None) -> Report:
    """All findings for one run's records."""
    findings = []
    for rule in (
        _nan,
        _logits,
        _targets,
        _imbalance,
        _unscaled,
        _leakage,
        _dead,
        _saturated,
        _vanishing,
        _learning_rate,
        _exploding,
        _fit,
    ):
        found = rule(rec, model, findings)
        if found:
            findings.extend(found if isinstance(found, list) else [found])
    return Report(findings, steps=len(rec.losses), losses=list(rec.losses), epochs=rec.epochs)


def _codes(findings):
    return {f.code for f in findings}


# ---- values that stopped being finite --------------------------------------------------------
def _nan(rec, model, found):
    n = rec.nan
    if n is None and rec.nan_loss_step is None:
        return None
    if n is None:
        step, epoch = rec.nan_loss_step
        return Finding(
            "nan",
            f"the training loss became non-finite at step {step} (epoch {epoch + 1}); the "
            "layer that produced it was not on a sampled step",
            "run glassnet.doctor.check(...) on the same set-up (it watches every step), or "
            "guard with Trainer(grad_clip=1.0)",
            step=step,
            epoch=epoch,
        )
    if n["op"] == "input":
        return Finding(
            "nan",
            f"a training batch already holds NaN or infinity (step {n['step']})",
            "clean the data first: glassnet.data.SimpleImputer().fit(x_train).transform(x)",
            step=n["step"],
            epoch=n["epoch"],
        )
    lo_hi = n.get("input_range")
    rng = f" from inputs in [{lo_hi[0]:.3g}, {lo_hi[1]:.3g}]" if lo_hi else ""
    where = "the loss function" if n["layer"] == "the loss" else f"layer {n['layer']!r}"
    if n["inputs_finite"]:
        seen = f"op {n['op']} in {where} ({n['module']}) produced the first NaN/inf{rng}"
    else:
        seen = f"{where} ({n['module']}) got non-finite inputs at the first NaN"
    if lo_hi and max(abs(lo_hi[0]), abs(lo_hi[1])) > 1e6:
        seen += " (the values had grown that large: the run diverged)"
    if n["op"] in ("Log", "Log2", "Log10", "Div", "Pow", "Sqrt", "Rsqrt"):
        remedy = (
            f"keep the argument of {n['op']} in its domain: x.clamp(min=1e-7).log(), or use "
            "the fused, stable forms (F.log_softmax, nn.BCEWithLogitsLoss)"
        )
    else:
        remedy = (
            "lower the learning rate and clip gradients: Trainer(..., grad_clip=1.0); check "
            "that the inputs are scaled"
        )
    return Finding(
        "nan",
        f"{seen}, at step {n['step']}",
        remedy,
        layer=None if n["layer"] == "the loss" else n["layer"],
        step=n["step"],
        epoch=n["epoch"],
        numbers={"op": n["op"], "input_range": list(lo_hi) if lo_hi else None},
    )


# ---- set-up mistakes ----------------------------------------------------------------------
def _last_leaf(rec):
    return rec.call_order[-1] if rec.call_order else (None, None)


def _logits(rec, model, found):
    fc = rec.first_call
    if fc is None:
        return None
    path, last = _last_leaf(rec)
    out = fc["out"]
    if rec.kind in ("cross_entropy", "nll") and out.ndim == 2 and out.shape[1] > 1:
        probs = (
            np.isfinite(out).all() and (out >= 0).all() and np.allclose(out.sum(1), 1.0, atol=1e-4)
        )
        if probs or last == "Softmax":
            want = "logits" if rec.kind == "cross_entropy" else "log-probabilities"
            fix = (
                f"remove the final Softmax ({ref(path)}) and feed the raw scores to "
                "nn.CrossEntropyLoss(); apply F.softmax(model(x), dim=1) only to read "
                "probabilities"
                if rec.kind == "cross_entropy"
                else f"replace the final Softmax ({ref(path)}) by nn.LogSoftmax(dim=1)"
            )
            return Finding(
                "logits_expected",
                f"the model's outputs are probabilities (every row sums to 1, last layer "
                f"{last}) but {type(rec.loss_fn).__name__} expects {want}",
                fix,
                layer=path,
            )
    if rec.kind == "bce_logits" and last == "Sigmoid":
        return Finding(
            "logits_expected",
            f"the last layer is a Sigmoid ({ref(path)}) but {type(rec.loss_fn).__name__} "
            "applies its own sigmoid",
            f"remove the Sigmoid ({ref(path)}) and keep nn.BCEWithLogitsLoss(), or keep it "
            "and use nn.BCELoss() (less stable)",
            layer=path,
        )
    return None


def _targets(rec, model, found):
    fc = rec.first_call
    if fc is None:
        return None
    out_shape, t_shape = fc["out_shape"], fc["target_shape"]
    if rec.kind in ("mse", "regression", "bce", "bce_logits") and out_shape != t_shape:
        labels = len(t_shape) == 1 or (len(t_shape) == 2 and t_shape[1] == 1)
        if len(out_shape) == 2 and out_shape[1] > 1 and labels and rec.target_integral:
            return Finding(
                "target_mismatch",
                f"{out_shape[1]} outputs per sample against integer targets of shape "
                f"{t_shape}: class labels fed to a regression loss",
                "for classes use nn.CrossEntropyLoss() with the integer labels; for a number "
                "use one output: nn.Linear(..., 1) and y.view(-1, 1)",
            )
        return Finding(
            "target_mismatch",
            f"outputs of shape {out_shape} against targets of shape {t_shape}: the loss "
            "broadcasts them, comparing every output with many targets",
            "make the shapes equal: loss(model(x), y.view(-1, 1)) or loss(model(x).squeeze(-1), y)",
        )
    if rec.kind in ("bce", "bce_logits") and rec.target_min is not None:
        if rec.target_min < 0 or rec.target_max > 1:
            return Finding(
                "target_mismatch",
                f"binary cross-entropy targets range over [{rec.target_min:g}, "
                f"{rec.target_max:g}]; it needs values in [0, 1]",
                "map the labels to 0/1, e.g. y = (y > 0).float(); for more than two classes "
                "use nn.CrossEntropyLoss() with one output per class",
            )
    return None


def _imbalance(rec, model, found):
    c = rec.class_counts
    if c is None or len(c) < 2 or c.sum() < 50:
        return None
    loss = rec.loss_fn
    if getattr(loss, "weight", None) is not None or getattr(loss, "pos_weight", None) is not None:
        return None
    present = c[c > 0]
    if len(present) < 2 or present.max() / present.min() < IMBALANCE:
        return None
    shares = ", ".join(f"class {k}: {_pct(v / c.sum())}" for k, v in enumerate(c) if v)
    w = (c.sum() / (len(c) * np.maximum(c, 1))).round(2).tolist()
    if rec.kind in ("bce", "bce_logits"):
        remedy = (
            f"weight the rare class: nn.BCEWithLogitsLoss(pos_weight=glassnet.tensor("
            f"[{c[0] / max(c[1], 1):.1f}])), or resample with glassnet.data."
            "WeightedRandomSampler"
        )
    else:
        remedy = (
            f"weight the classes: nn.CrossEntropyLoss(weight=glassnet.tensor({w})), or resample "
            "with glassnet.data.WeightedRandomSampler; judge by balanced accuracy or F1"
        )
    return Finding(
        "class_imbalance",
        f"the training targets are {shares} (largest/smallest = "
        f"{present.max() / present.min():.0f})",
        remedy,
        numbers={"counts": c.tolist()},
    )


def _unscaled(rec, model, found):
    if rec.in_sum is None or rec.in_count < 2:
        return None
    mean = rec.in_sum / rec.in_count
    rms = np.sqrt(rec.in_sq / rec.in_count)
    worst = int(np.argmax(rms))
    if rms[worst] <= UNSCALED_RMS:
        return None
    std = np.sqrt(np.maximum(rec.in_sq / rec.in_count - mean**2, 0))
    return Finding(
        "unscaled_inputs",
        f"input feature {worst} has mean {mean[worst]:.3g} and spread {std[worst]:.3g} "
        f"(root mean square {rms[worst]:.3g}; {int((rms > UNSCALED_RMS).sum())} of "
        f"{len(rms)} features above {UNSCALED_RMS:g})",
        "standardise with statistics of the training split: scaler = glassnet.data."
        "StandardScaler().fit(x_train); x = scaler.transform(x) (for images: x / 255)",
        numbers={"feature": worst, "rms": float(rms[worst])},
    )


def _leakage(rec, model, found):
    v = rec.val_stats
    if v is None or v["n"] < 10:
        return None
    shared = len(v["rows"] & rec.rows) / max(len(v["rows"]), 1)
    if shared >= LEAK_SHARED:
        return Finding(
            "data_leakage",
            f"{_pct(shared)} of the validation samples also appear in the training data",
            "split before anything else and deduplicate: glassnet.data.train_val_test_split on "
            "unique rows (np.unique(x, axis=0)), so no sample is on both sides",
            numbers={"shared": shared},
        )
    if rec.in_sum is None or rec.in_count < 10 or len(rec.in_sum) != len(v["sum"]):
        return None

    def standard(s, sq, n):
        m = s / n
        var = sq / n - m**2
        return bool(np.all(np.abs(m) < 1e-4) and np.all(np.abs(var - 1) < 1e-3))

    train_std = standard(rec.in_sum, rec.in_sq, rec.in_count)
    val_std = standard(v["sum"], v["sq"], v["n"])
    both = standard(rec.in_sum + v["sum"], rec.in_sq + v["sq"], rec.in_count + v["n"])
    if train_std:
        return None
    if val_std or both:
        which = "the validation split" if val_std else "training and validation data together"
        return Finding(
            "data_leakage",
            f"the inputs were standardised with statistics of {which}: its features have "
            "mean 0 and variance 1 exactly, the training split's do not",
            "fit the scaler on the training split only: scaler = glassnet.data.StandardScaler()"
            ".fit(x_train); then scaler.transform(x_val)",
        )
    return None


# ---- gradients and activations -------------------------------------------------------------
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


def _dead(rec, model, found):
    worst = None
    for path, fracs in rec.dead.items():
        tail = fracs[len(fracs) // 2 :]
        m = _median(tail)
        if m >= DEAD_FRACTION and (worst is None or m > worst[1]):
            worst = (path, m)
    if worst is None:
        return None
    path, m = worst
    prev = _previous_layer(rec, path)
    target = ref(prev) if prev else "the layer before it"
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
    last, _ = _last_leaf(rec)
    worst = None
    for path, fracs in rec.saturated.items():
        if path == last:  # an output sigmoid may rightly be sure of itself
            continue
        m = _median(fracs)
        if m >= SATURATED_FRACTION and (worst is None or m > worst[1]):
            worst = (path, m)
    if worst is None:
        return None
    path, m = worst
    prev = _previous_layer(rec, path)
    target = ref(prev) if prev else "the layer before it"
    return Finding(
        "saturated_activation",
        f"{_pct(m)} of the outputs of {rec.kinds[path]} {path!r} are within 0.01 of its limits",
        f"initialise {target} with nn.init.xavier_normal_({target}.weight), scale the inputs, "
        "or switch to nn.ReLU() (with kaiming_normal_) and add nn.BatchNorm1d before the "
        "activation",
        layer=path,
        numbers={"saturated_fraction": m},
    )


# ---- the loss curve ------------------------------------------------------------------------
def _window(losses, k):
    return _median(losses[:k]), _median(losses[-k:])


def _median_update(rec):
    vals = [_median(v) for v in rec.updates.values() if v]
    vals = [v for v in vals if math.isfinite(v)]
    return float(np.median(vals)) if vals else float("nan")


def _learning_rate(rec, model, found):
    losses = rec.losses
    if len(losses) < 6:
        return None
    codes = _codes(found)
    k = max(2, len(losses) // 10)
    start, end = _window(losses, k)
    upd = _median_update(rec)
    finite = [x for x in losses if math.isfinite(x)]
    domain = ("input", "Log", "Log2", "Log10", "Div", "Sqrt", "Pow")
    if rec.nan is not None and rec.nan["op"] in domain:
        return None  # a value outside an op's domain, not a step that was too large
    # Diverged: worse at the end than before the first step (after a peak far above it), or
    # not finite any more. The first loss is the one the initial weights give.
    first = losses[0]
    if (
        finite
        and math.isfinite(first)
        and (max(finite) > DIVERGED * first or not math.isfinite(end))
        and not (end < first)
        and "target_mismatch" not in codes
    ):
        return Finding(
            "lr_too_high",
            f"the loss rose from {first:.3g} to {end:.3g} (peak {max(finite):.3g}); the median "
            f"update-to-weight ratio was {upd:.2g} per step",
            "divide the learning rate by 10 (e.g. optim.Adam(model.parameters(), lr=1e-3)), "
            "or find one with glassnet.train.lr_find(model, loss_fn, optimizer, data)",
            numbers={"start_loss": first, "end_loss": end, "update_ratio": upd},
        )
    if codes & {"dead_relu", "saturated_activation", "vanishing_gradients", "logits_expected"}:
        return None  # those explain a loss that does not move
    full = rec.epochs[0]["batches"] if rec.epochs else 0
    ep = [
        e["loss"]
        for e in rec.epochs
        if e["loss"] is not None and math.isfinite(e["loss"]) and e.get("batches") == full
    ]
    if len(ep) >= 3:  # whole-epoch means: no batch-to-batch noise
        start, end = ep[0], ep[-1]
    moved = (start - end) / abs(start) if start else 0.0
    if moved < NO_PROGRESS and math.isfinite(upd) and upd < TOO_LOW_UPDATE:
        return Finding(
            "lr_too_low",
            f"the loss moved from {start:.4g} to {end:.4g} in {len(losses)} steps while each "
            f"step changed the weights by a median {upd:.2g} of their size (about 1e-3 is usual)",
            "raise the learning rate 10-1000x (Adam usually works from lr=1e-3), or find one "
            "with glassnet.train.lr_find(model, loss_fn, optimizer, data)",
            numbers={"start_loss": start, "end_loss": end, "update_ratio": upd},
        )
    return None


def _baseline(rec):
    """The loss of the best constant prediction, where it can be computed."""
    c = rec.class_counts
    if rec.kind in ("cross_entropy", "nll", "bce", "bce_logits") and c is not None:
        p = c[c > 0] / c.sum()
        return float(-(p * np.log(p)).sum())
    return None


def _fit(rec, model, found):
    codes = _codes(found)
    ep = [e for e in rec.epochs if e["loss"] is not None and math.isfinite(e["loss"])]
    serious = {"nan", "lr_too_high", "lr_too_low", "logits_expected", "target_mismatch"}
    if codes & serious:
        return None
    vals = [e for e in ep if e.get("val_loss") is not None and math.isfinite(e["val_loss"])]
    if len(vals) >= 4:
        best = min(range(len(vals)), key=lambda i: vals[i]["val_loss"])
        last = vals[-1]
        if (
            best < len(vals) - 1
            and last["val_loss"] > 1.25 * vals[best]["val_loss"]
            and last["loss"] < vals[best]["loss"]
            and last["val_loss"] > 2 * last["loss"]
        ):
            return Finding(
                "overfitting",
                f"validation loss was lowest ({vals[best]['val_loss']:.3g}) after epoch "
                f"{best + 1} and rose to {last['val_loss']:.3g}, while the training loss fell "
                f"to {last['loss']:.3g}",
                "stop at the best epoch: EarlyStopping(monitor='val_loss', patience=3, "
                "restore_best_weights=True); add nn.Dropout(0.3), weight decay "
                "(optim.AdamW(..., weight_decay=1e-2)), more data or augmentation, or a "
                "smaller model",
                epoch=best,
                numbers={"best_val": vals[best]["val_loss"], "last_val": last["val_loss"]},
            )
    base = _baseline(rec)
    losses = rec.losses
    explained = {"vanishing_gradients", "dead_relu", "saturated_activation", "class_imbalance"}
    if base is None or base <= 0 or len(losses) < 20 or codes & explained:
        return None
    k = max(2, len(losses) // 10)
    _, end = _window(losses, k)
    if end >= 0.9 * base:
        return Finding(
            "underfitting",
            f"after {len(losses)} steps the training loss is {end:.3g}, "
            f"{end / base:.0%} of the {base:.3g} that predicting the class frequencies gives",
            "give the model capacity: more or wider hidden layers with a non-linearity, e.g. "
            "nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, k)); train longer; "
            "lower the weight decay",
            numbers={"loss": end, "baseline": base},
        )
    return None
