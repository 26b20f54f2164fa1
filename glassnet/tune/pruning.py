"""PruningCallback: report each epoch's monitored value to an Optuna trial and stop the
training of a trial the pruner judges hopeless (``pruned`` is then True).

>>> class Trial:
...     def __init__(self): self.seen = []
...     def report(self, value, step): self.seen.append((step, value))
...     def should_prune(self): return len(self.seen) >= 2
>>> class T: stop_training = False
>>> cb, t = PruningCallback(Trial()), T()
>>> cb.on_epoch_end(t, 0, {"val_loss": 0.5}); t.stop_training
False
>>> cb.on_epoch_end(t, 1, {"val_loss": 0.7}); t.stop_training, cb.pruned
(True, True)
"""

from __future__ import annotations

from glassnet.train.callbacks.base import Callback, monitored_value


class PruningCallback(Callback):
    def __init__(self, trial, monitor="val_loss"):
        self.trial, self.monitor, self.pruned = trial, monitor, False

    def on_epoch_end(self, trainer, epoch, logs):
        self.trial.report(monitored_value(logs, self.monitor, "PruningCallback"), epoch)
        if self.trial.should_prune():
            self.pruned = True
            trainer.stop_training = True
