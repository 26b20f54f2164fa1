"""ModelCheckpoint: save the model's weights (its state_dict, with ``glassnet.save``) after
each epoch, or only when a monitored value reaches a new best.

>>> import glassnet, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> cb = ModelCheckpoint(os.path.join(folder, "w-{epoch:02d}.safetensors"), save_best_only=False)
>>> class FakeTrainer:
...     model = glassnet.nn.Linear(2, 1)
>>> cb.on_epoch_end(FakeTrainer(), 0, {"val_loss": 0.3})
>>> sorted(os.listdir(folder)), cb.last_saved == os.path.join(folder, "w-01.safetensors")
(['w-01.safetensors'], True)
"""

from __future__ import annotations

import math
import os
import warnings

from glassnet.serialization import save
from glassnet.train.callbacks.base import Callback, monitored_value, resolve_mode
from glassnet.train.finite import describe_counts, nonfinite_entries


class ModelCheckpoint(Callback):
    """Save ``trainer.model.state_dict()`` to ``path`` at the end of each epoch.

    ``path`` may hold format fields: ``{epoch}`` (counting from 1) and any log value, e.g.
    ``'ckpt/model-{epoch:03d}-{val_loss:.3f}.safetensors'``. With ``save_best_only`` a file is
    written only when ``monitor`` improves (``mode``: 'min', 'max' or 'auto'). Weights that
    hold NaN or inf are never written (a warning says so). Load the weights back with
    ``model.load_state_dict(glassnet.load(path))``.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_saved = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best_only:
            current = monitored_value(logs, self.monitor, "ModelCheckpoint")
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            self.best = current
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"ModelCheckpoint: cannot fill in path {self.path!r} ({exc!r}); it may use "
                f"{{epoch}} and the log names {sorted(logs)}"
            ) from None
        state = trainer.model.state_dict()
        bad = nonfinite_entries(state)
        if bad:  # never write a diverged model (possibly over a good file)
            name, nans, infs = bad[0]
            warnings.warn(
                f"ModelCheckpoint: not saving {path}: '{name}' holds "
                f"{describe_counts(nans, infs)} (the training diverged)",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        save(state, path)
        self.last_saved = path

    def state_dict(self):
        return {"best": self.best, "last_saved": self.last_saved}
