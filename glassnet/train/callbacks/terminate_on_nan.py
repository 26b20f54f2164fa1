"""TerminateOnNaN: stop training as soon as a batch's loss is NaN or infinite (Keras's callback).

It only stops the loop, with a warning: the weights stay as the bad step left them. The Trainer
does more by itself (``Trainer(terminate_on_nan=True)``, the default): it puts back the state of
the last good epoch and raises ``TrainingDivergedError`` (see ``glassnet.train.divergence``).
This callback is for a run started with ``terminate_on_nan=False`` that should still end, not
fail, at the first NaN.

>>> import warnings
>>> class FakeTrainer:
...     stop_training, epoch, epochs, steps_per_epoch = False, 0, 5, 10
>>> t = FakeTrainer()
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     TerminateOnNaN().on_batch_end(t, 3, {"loss": float("nan")})
>>> t.stop_training, str(caught[0].message).split(";")[0]
(True, 'TerminateOnNaN: the loss is nan at epoch 1/5, batch 4/10')
"""

from __future__ import annotations

import math
import warnings

from glassnet.train.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Set ``trainer.stop_training`` and warn, naming the epoch and batch (both counted from 1),
    when the loss stops being finite. The message is also kept in ``trainer.stop_reason``."""

    def on_batch_end(self, trainer, batch, logs):
        loss = logs.get("loss")
        if loss is None or math.isfinite(loss):
            return
        epochs = getattr(trainer, "epochs", None)
        steps = getattr(trainer, "steps_per_epoch", None)
        epoch = getattr(trainer, "epoch", 0) + 1
        message = (
            f"TerminateOnNaN: the loss is {loss} at epoch {epoch}{f'/{epochs}' if epochs else ''}"
            f", batch {batch + 1}{f'/{steps}' if steps else ''}; training stopped. Usual causes: "
            "a learning rate that is too high (try 10x smaller), log of zero or division by zero "
            "in the loss, or inputs that hold NaN/inf (check the data); grad_clip= can also help."
        )
        trainer.stop_training = True
        trainer.stop_reason = message
        warnings.warn(message, RuntimeWarning, stacklevel=2)
