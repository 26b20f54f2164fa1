"""How a Trainer evaluates and predicts: ``evaluate`` (the mean loss and the metrics over some
data, in eval mode and without gradients) and ``predict`` (the outputs, concatenated). A mixin of
``glassnet.train.trainer.Trainer``, kept apart from the training loop it reuses (``_run``).
"""

from __future__ import annotations

from glassnet.grad_mode import no_grad
from glassnet.ops.shape_join import cat
from glassnet.train.batches import (
    call_model,
    restore_modes,
    split_inputs,
    to_device,
    training_modes,
)
from glassnet.train.finite import InputScreen

__all__ = []


class _TrainerEvaluation:
    """``evaluate`` and ``predict`` (a mixin of ``Trainer``, which supplies ``_run``, ``_device``
    and ``model``)."""

    def evaluate(self, data, nonfinite="raise") -> dict:
        """The mean loss (weighted by batch size) and each metric over ``data``, in eval mode
        and without gradients: ``{'loss': ..., 'accuracy': ...}``.

        ``nonfinite``: what to do with a batch whose inputs (or floating targets) hold NaN or
        inf: 'raise' (the default; a ValueError naming the batch and the rows) or 'warn' (one
        warning listing the rows; the loss and the metrics then come out NaN)."""
        return self._evaluate(data, "Trainer.evaluate", nonfinite)

    def _evaluate(self, data, who, nonfinite="raise"):
        screen = InputScreen(who, nonfinite)
        modes = training_modes(self.model)
        self.model.eval()
        try:
            with no_grad():
                return self._run(data, training=False, screen=screen)
        finally:
            restore_modes(modes)

    def predict(self, data, nonfinite="raise"):
        """The model's outputs for every batch of ``data`` (batches of inputs, or of
        ``(inputs, targets)``), concatenated along the first dimension. ``nonfinite``: as in
        ``evaluate`` ('warn' returns the outputs, NaN rows and all, after one warning)."""
        screen = InputScreen("Trainer.predict", nonfinite)
        modes = training_modes(self.model)
        self.model.eval()
        device = self._device()
        outputs = []
        try:
            with no_grad():
                for i, batch in enumerate(data):
                    inputs = to_device(split_inputs(batch), device)
                    screen.check(i, inputs, None)
                    outputs.append(call_model(self.model, inputs))
        finally:
            restore_modes(modes)
        screen.finish()
        if not outputs:
            raise ValueError("Trainer.predict: the data gave no batches")
        if isinstance(outputs[0], (tuple, list)):
            return type(outputs[0])(cat(list(parts)) for parts in zip(*outputs))
        return cat(outputs)
