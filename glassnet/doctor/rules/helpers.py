"""Small helpers the rules share: the loss family, Python for a module path, robust medians.

>>> loss_kind("cross_entropy"), loss_kind(lambda o, t: o)
('cross_entropy', 'other')
"""

from __future__ import annotations

import math

import numpy as np


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


def _codes(findings):
    return {f.code for f in findings}


def _last_leaf(rec):
    return rec.call_order[-1] if rec.call_order else (None, None)
