"""What keeps a run from ending wrongly: training that diverged is reported as a failure (never
as a finished run with NaN weights), and a run is resumed only with the recipe it started with.

>>> from glassnet.train import TrainingDivergedError
>>> is_divergence(TrainingDivergedError("nan loss", epoch=0, batch=3))
True
>>> is_divergence(RuntimeError("other"))
False
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.backend import to_numpy

EXIT_DIVERGED = 3  # the command's exit code when training diverged


class RunFailedError(RuntimeError):
    """Training failed (it diverged); the run folder is marked failed and holds no weights.
    ``epoch``/``batch``/``reason`` say where and why, when known; ``checkpoint_kept``: the
    Trainer stopped in time to keep the last good state in the checkpoint."""

    def __init__(
        self, message, *, run_dir, epoch=None, batch=None, reason=None, checkpoint_kept=False
    ):
        super().__init__(message)
        self.run_dir, self.epoch, self.batch, self.reason = run_dir, epoch, batch, reason
        self.checkpoint_kept = checkpoint_kept


# Fields that do not change what is trained: a resumed run may differ in them.
_DESCRIPTIVE = ("name", "description", "expected")


def check_same_recipe(run_dir, recipe) -> None:
    """A run is resumed only with the recipe it was started with (else its checkpoint would
    be continued by different settings)."""
    from glassnet import report

    if not os.path.isfile(os.path.join(run_dir, report.CONFIG)):
        return  # killed before its config was written: nothing was trained yet
    path = os.path.join(run_dir, report.CONFIG)
    saved = report.read_config(run_dir).get("recipe")
    now = recipe.to_dict()
    now["loss"] = recipe.resolved_loss()
    if not isinstance(saved, dict):
        raise report.RunFolderError(f"{path} is damaged (no recipe); train the run again")
    changed = [
        f"{k}: {saved.get(k)!r} in the folder, {now[k]!r} now"
        for k in now
        if k not in _DESCRIPTIVE and _plain(saved.get(k)) != _plain(now[k])
    ]
    if changed:
        raise report.RunFolderError(
            f"{run_dir} was trained with another recipe ({'; '.join(changed)}); resume with "
            "the same recipe and options (glassnet train --resume --out DIR takes them from "
            "the folder), or give --overwrite to train it again with the new ones"
        )


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def is_divergence(exc) -> bool:
    """Whether ``exc`` is the Trainer's TrainingDivergedError."""
    from glassnet.train import TrainingDivergedError

    return isinstance(exc, TrainingDivergedError)


def non_finite_training(recipe, model, history):
    """``(message, info)`` when training ended with a non-finite loss or non-finite weights
    (a diverged run the Trainer did not stop), else None."""
    losses = history.history.get("loss", [])
    bad_epoch = next((i for i, v in enumerate(losses) if not np.isfinite(v)), None)
    arrays = {name: to_numpy(t._data) for name, t in model.state_dict().items()}
    bad_weights = [
        name
        for name, a in arrays.items()
        if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a))
    ]
    if bad_epoch is None and not bad_weights:
        return None
    epoch = history.epoch[bad_epoch] + 1 if bad_epoch is not None else len(losses)
    what = f"the loss became {losses[bad_epoch]}" if bad_epoch is not None else "the loss"
    if bad_weights:
        what += f", weights such as {bad_weights[0]} hold NaN or Inf"
    message = (
        f"training diverged in epoch {epoch} of {recipe.epochs}: {what}; lower the learning "
        f"rate (lr = {recipe.lr:g}) or set grad_clip in the recipe"
    )
    return message, {"epoch": epoch, "batch": None, "reason": "non-finite loss or weights"}


def mark_failed(run_dir, config, history, message, checkpoint_kept=False, **info) -> None:
    from glassnet import report

    weights = os.path.join(run_dir, report.MODEL)
    if os.path.isfile(weights):
        os.unlink(weights)
    report.write_failed_run(
        run_dir,
        config=config,
        message=message,
        history=history,
        checkpoint_kept=checkpoint_kept,
        **info,
    )
