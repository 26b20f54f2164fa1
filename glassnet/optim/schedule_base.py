"""The base of the learning-rate schedules: ``LRScheduler`` keeps ``last_epoch`` and writes
each parameter group's ``lr``; a subclass only says what the rates are (``get_lr``).

>>> import glassnet
>>> from glassnet.optim.step_schedules import ExponentialLR
>>> opt = glassnet.optim.SGD([glassnet.nn.Parameter(glassnet.zeros(1))], lr=1.0)
>>> sched = ExponentialLR(opt, gamma=0.5)
>>> opt.step(); sched.step(); sched.get_last_lr()
[0.5]
"""

from __future__ import annotations

from glassnet.optim.optimizer import Optimizer


def check_optimizer(owner: str, optimizer) -> None:
    """A schedule drives a glassnet Optimizer's groups; anything else is a TypeError (as in
    PyTorch)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner}: the first argument must be a glassnet.optim Optimizer, got a "
            f"{type(optimizer).__name__}; e.g. {owner}(optim.SGD(model.parameters(), lr=0.1), ...)"
        )


class LRScheduler:
    """Base class: ``get_lr()`` gives the learning rates for ``last_epoch``; ``step()`` advances."""

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr', so the "
                        f"schedule cannot resume at last_epoch={last_epoch}; load the optimizer's "
                        "state_dict first, or start a fresh schedule with last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def get_last_lr(self):
        return list(self._last_lr)

    def step(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form() if hasattr(self, "_closed_form") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Everything but the optimizer (and functions, which cannot be saved as data)."""
        return {
            k: v
            for k, v in self.__dict__.items()
            if k != "optimizer" and not callable(v) and not _holds_callables(v)
        }

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


def _holds_callables(value):
    return isinstance(value, (list, tuple)) and any(callable(v) for v in value)
