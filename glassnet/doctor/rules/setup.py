"""Set-up mistakes: a softmax before a loss that applies one, targets of the wrong kind,
imbalanced classes, unscaled features, validation rows that leak from the training data."""

from __future__ import annotations

import numpy as np

from glassnet.doctor.finding import Finding
from glassnet.doctor.rules.helpers import _last_leaf, _pct, ref
from glassnet.doctor.rules.thresholds import IMBALANCE, LEAK_SHARED, UNSCALED_RMS


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
