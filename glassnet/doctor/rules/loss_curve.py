"""The loss curve: a learning rate too high or too low, over- and underfitting."""

from __future__ import annotations

import math

import numpy as np

from glassnet.doctor.finding import Finding
from glassnet.doctor.rules.helpers import _codes, _median
from glassnet.doctor.rules.thresholds import DIVERGED, NO_PROGRESS, TOO_LOW_UPDATE


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
