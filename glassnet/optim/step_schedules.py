"""Schedules that step the learning rate by rule: every few epochs, at milestones, by a
constant factor, linearly, by a user's function, or one schedule after another.

>>> import glassnet
>>> opt = glassnet.optim.SGD([glassnet.nn.Parameter(glassnet.zeros(1))], lr=1.0)
>>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
>>> lrs = []
>>> for _ in range(4):
...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
>>> lrs
[1.0, 0.1, 0.1, 0.01]
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from glassnet.optim.schedule_base import LRScheduler, _holds_callables, check_optimizer  # noqa: F401
from glassnet.optim.validation import (
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    UNIT_INTERVAL,
    Real,
    validate,
)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = validate("StepLR", "step_size", step_size, POSITIVE_INT)
        self.gamma = validate("StepLR", "gamma", gamma, POSITIVE)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _closed_form(self):
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(
                f"MultiStepLR: milestones must be a list of epochs like [30, 80], got a "
                f"{type(milestones).__name__} ({milestones!r})"
            )
        # As in PyTorch, the order does not matter and a repeated epoch applies gamma twice.
        self.milestones = Counter(
            validate("MultiStepLR", f"milestones[{i}]", m, NON_NEGATIVE_INT)
            for i, m in enumerate(milestones)
        )
        self.gamma = validate("MultiStepLR", "gamma", gamma, POSITIVE)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._lrs()]

    def _closed_form(self):
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [b * self.gamma**passed for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = validate("ExponentialLR", "gamma", gamma, POSITIVE)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _closed_form(self):
        return [b * self.gamma**self.last_epoch for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up)."""

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        self.start_factor = validate(
            "LinearLR", "start_factor", start_factor, Real(0, 1, low_open=True)
        )
        self.end_factor = validate("LinearLR", "end_factor", end_factor, UNIT_INTERVAL)
        self.total_iters = validate("LinearLR", "total_iters", total_iters, POSITIVE_INT)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, s, f, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [lr * s for lr in self._lrs()]
        if e > n:
            return self._lrs()
        ratio = 1.0 + (f - s) / (n * s + (e - 1) * (f - s))
        return [lr * ratio for lr in self._lrs()]

    def _closed_form(self):
        e, s, f, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        return [b * (s + (f - s) * min(n, e) / n) for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), one function for all groups or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = (
            list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        )
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: expected {n} lr_lambdas, got {len(self.lr_lambdas)}")
        for i, f in enumerate(self.lr_lambdas):
            if not callable(f):
                raise TypeError(
                    f"LambdaLR: lr_lambda must be a function of the epoch (e.g. lambda epoch: "
                    f"0.95 ** epoch), got a {type(f).__name__} ({f!r}) for group {i}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * f(self.last_epoch) for b, f in zip(self.base_lrs, self.lr_lambdas)]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones``."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_sequence(optimizer, schedulers, milestones)
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        # Undo the initial steps the sub-schedulers took when they were made, then start the first.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in self._schedulers:
            s.last_epoch -= 1
        self._schedulers[0]._initial_step()
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self, epoch=None):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for s, sd in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(sd)
        self.__dict__.update(state)


def _check_sequence(optimizer, schedulers, milestones):
    check_optimizer("SequentialLR", optimizer)
    schedulers, milestones = list(schedulers), list(milestones)
    if not schedulers:
        raise ValueError("SequentialLR: expects at least one scheduler, got none")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(
                f"SequentialLR: schedulers[{i}] is a {type(s).__name__}, not a learning-rate "
                "scheduler (it has no optimizer)"
            )
        if not isinstance(s, LRScheduler):  # ReduceLROnPlateau needs a metric at each step
            raise ValueError(
                f"SequentialLR: schedulers[{i}] is a {type(s).__name__}; it needs a metric in "
                "step(), so it cannot be run in a sequence; step it yourself after the sequence"
            )
        if s.optimizer is not optimizer:
            raise ValueError(
                f"SequentialLR: schedulers[{i}] ({type(s).__name__}) drives another optimizer; "
                "all schedulers must belong to the optimizer given to SequentialLR"
            )
    if len(milestones) != len(schedulers) - 1:
        raise ValueError(
            f"SequentialLR: expected {len(schedulers) - 1} milestones for "
            f"{len(schedulers)} schedulers, got {len(milestones)}"
        )
    for i, m in enumerate(milestones):
        validate("SequentialLR", f"milestones[{i}]", m, POSITIVE_INT)
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(
            f"SequentialLR: milestones must be strictly increasing epochs (the switch points "
            f"from one scheduler to the next), got {milestones}"
        )
