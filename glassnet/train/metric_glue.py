"""How the Trainer turns its ``metrics=`` argument into metric objects, and their results into
log values. A metric is anything with ``update(preds, targets)``, ``compute()``, ``reset()`` and
``name``; a plain function ``f(preds, targets) -> number`` is averaged over the samples; a
string is looked up with ``glassnet.train.metrics.get``.

>>> def half_sum(preds, targets):
...     return float((preds - targets).abs().sum()) / 2
>>> import glassnet
>>> (m,) = resolve_metrics([half_sum])
>>> m.update(glassnet.tensor([1.0, 3.0]), glassnet.tensor([0.0, 0.0])); m.compute(), m.name
(2.0, 'half_sum')
"""

from __future__ import annotations

import math


class FunctionMetric:
    """A per-batch function averaged over the epoch, each batch weighted by its size."""

    def __init__(self, fn, name=None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, targets):
        n = int(targets.shape[0]) if getattr(targets, "shape", None) else 1
        self.total += _as_float(self.fn(preds, targets)) * n
        self.count += n

    def compute(self):
        return self.total / self.count if self.count else math.nan


def _is_metric(obj):
    return all(hasattr(obj, a) for a in ("update", "compute", "reset"))


def resolve_metrics(metrics):
    """A list of metric objects from names, metric objects/classes and functions."""
    if isinstance(metrics, str) or _is_metric(metrics) or callable(metrics):
        metrics = [metrics]
    out = []
    for spec in metrics:
        obj = spec
        if isinstance(spec, str):
            from glassnet.train import metrics as registry

            obj = registry.get(spec)
        if isinstance(obj, type):
            obj = obj()
        if _is_metric(obj):
            out.append(obj)
        elif callable(obj):
            out.append(FunctionMetric(obj, spec if isinstance(spec, str) else None))
        else:
            raise TypeError(
                f"Trainer: a metric must be a name, a metric object or a function "
                f"f(preds, targets); got {spec!r}"
            )
    names = [getattr(m, "name", type(m).__name__) for m in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"Trainer: metric names must be distinct and not 'loss'; got {names}")
    return out


def metric_values(metrics) -> dict:
    """name -> float for each metric; a metric that returns a dict adds one entry per key."""
    logs = {}
    for m in metrics:
        value = m.compute()
        name = getattr(m, "name", type(m).__name__)
        if isinstance(value, dict):
            logs.update({f"{name}_{k}": _as_float(v, f"{name}_{k}") for k, v in value.items()})
        else:
            logs[name] = _as_float(value, name)
    return logs


def _as_float(value, name="metric"):
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", 1)
    if size != 1:
        raise ValueError(
            f"Trainer: metric {name!r} gives a {getattr(value, 'shape', '')} array, not one "
            "number, so it cannot be logged per epoch; compute it after training from "
            "trainer.predict(data) instead"
        )
    return float(value.item()) if hasattr(value, "item") else float(value)
