"""What ``Trainer.fit`` does when training diverges: a loss, a parameter or a buffer that is no
longer finite (NaN or infinity).

With ``Trainer(terminate_on_nan=True)`` (the default) a ``DivergenceGuard`` keeps an in-memory
copy of the model, optimizer and scheduler state taken at the end of each good epoch (the state
the epoch's checkpoint holds), checks the loss of every batch and, after every optimizer step,
the parameters (one dot product per parameter, see ``glassnet.train.finite``). On the first
non-finite value it puts that copy back, marks the run as failed and raises
``TrainingDivergedError``; nothing non-finite is ever written as a checkpoint.

With ``terminate_on_nan=False`` training goes on, with one warning the first time the loss is
not finite; checkpoints are still not written over while the weights are not finite.

>>> err = TrainingDivergedError("diverged", epoch=2, batch=4, reason="the loss is nan")
>>> isinstance(err, RuntimeError), err.epoch, err.batch, err.reason
(True, 2, 4, 'the loss is nan')
"""

from __future__ import annotations

import copy
import math
import warnings

from glassnet.errors import GlassnetError
from glassnet.tensor_tree import tensors_in
from glassnet.train.finite import (
    all_finite,
    count_nonfinite,
    describe_counts,
    describe_rows,
    nonfinite_entries,
    nonfinite_rows,
)


class TrainingDivergedError(GlassnetError, RuntimeError):
    """Training stopped because a loss, parameter or buffer stopped being finite.

    ``epoch`` and ``batch`` count from 0, as the callbacks' arguments do (the message counts
    from 1, as a progress bar does); ``batch`` is None when the epoch's end (its validation
    loss or a buffer) was at fault. ``reason`` says what was not finite. ``restored_epoch`` is
    the epoch whose end state the model was put back to (None: the state before training).
    ``history`` is the record of the good epochs; ``checkpoint`` the last good checkpoint
    file, if the run wrote one.
    """

    def __init__(
        self,
        message,
        *,
        epoch=None,
        batch=None,
        reason=None,
        restored_epoch=None,
        history=None,
        checkpoint=None,
    ):
        super().__init__(message)
        self.epoch, self.batch, self.reason = epoch, batch, reason
        self.restored_epoch, self.history, self.checkpoint = restored_epoch, history, checkpoint


def _parameters(optimizer):
    return [p for group in optimizer.param_groups for p in group["params"]]


