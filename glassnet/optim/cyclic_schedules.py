"""Schedules that follow a curve: cosine annealing (with warm restarts) and the 1cycle policy.

>>> import glassnet
>>> opt = glassnet.optim.SGD([glassnet.nn.Parameter(glassnet.zeros(1))], lr=1.0)
>>> sched = CosineAnnealingLR(opt, T_max=2)
>>> lrs = []
>>> for _ in range(3):
...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
>>> lrs
[1.0, 0.5, 0.0]
"""

from __future__ import annotations

import math

from glassnet.optim.schedule_base import LRScheduler, check_optimizer
from glassnet.optim.validation import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    UNIT_INTERVAL,
    OneOf,
    per_group,
    validate,
)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` epochs."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = validate("CosineAnnealingLR", "T_max", T_max, POSITIVE)
        self.eta_min = validate("CosineAnnealingLR", "eta_min", eta_min, NON_NEGATIVE)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._lrs()
        if (e - 1 - T) % (2 * T) == 0:
            return [
                lr + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                for lr, b in zip(self._lrs(), self.base_lrs)
            ]
        return [
            (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - lo) + lo
            for lr in self._lrs()
        ]

    def _closed_form(self):
        return [
            self.eta_min
            + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for b in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing that restarts every ``T_0`` epochs (each period ``T_mult`` times longer).
    ``step`` may take a fractional epoch, for per-batch use."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        owner = "CosineAnnealingWarmRestarts"
        T_0 = validate(owner, "T_0", T_0, POSITIVE_INT)
        T_mult = validate(owner, "T_mult", T_mult, POSITIVE_INT)
        if not isinstance(eta_min, (int, float)):  # PyTorch raises ValueError for this one
            raise ValueError(f"{owner}: invalid eta_min={eta_min!r}; expected a finite number >= 0")
        eta_min = validate(owner, "eta_min", eta_min, NON_NEGATIVE)
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [
            self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for b in self.base_lrs
        ]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._lrs()


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up to ``max_lr``, then anneal far below the start, stepping
    once per batch; momentum (or Adam's beta1) cycles the opposite way."""

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        check_optimizer("OneCycleLR", optimizer)
        if total_steps is not None:
            total_steps = validate("OneCycleLR", "total_steps", total_steps, POSITIVE_INT)
        elif epochs is not None and steps_per_epoch is not None:
            epochs = validate("OneCycleLR", "epochs", epochs, POSITIVE_INT)
            steps = validate("OneCycleLR", "steps_per_epoch", steps_per_epoch, POSITIVE_INT)
            total_steps = epochs * steps
        else:
            raise ValueError(
                "OneCycleLR: give total_steps, or both epochs and steps_per_epoch (got "
                f"epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}); e.g. "
                "total_steps=epochs * len(loader)"
            )
        self.total_steps = total_steps
        pct_start = validate("OneCycleLR", "pct_start", pct_start, UNIT_INTERVAL)
        self.anneal_strategy = validate(
            "OneCycleLR", "anneal_strategy", anneal_strategy, OneOf("cos", "linear")
        )
        div_factor = validate("OneCycleLR", "div_factor", div_factor, POSITIVE)
        final_div_factor = validate("OneCycleLR", "final_div_factor", final_div_factor, POSITIVE)
        groups = optimizer.param_groups
        max_lrs = per_group("OneCycleLR", "max_lr", max_lr, groups, NON_NEGATIVE)
        if last_epoch == -1:
            for group, m in zip(groups, max_lrs):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (
                    float(2 * pct_start * total_steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if not self.use_beta1 and "momentum" not in optimizer.defaults:
                raise ValueError(
                    "OneCycleLR: optimizer has no momentum or betas to cycle; "
                    "pass cycle_momentum=False"
                )
            max_moms = per_group("OneCycleLR", "max_momentum", max_momentum, groups, NON_NEGATIVE)
            base_moms = per_group(
                "OneCycleLR", "base_momentum", base_momentum, groups, NON_NEGATIVE
            )
            if last_epoch == -1:
                for group, top, base in zip(groups, max_moms, base_moms):
                    group["max_momentum"], group["base_momentum"] = top, base
                    self._set_momentum(group, top)
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr_a, lr_b, m_a, m_b) in enumerate(self._phases):
                if step <= end_step or i == len(self._phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[lr_a], group[lr_b], pct)
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_a], group[m_b], pct))
                    break
                start_step = end_step
            lrs.append(lr)
        return lrs
