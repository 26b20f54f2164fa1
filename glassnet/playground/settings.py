"""Check the settings a browser sends before a run is built from them.

Every mistake becomes a ``SettingsError`` whose message the page shows as it is: it names
the setting, the value received, what is allowed, and what to do.

>>> try:
...     validate({"dataset": "xor", "hidden": [3, 0]})
... except SettingsError as e:
...     print(e)
hidden layer 2 has 0 neurons; each layer needs 1 to 16 neurons (remove the layer instead)
"""

from __future__ import annotations

import math

from glassnet.errors import GlassnetError
from glassnet.playground.recipe import (
    ACTIVATIONS,
    CLASSIFICATION,
    DEFAULTS,
    FEATURES,
    OPTIMIZERS,
    REGRESSION,
    VIEW,
)

MAX_LAYERS, MAX_NEURONS, MAX_GRID, MAX_POINTS = 6, 16, 100, 5000
REGULARIZATIONS = ("none", "L1", "L2")


class SettingsError(GlassnetError, ValueError):
    """A setting from the page that cannot be used; the message says which and why."""


def _number(cfg, key, low, high, kind=float):
    value = cfg.get(key, DEFAULTS.get(key))
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number, got {value!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"{key} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise SettingsError(f"{key} must be between {low} and {high}, got {value!r}")
    return value


def _choice(cfg, key, options):
    value = cfg.get(key, DEFAULTS.get(key))
    if value not in options:
        raise SettingsError(f"unknown {key} {value!r}; choose one of {', '.join(options)}")
    return value


def validate(cfg: dict, points=None) -> dict:
    """The settings for ``PlaygroundRun`` from the page's ``cfg``; ``points``: a CSV's rows."""
    unknown = sorted(set(cfg) - set(DEFAULTS) - {"grid", "points"})
    if unknown:
        raise SettingsError(f"unknown setting(s) {unknown}; known: {sorted(DEFAULTS)}")
    s = {}
    s["problem"] = _choice(cfg, "problem", ("classification", "regression"))
    sets = CLASSIFICATION if s["problem"] == "classification" else REGRESSION
    s["dataset"] = _choice(cfg, "dataset", sets + ("csv",))
    s["n_samples"] = _number(cfg, "n_samples", 20, 2000, int)
    s["noise"] = _number(cfg, "noise", 0.0, 1.0)
    s["train_ratio"] = _number(cfg, "train_ratio", 0.1, 0.9)
    s["batch_size"] = _number(cfg, "batch_size", 1, 1000, int)
    s["learning_rate"] = _number(cfg, "learning_rate", 0.0, 1e12)
    if s["learning_rate"] <= 0:
        raise SettingsError("learning_rate must be above 0 (try 0.03)")
    s["reg_rate"] = _number(cfg, "reg_rate", 0.0, 10.0)
    s["dropout"] = _number(cfg, "dropout", 0.0, 0.9)
    s["seed"] = _number(cfg, "seed", 0, 2**31 - 1, int)
    s["activation"] = _choice(cfg, "activation", tuple(ACTIVATIONS))
    s["optimizer"] = _choice(cfg, "optimizer", tuple(OPTIMIZERS))
    s["regularization"] = _choice(cfg, "regularization", REGULARIZATIONS)
    s["batch_norm"] = bool(cfg.get("batch_norm", False))
    feats = cfg.get("features", DEFAULTS["features"])
    if not isinstance(feats, list) or not feats:
        raise SettingsError("choose at least one input feature (x1, x2, ...)")
    for f in feats:
        if f not in FEATURES:
            raise SettingsError(f"unknown feature {f!r}; choose from {', '.join(FEATURES)}")
    s["features"] = [f for f in FEATURES if f in feats]  # one order, whatever the page sent
    hidden = cfg.get("hidden", DEFAULTS["hidden"])
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise SettingsError(f"hidden must be a list of at most {MAX_LAYERS} layer sizes")
    for i, n in enumerate(hidden):
        if not isinstance(n, int) or not 1 <= n <= MAX_NEURONS:
            raise SettingsError(
                f"hidden layer {i + 1} has {n} neurons; each layer needs 1 to {MAX_NEURONS} "
                "neurons (remove the layer instead)"
            )
    s["hidden"] = list(hidden)
    s["points"] = None
    if s["dataset"] == "csv":
        if points is None:
            raise SettingsError("data set 'csv' needs a CSV file: upload one first")
        if s["problem"] == "classification" and any(r[2] != int(r[2]) or r[2] < 0 for r in points):
            raise SettingsError(
                "the uploaded CSV's labels are not class numbers 0, 1, 2, ...: choose problem "
                "type 'regression' for it, or upload it again"
            )
        s["points"] = points
    return s


def grid_size(cfg: dict) -> int:
    return _number(cfg, "grid", 2, MAX_GRID, int) if "grid" in cfg else 40


def parse_csv(text: str, problem: str) -> list:
    """Rows ``[x1, x2, label]`` from a CSV's text (a header row is allowed), the two feature
    columns scaled together so the points fill the view."""
    if not isinstance(text, str) or not text.strip():
        raise SettingsError("the CSV file is empty; it needs rows of x1,x2,label")
    rows = [r for r in text.replace(";", ",").splitlines() if r.strip()]
    out = []
    for i, row in enumerate(rows, 1):
        cells = [c.strip() for c in row.split(",")]
        if len(cells) != 3:
            raise SettingsError(
                f"CSV line {i} has {len(cells)} columns ({row[:40]!r}); each line needs 3: "
                "two numeric features and a label"
            )
        try:
            values = [float(c) for c in cells]
        except ValueError:
            if i == 1 and not out:
                continue  # a header row
            raise SettingsError(
                f"CSV line {i} has a value that is not a number: {row[:40]!r}"
            ) from None
        if not all(math.isfinite(v) for v in values):
            raise SettingsError(f"CSV line {i} has a missing or infinite value: {row[:40]!r}")
        out.append(values)
    if len(out) < 4:
        raise SettingsError(f"the CSV has {len(out)} data rows; it needs at least 4")
    if len(out) > MAX_POINTS:
        raise SettingsError(f"the CSV has {len(out)} rows; the playground takes {MAX_POINTS}")
    labels = [r[2] for r in out]
    if problem == "classification":
        if any(v != int(v) or v < 0 for v in labels):
            raise SettingsError(
                "for classification the label column must hold class numbers 0, 1, 2, ...; "
                "choose problem type 'regression' for real-valued targets"
            )
        if len(set(labels)) > 10:
            raise SettingsError(f"the CSV has {len(set(labels))} classes; at most 10")
    scale = max(max(abs(r[0]), abs(r[1])) for r in out) or 1.0
    return [[r[0] / scale * (VIEW - 0.5), r[1] / scale * (VIEW - 0.5), r[2]] for r in out]
