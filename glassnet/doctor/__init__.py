"""glassnet.doctor: watch a training run and say what is going wrong, and what to do.

``check(model, loss_fn, data)`` trains a copy for a few steps and returns a ``Report`` of
``Finding`` objects; ``Doctor()`` is the Trainer callback that does the same during a real fit.
Each finding's ``code`` comes from ``VOCABULARY`` (see docs/doctor.md).

>>> sorted(VOCABULARY)[:4]
['class_imbalance', 'data_leakage', 'dead_relu', 'exploding_gradients']
"""

from glassnet.doctor.check import check
from glassnet.doctor.finding import VOCABULARY, Finding, Report
from glassnet.doctor.watch import Doctor

__all__ = ["check", "Doctor", "Finding", "Report", "VOCABULARY"]
