"""ReduceLROnPlateau: cut the learning rate when a watched metric stops improving.

>>> import glassnet
>>> opt = glassnet.optim.SGD([glassnet.nn.Parameter(glassnet.zeros(1))], lr=1.0)
>>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
>>> for loss in [1.0, 0.9, 0.9, 0.9]:
...     sched.step(loss)
>>> opt.param_groups[0]["lr"]
0.5
"""

from __future__ import annotations

import math

from glassnet.optim.schedule_base import check_optimizer
from glassnet.optim.validation import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    OneOf,
    Real,
    per_group,
    validate,
)

_NAME = "ReduceLROnPlateau"


class ReduceLROnPlateau:
    """Cut the learning rate by ``factor`` when a watched metric stops improving for
    ``patience`` epochs. Call ``step(metric)`` after each validation."""

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    ):
        # PyTorch refuses factor >= 1 only; a factor <= 0 or NaN would set the rate to min_lr
        # or to NaN at the first plateau, so glassnet asks for 0 < factor < 1.
        self.factor = validate(_NAME, "factor", factor, Real(0, 1, low_open=True, high_open=True))
        check_optimizer(_NAME, optimizer)
        self.optimizer = optimizer
        self.min_lrs = per_group(_NAME, "min_lr", min_lr, optimizer.param_groups, NON_NEGATIVE)
        self.mode = validate(_NAME, "mode", mode, OneOf("min", "max"))
        self.threshold_mode = validate(_NAME, "threshold_mode", threshold_mode, OneOf("rel", "abs"))
        self.patience = validate(_NAME, "patience", patience, NON_NEGATIVE_INT)
        self.threshold = validate(_NAME, "threshold", threshold, NON_NEGATIVE)
        self.cooldown = validate(_NAME, "cooldown", cooldown, NON_NEGATIVE_INT)
        self.eps = validate(_NAME, "eps", eps, NON_NEGATIVE)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def is_better(self, current, best):
        if self.mode == "min":
            bound = (
                best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
            return current < bound
        bound = (
            best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        )
        return current > bound

    def step(self, metrics, epoch=None):
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                old = group["lr"]
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
