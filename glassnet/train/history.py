"""History: what ``Trainer.fit`` returns, the per-epoch record of loss and metrics.

>>> h = History()
>>> h.append(0, {"loss": 1.0, "val_loss": 1.2})
>>> h.append(1, {"loss": 0.5, "val_loss": 0.9})
>>> h.history["val_loss"], h.epoch
([1.2, 0.9], [0, 1])
"""

from __future__ import annotations

import math

from glassnet._optional import require


class History:
    """``history``: name -> list of per-epoch values ('loss', 'val_loss', 'accuracy',
    'val_accuracy', ...). ``epoch``: the epoch indices (from 0) the lists line up with.
    ``plot(path)`` draws loss and each metric, training against validation."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict) -> None:
        """Record one epoch's logs (a name first seen late is padded with NaN before)."""
        n = len(self.epoch)
        for name, value in logs.items():
            values = self.history.setdefault(name, [math.nan] * n)
            values.append(float(value))
        self.epoch.append(int(epoch))
        for values in self.history.values():
            if len(values) < n + 1:
                values.append(math.nan)

    def __len__(self):
        return len(self.epoch)

    def __getitem__(self, name):
        return self.history[name]

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"

    def state_dict(self) -> dict:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}

    def plot(self, path=None):
        """Draw one panel per quantity (loss first, then each metric), the training curve
        against the validation one; save it as an image when ``path`` is given (PNG by
        extension). Returns the matplotlib Figure.

        >>> import os, tempfile
        >>> h = History(); h.append(0, {"loss": 1.0, "val_loss": 1.1})
        >>> h.append(1, {"loss": 0.4, "val_loss": 0.6})
        >>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
        >>> fig = h.plot(path)
        >>> open(path, "rb").read(4)
        b'\\x89PNG'
        """
        require("matplotlib", "viz")
        names = [k for k in self.history if not k.startswith("val_")]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        names.sort(key=lambda k: (k != "loss", k == "lr"))
        if not names:
            raise ValueError("History.plot: nothing to plot; fit() has not recorded any epoch")
        if path is None:
            # pyplot, so that notebooks show the figure inline.
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
        else:
            from matplotlib.figure import Figure  # no GUI backend needed to save a file

            fig = Figure(figsize=(4.5 * len(names), 3.6))
            axes = fig.subplots(1, len(names), squeeze=False)
        epochs = [e + 1 for e in self.epoch]
        for ax, name in zip(axes[0], names):
            if name in self.history:
                ax.plot(epochs, self.history[name], marker="o", label="train")
            if "val_" + name in self.history:
                ax.plot(epochs, self.history["val_" + name], marker="o", label="val")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig
