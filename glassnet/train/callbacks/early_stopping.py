"""EarlyStopping: stop training once a monitored value has stopped improving.

>>> es = EarlyStopping(monitor="val_loss", patience=1)
>>> class FakeTrainer:
...     stop_training = False
>>> t = FakeTrainer()
>>> for epoch, v in enumerate([1.0, 0.5, 0.6, 0.7]):
...     es.on_epoch_end(t, epoch, {"val_loss": v})
...     if t.stop_training:
...         break
>>> epoch, es.best, es.best_epoch
(2, 0.5, 1)
"""

from __future__ import annotations

import math

from glassnet.tensor import Tensor
from glassnet.train.callbacks.base import Callback, monitored_value, resolve_mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs in a row (``patience=2``: two epochs without improvement, then stop; as Keras).
    ``mode`` is 'min' (losses), 'max' (accuracies) or 'auto' (from the name).
    ``restore_best_weights`` puts back the weights of the best epoch when training ends.
    ``stopped_epoch`` is the epoch (from 0) after which training stopped, or None.
    """

    def __init__(
        self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto", restore_best_weights=False
    ):
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = abs(float(min_delta))
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self):
        self.wait = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.best_weights = None

    def _improved(self, current):
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, trainer):
        # A resumed run keeps its loaded state; a fresh fit starts over.
        if not getattr(trainer, "resumed", False):
            self._reset()

    def on_epoch_end(self, trainer, epoch, logs):
        current = monitored_value(logs, self.monitor, "EarlyStopping")
        if self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {
                    k: Tensor._make(v._data.copy()) for k, v in trainer.model.state_dict().items()
                }
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self):
        state = {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
        }
        if self.best_weights is not None:
            state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state):
        self._reset()
        super().load_state_dict(state)
