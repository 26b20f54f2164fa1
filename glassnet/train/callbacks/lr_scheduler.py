"""Learning-rate schedules as callbacks: LRSchedulerCallback steps any glassnet.optim scheduler
once per epoch (or per optimizer step); ReduceLROnPlateau cuts the rate when a monitored value
stops improving. Both record the epoch's learning rate in the logs as ``'lr'``.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.zeros(1))
>>> opt = glassnet.optim.SGD([w], lr=1.0)
>>> cb = LRSchedulerCallback(glassnet.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
>>> logs = {}
>>> cb.on_epoch_end(None, 0, logs)
>>> logs["lr"], opt.param_groups[0]["lr"]
(1.0, 0.5)
"""

from __future__ import annotations

from glassnet.optim import lr_scheduler as schedulers
from glassnet.train.callbacks.base import Callback, monitored_value, resolve_mode


def is_plateau(scheduler) -> bool:
    """Whether ``scheduler.step`` needs the monitored value (ReduceLROnPlateau and the like)."""
    return isinstance(scheduler, schedulers.ReduceLROnPlateau) or hasattr(scheduler, "is_better")


def current_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


class LRSchedulerCallback(Callback):
    """Step ``scheduler`` after every epoch (``interval='epoch'``) or after every optimizer
    step (``interval='step'``, for OneCycleLR and warm-ups). A plateau scheduler is given
    ``logs[monitor]``."""

    def __init__(self, scheduler, monitor="val_loss", interval="epoch"):
        if interval not in ("epoch", "step"):
            raise ValueError(
                f"LRSchedulerCallback: interval must be 'epoch' or 'step', got {interval!r}"
            )
        if interval == "step" and is_plateau(scheduler):
            raise ValueError(
                "LRSchedulerCallback: ReduceLROnPlateau needs a monitored value, "
                "which exists only at the end of an epoch; use interval='epoch'"
            )
        self.scheduler = scheduler
        self.monitor = monitor
        self.interval = interval
        self._seen_step = None

    def on_train_begin(self, trainer):
        self._seen_step = getattr(trainer, "global_step", 0)

    def on_batch_end(self, trainer, batch, logs):
        if self.interval == "step" and trainer.global_step != self._seen_step:
            self._seen_step = trainer.global_step
            self.scheduler.step()

    def on_epoch_end(self, trainer, epoch, logs):
        logs["lr"] = current_lr(self.scheduler.optimizer)
        if self.interval != "epoch":
            return
        if is_plateau(self.scheduler):
            self.scheduler.step(monitored_value(logs, self.monitor, type(self).__name__))
        else:
            self.scheduler.step()

    def state_dict(self):
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state):
        self.scheduler.load_state_dict(state["scheduler"])


class ReduceLROnPlateau(LRSchedulerCallback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved for
    ``patience`` epochs (glassnet.optim.lr_scheduler.ReduceLROnPlateau, made for the trainer's
    optimizer when training begins)."""

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        mode="auto",
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
    ):
        self.monitor = monitor
        self.interval = "epoch"
        self.options = dict(
            mode=resolve_mode(mode, monitor, "ReduceLROnPlateau"),
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            min_lr=min_lr,
        )
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        self.scheduler = None
        self._pending = None

    def on_train_begin(self, trainer):
        if self.scheduler is None or self.scheduler.optimizer is not trainer.optimizer:
            self.scheduler = schedulers.ReduceLROnPlateau(trainer.optimizer, **self.options)
        if self._pending is not None:
            self.scheduler.load_state_dict(self._pending)
            self._pending = None
        super().on_train_begin(trainer)

    def state_dict(self):
        return {} if self.scheduler is None else super().state_dict()

    def load_state_dict(self, state):
        # The scheduler is made at on_train_begin, after a resumed checkpoint is read.
        self._pending = state["scheduler"]
