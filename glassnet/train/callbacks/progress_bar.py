"""ProgressBar: show how training goes. In a terminal, a rich progress bar per epoch with the
running loss and metrics, speed and time left; elsewhere (CI logs, files) one plain line per
epoch. rich is imported only when a bar is drawn (``pip install 'glassnet[cli]'``).

>>> import io
>>> out = io.StringIO()
>>> bar = ProgressBar(file=out)
>>> class FakeTrainer:
...     epochs, steps_per_epoch = 3, 2
>>> t = FakeTrainer()
>>> bar.on_train_begin(t); bar.on_epoch_begin(t, 0, {})
>>> bar.on_batch_end(t, 0, {"loss": 1.0, "size": 4})
>>> bar.on_batch_end(t, 1, {"loss": 0.5, "size": 4})
>>> bar.on_epoch_end(t, 0, {"loss": 0.75, "val_loss": 0.8}); bar.on_train_end(t)
>>> out.getvalue().split(" - ")[0], out.getvalue().strip().split(" - ")[2:]
('Epoch 1/3', ['loss: 0.7500', 'val_loss: 0.8000'])
"""

from __future__ import annotations

import sys
import time

from glassnet._optional import require
from glassnet.train.callbacks.base import Callback


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9000`` (tiny values such as learning rates in e-notation)."""
    return " - ".join(f"{k}: {_number(v)}" for k, v in logs.items())


def _number(v):
    if not isinstance(v, (int, float)):
        return str(v)
    v = float(v)
    return f"{v:.3e}" if v != 0 and abs(v) < 1e-3 else f"{v:.4f}"


class ProgressBar(Callback):
    """``file``: where to write (standard output by default). ``rich``: True draws the bar,
    False prints plain lines, None (the default) draws it only when ``file`` is a terminal."""

    def __init__(self, file=None, rich=None):
        self.file = file
        self.rich = rich
        self._progress = None

    def _stream(self):
        return self.file if self.file is not None else sys.stdout

    def on_train_begin(self, trainer):
        stream = self._stream()
        use_rich = self.rich
        if use_rich is None:
            use_rich = bool(getattr(stream, "isatty", lambda: False)())
        self._use_rich = use_rich

    def on_epoch_begin(self, trainer, epoch, logs):
        self._start = self._last_draw = time.perf_counter()
        self._steps = 0
        self._samples = 0
        self._loss_sum = 0.0
        self._title = f"Epoch {epoch + 1}/{getattr(trainer, 'epochs', '?')}"
        if self._use_rich:
            self._start_bar(getattr(trainer, "steps_per_epoch", None))

    def _start_bar(self, total):
        progress = require("rich.progress", "cli")
        self._console = require("rich.console", "cli").Console(
            file=self._stream(), force_terminal=True if self.rich else None
        )
        # transient: the bar goes once the epoch ends and a full line is printed in its place.
        self._progress = progress.Progress(
            progress.TextColumn("[bold]{task.description}"),
            progress.BarColumn(bar_width=30),
            progress.MofNCompleteColumn(),
            progress.TextColumn("{task.fields[speed]}"),
            progress.TextColumn("ETA"),
            progress.TimeRemainingColumn(),
            progress.TextColumn("{task.fields[info]}"),
            console=self._console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self._title, total=total, speed="", info="")

    def on_batch_end(self, trainer, batch, logs):
        self._steps += 1
        size = logs.get("size", 1)
        self._samples += size
        loss = logs.get("loss")
        if loss is not None:
            self._loss_sum += loss * size
        if self._progress is None:
            return
        now = time.perf_counter()
        if now - self._last_draw < 0.1:  # formatting every batch would cost more than it shows
            self._progress.advance(self._task)
            return
        self._last_draw = now
        info = f"loss: {_number(self._loss_sum / max(self._samples, 1))}"
        self._progress.update(self._task, advance=1, speed=self._speed(now), info=info)

    def _speed(self, now):
        rate = self._steps / max(now - self._start, 1e-9)
        return f"{rate:.1f} it/s" if rate >= 1 else f"{1 / max(rate, 1e-9):.2f} s/it"

    def on_epoch_end(self, trainer, epoch, logs):
        now = time.perf_counter()
        line = f"{self._title} - {self._steps} steps in {now - self._start:.2f}s"
        line += f" ({self._speed(now)})"
        if logs:
            line += " - " + format_logs(logs)
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._console.print(line, highlight=False, soft_wrap=True)
            return
        print(line, file=self._stream(), flush=True)

    def on_train_end(self, trainer):
        self.close()

    def close(self):
        """Take the bar down (the Trainer calls this even when training is interrupted)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
