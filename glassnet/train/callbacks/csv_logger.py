"""CSVLogger: write each epoch's logs as a row of a CSV file (open it in any spreadsheet).

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
>>> cb = CSVLogger(path)
>>> cb.on_train_begin(None)
>>> cb.on_epoch_end(None, 0, {"loss": 0.5, "val_loss": 0.75})
>>> cb.on_train_end(None)
>>> print(open(path).read().strip())
epoch,loss,val_loss
0,0.5,0.75
"""

from __future__ import annotations

import csv
import os

from glassnet.train.callbacks.base import Callback


class CSVLogger(Callback):
    """One row per epoch: ``epoch`` (from 0, as in History.epoch), then the log names in sorted
    order. ``append=True`` adds to an existing file (for resumed runs) instead of replacing it.
    Rows are flushed as they are written, so the file is readable while training runs."""

    def __init__(self, path, separator=",", append=False):
        self.path = os.fspath(path)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None
        self._keys = None

    def on_train_begin(self, trainer):
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        self._keys = None
        if self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            if header:
                self._keys = header[1:]
            self._file = open(self.path, "a", newline="")
        else:
            self._file = open(self.path, "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")

    def on_epoch_end(self, trainer, epoch, logs):
        if self._file is None:
            self.on_train_begin(trainer)
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer.writerow(["epoch", *self._keys])
        self._writer.writerow([epoch, *(_cell(logs.get(k, "")) for k in self._keys)])
        self._file.flush()

    def on_train_end(self, trainer):
        self.close()

    def close(self):
        """Close the file (the Trainer calls this even when training is interrupted)."""
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None


def _cell(value):
    return repr(float(value)) if isinstance(value, float) else value
