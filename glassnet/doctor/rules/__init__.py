"""From Records to findings: one small rule per problem, each with its threshold and why.

The rules live by family (numeric, setup, gradients, loss_curve); ``diagnose`` runs them in an
order where a root cause comes first, so later rules can stay quiet about what it explains.

>>> loss_kind("cross_entropy"), ref("features.3")
('cross_entropy', 'model.features[3]')
"""

from __future__ import annotations

from glassnet.doctor.finding import Report
from glassnet.doctor.rules.gradients import _dead, _exploding, _saturated, _vanishing
from glassnet.doctor.rules.helpers import loss_kind, ref
from glassnet.doctor.rules.loss_curve import _fit, _learning_rate
from glassnet.doctor.rules.numeric import _nan
from glassnet.doctor.rules.setup import _imbalance, _leakage, _logits, _targets, _unscaled

__all__ = ["diagnose", "loss_kind", "ref"]


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