class DivergenceGuard:
    """The Trainer's watch for non-finite values during one ``fit`` (see the module doc)."""

    def __init__(self, terminate: bool):
        self.terminate = terminate
        self.warned = False
        self.snapshot = None
        self.snapshot_epoch = None
        self.bad_step = None  # what the last failed parameter check found
        self.names = {}  # id(parameter) -> its dotted name, for the messages
        self.params = []

    # ---- the good state to go back to ----------------------------------------------------------
    def start(self, trainer, last_epoch):
        """Called once the run (or a resumed run) is set up; ``last_epoch`` is the last epoch
        already finished (None for a new run)."""
        self.warned, self.bad_step = False, None
        self.names = {id(p): n for n, p in trainer.model.named_parameters()}
        # The optimizer's parameters are the ones a step changes (a group added later is
        # still covered by the full check at each epoch's end).
        self.params = _parameters(trainer.optimizer)
        if not self.terminate:
            return
        bad = nonfinite_entries(trainer.model.state_dict())
        if bad:
            name, nans, infs = bad[0]
            raise ValueError(
                f"Trainer.fit: the model is not finite before training: '{name}' holds "
                f"{describe_counts(nans, infs)} ({len(bad)} tensor(s) in all). Start from "
                "finite weights (a fresh model, or an earlier checkpoint)."
            )
        self.keep(trainer, last_epoch)

    def keep(self, trainer, epoch):
        """Remember the current state as the last good one (the end of ``epoch``)."""
        if not self.terminate:
            return
        scheduler = trainer.scheduler
        self.snapshot = {
            "model": {k: v._data.copy() for k, v in trainer.model.state_dict().items()},
            "optimizer": trainer.optimizer.state_dict(),  # its arrays are copies already
            "scheduler": copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None,
        }
        self.snapshot_epoch = epoch

    def _restore(self, trainer):
        trainer.model.load_state_dict(self.snapshot["model"])
        trainer.optimizer.load_state_dict(self.snapshot["optimizer"])
        if self.snapshot["scheduler"] is not None:
            trainer.scheduler.load_state_dict(copy.deepcopy(self.snapshot["scheduler"]))
        trainer.optimizer.zero_grad()

    # ---- the checks ----------------------------------------------------------------------------
    def after_step(self):
        """After ``optimizer.step()``, before the gradients are cleared: are the parameters
        still finite? If not, note which (and whether their gradients were) for the error."""
        if not self.terminate:
            return
        if all_finite([p._data for p in self.params]):
            return
        for p in self.params:
            nans, infs = count_nonfinite(p._data)
            if nans or infs:
                grad = p.grad._data if p.grad is not None else None
                g_nans, g_infs = count_nonfinite(grad) if grad is not None else (0, 0)
                self.bad_step = (self.names.get(id(p), "a parameter"), nans, infs, g_nans, g_infs)
                return

    def check_batch(self, trainer, batch, loss, inputs, targets):
        """After a training batch: raise (or warn once) when its loss or, after a step, the
        parameters are not finite."""
        finite_loss = math.isfinite(loss)
        if finite_loss and self.bad_step is None:
            return
        reason = f"the loss is {loss}" if not finite_loss else self._step_reason()
        if not self.terminate:
            self.warn_once(trainer, reason, where(trainer, batch))
            return
        self.fail(trainer, batch, reason, hints_from_batch(inputs, targets))

    def check_epoch(self, trainer, logs):
        """At an epoch's end, before the scheduler, the callbacks and the checkpoint see it."""
        val = logs.get("val_loss")
        if val is not None and not math.isfinite(val):
            reason = f"the validation loss is {val} (the training loss was {logs['loss']:.6g})"
        else:
            bad = self.nonfinite_state(trainer) if self.terminate else None
            if bad is None:
                return
            reason = f"{bad} at the end of the epoch"
        if not self.terminate:
            self.warn_once(trainer, reason, where(trainer, None))
            return
        self.fail(trainer, None, reason, [])

    def safe_to_save(self, trainer, path) -> bool:
        """Whether the state may be written as a checkpoint (it is finite); warns once if not."""
        bad = self.nonfinite_state(trainer)
        if bad is None:
            return True
        self.warn_once(
            trainer,
            bad,
            where(trainer, None),
            extra=f" The checkpoint {path} was not written over.",
        )
        return False

    def nonfinite_state(self, trainer):
        """What a checkpoint would hold that is not finite (the model's parameters and buffers,
        then the optimizer's state, such as Adam's moments), described; None if all is finite."""
        bad = nonfinite_entries(trainer.model.state_dict())
        if bad:
            name, nans, infs = bad[0]
            return f"'{name}' holds {describe_counts(nans, infs)}"
        state = trainer.optimizer.state
        arrays = [(p, k, v) for p, s in state.items() for k, v in s.items()]
        if all_finite(v for _, _, v in arrays):
            return None
        for p, key, value in arrays:
            nans, infs = count_nonfinite(value)
            if nans or infs:
                name = self.names.get(id(p), "a parameter")
                return f"the optimizer's '{key}' for '{name}' holds {describe_counts(nans, infs)}"
        return None

    def _step_reason(self):
        name, nans, infs, g_nans, g_infs = self.bad_step
        cause = (
            f"; its gradient held {describe_counts(g_nans, g_infs)}"
            if g_nans or g_infs
            else " although its gradient was finite: the update itself overflowed"
        )
        return (
            f"parameter '{name}' became non-finite ({describe_counts(nans, infs)}) in the "
            f"optimizer step{cause}"
        )

    # ---- the outcomes --------------------------------------------------------------------------
    def warn_once(self, trainer, reason, place, extra=""):
        if self.warned:
            return
        self.warned = True
        warnings.warn(
            f"Trainer: {reason} at {place}; training goes on because terminate_on_nan=False, "
            "but the weights are probably not finite from here on, and checkpoints are not "
            f"written while they are not.{extra} (This warning is shown once per fit.)",
            RuntimeWarning,
            stacklevel=2,
        )

    def fail(self, trainer, batch, reason, batch_hints):
        self._restore(trainer)
        if self.snapshot_epoch is None:
            restored = "their state before training started"
        else:
            restored = f"their state at the end of epoch {self.snapshot_epoch + 1}"
        path = trainer.checkpoint_path if self.snapshot_epoch is not None else None
        saved = f", the state in {path}" if path else ""
        message = (
            f"Training diverged at {where(trainer, batch)}: {reason}. The model, optimizer "
            f"and scheduler were put back to {restored}{saved}; nothing non-finite was saved. "
            f"Likely fixes: {'; '.join(batch_hints + fixes(trainer))}."
        )
        trainer.failed = True
        trainer.stop_training = True
        trainer.stop_reason = message
        raise TrainingDivergedError(
            message,
            epoch=trainer.epoch,
            batch=batch,
            reason=reason,
            restored_epoch=self.snapshot_epoch,
            history=trainer.history,
            checkpoint=path,
        )


def where(trainer, batch) -> str:
    """'epoch 3/10, batch 5/8 (step 21)', counting from 1."""
    epochs, steps = trainer.epochs, trainer.steps_per_epoch
    text = f"epoch {trainer.epoch + 1}{f'/{epochs}' if epochs else ''}"
    if batch is None:
        return text + " (its end)"
    text += f", batch {batch + 1}{f'/{steps}' if steps else ''}"
    return text + f" (step {trainer.global_step})"


def hints_from_batch(inputs, targets) -> list[str]:
    """What a failing batch itself shows: non-finite inputs or targets."""
    hints = []
    for what, obj in (("inputs", inputs), ("targets", targets)):
        nans = infs = 0
        rows = set()
        for t in tensors_in(obj, arrays=True):
            n, i = count_nonfinite(t)
            if n or i:
                nans, infs = nans + n, infs + i
                rows.update(int(r) for r in nonfinite_rows(t))
        if nans or infs:
            hints.append(
                f"this batch's {what} hold {describe_counts(nans, infs)} "
                f"({describe_rows(sorted(rows), 'of the batch')}): clean the data (drop or fill "
                "those rows)"
            )
    return hints


def fixes(trainer) -> list[str]:
    """The usual remedies, filled in with this run's settings."""
    lr = trainer.optimizer.param_groups[0].get("lr")
    out = []
    if isinstance(lr, (int, float)) and lr > 0:
        out.append(f"lower the learning rate (lr={lr:g} now; try lr={lr / 10:g})")
    else:
        out.append("lower the learning rate (try 10x smaller)")
    if trainer.grad_clip is None:
        out.append("clip the gradients (Trainer(grad_clip=1.0))")
    else:
        out.append(f"clip the gradients harder (grad_clip={trainer.grad_clip:g} now)")
    out.append("check the inputs for NaN/inf values")
    out.append(
        "compute the loss on logits (nn.CrossEntropyLoss, nn.BCEWithLogitsLoss) instead of "
        "taking log() of softmax or sigmoid outputs"
    )
    out.append("to train on regardless, pass terminate_on_nan=False")
    return out
