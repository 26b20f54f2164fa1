"""Running a recipe end to end: train, evaluate on the test split, write the run directory; and
reading a run directory back to evaluate or predict.

>>> import tempfile
>>> from glassnet.recipes import get
>>> run = train(get("xor-mlp").replace(epochs=1), tempfile.mkdtemp(), progress=False)
>>> sorted(run.metrics)
['accuracy', 'loss']
>>> loaded = load_run(run.run_dir)
>>> loaded.recipe.name, type(loaded.model).__name__
('xor-mlp', 'MLP')
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import glassnet
from glassnet.recipes.builders import build_loss, build_optimizer, build_scheduler
from glassnet.recipes.guards import (
    RunFailedError,
    check_same_recipe,
    is_divergence,
    mark_failed,
    non_finite_training,
)
from glassnet.recipes.prepare import PreparedData, prepare
from glassnet.recipes.recipe import Recipe
from glassnet.recipes.run_loading import (  # noqa: F401 - reading a run back, re-exported
    LoadedRun,
    _entry,
    build,
    evaluate,
    forward,
    load_run,
)
from glassnet.recipes.run_ranks import (  # noqa: F401 - data-parallel training, re-exported
    _ACTIONS,
    _agree,
    _check_same_world,
    _rank_callbacks,
    _rank_checkpoint_dir,
    _shard,
    _train_ranks,
    _world,
)
from glassnet.recipes.run_scoring import predicted_labels, score, test_metrics  # noqa: F401

FORMAT_VERSION = 1
RECIPE_FILE = "recipe.json"  # --data runs: `glassnet train RUN/recipe.json` trains it again


@dataclass
class Run:
    """A finished run: where its files are, its test metrics, its history, how long it took."""

    run_dir: str
    recipe: Recipe
    metrics: dict
    history: object
    wall_time: float
    notes: list = field(default_factory=list)
    state: str = "trained"  # 'trained', 'resumed' or 'already finished'
    rank: int = 0  # under ``--nproc N``: this process's rank (only rank 0 writes the folder)


class _OnProbabilities:
    """A metric fed probabilities instead of one binary logit, so the 0.5 threshold is exact."""

    def __init__(self, metric):
        self.metric = metric
        self.name = metric.name

    def reset(self):
        self.metric.reset()

    def update(self, preds, targets):
        self.metric.update(preds.sigmoid(), targets)

    def compute(self):
        return self.metric.compute()


def training_metrics(recipe: Recipe) -> list:
    """The recipe's metrics as objects for the Trainer (binary ones read probabilities)."""
    from glassnet.train import metrics as registry

    out = [registry.get(name) for name in recipe.metrics]
    if recipe.task == "binary":
        out = [_OnProbabilities(m) for m in out]
    return out


def _config(recipe: Recipe, data: PreparedData) -> dict:
    recipe_dict = recipe.to_dict()
    recipe_dict["loss"] = recipe.resolved_loss()
    return {
        "format": FORMAT_VERSION,
        "glassnet_version": glassnet.__version__,
        "recipe": recipe_dict,
        "num_outputs": data.num_outputs,
        "preprocessing": data.preprocessing.state_dict(),
        "sizes": data.sizes,
    }


def train(
    recipe: Recipe,
    run_dir,
    *,
    device=None,
    progress=True,
    overwrite=False,
    resume=False,
    source=None,
    on_start=None,
    doctor=True,
    compile=False,  # noqa: A002 - as Trainer(compile=...)
) -> Run:
    """Train ``recipe`` and write everything into ``run_dir`` (see glassnet.report).

    A folder that already holds a run is refused unless ``overwrite`` (delete that run's files
    and train again) or ``resume`` (continue an unfinished run from its checkpoint, ending with
    the weights an uninterrupted run ends with). When training diverges the folder is marked
    failed, no weights are written and RunFailedError is raised. ``source`` names where the
    recipe came from in errors about it (a file, a built-in name). ``on_start(action)`` is
    called once the folder is accepted, with 'new', 'resume' or 'finished'. ``doctor``: watch
    the run with glassnet.doctor.Doctor (its findings go into report.md and doctor.json).
    ``compile``: ``Trainer(compile=True)``, each batch replayed from a recorded plan (same
    weights as eager on the CPU; docs/compile.md).
    """
    from glassnet import report

    start = time.perf_counter()
    run_dir = os.fspath(run_dir)
    source = source or f"recipe {recipe.name!r}"
    world, rank = _world()
    if world > 1 and compile:
        # DistributedDataParallel averages gradients in hooks a plan does not record
        raise ValueError(
            "--compile is not available with --nproc: DistributedDataParallel's gradient "
            "hooks are not compiled; train with one of the two"
        )
    action = "new"
    if rank == 0:
        action = report.claim(run_dir, overwrite=overwrite, resume=resume)
        if action != "new":
            check_same_recipe(run_dir, recipe)
            _check_same_world(run_dir, world)
        if on_start is not None:
            on_start(action)
    if world > 1:  # every rank learns rank 0's decision (a refusal on rank 0 ends the job)
        action = _agree(action)
    if action == "finished":
        metrics = {}
        if rank == 0:
            metrics = report.read_json_file(os.path.join(run_dir, report.METRICS))
        return Run(run_dir, recipe, metrics, None, 0.0, state="already finished", rank=rank)
    glassnet.manual_seed(recipe.seed)
    data = prepare(recipe, source=source)
    pre = data.preprocessing
    model = build(recipe, pre, data.num_outputs)
    if world > 1:
        return _train_ranks(
            recipe, run_dir, model, data, device, progress, doctor, start, action == "resume"
        )
    trainer = _trainer(recipe, model, data, device, progress, doctor, compile=compile)
    config = _config(recipe, data)
    os.makedirs(run_dir, exist_ok=True)
    report.write_config(run_dir, config)
    report.write_status(run_dir, "running")
    if data.write_extras is not None:  # your own data: the data report's pictures, the recipe
        try:
            data.description = data.write_extras(run_dir) or data.description
        except ImportError:  # no matplotlib: the report keeps the data report's text
            pass
        report.write_json(os.path.join(run_dir, RECIPE_FILE), recipe.to_dict())
    try:
        history = trainer.fit(
            data.train,
            val=data.val,
            epochs=recipe.epochs,
            checkpoint_dir=os.path.join(run_dir, report.CHECKPOINT_DIR),
            resume=action == "resume",
            extras={"config": config},
        )
    except Exception as exc:
        if not is_divergence(exc):
            raise
        raise _diverged(exc, run_dir, config, trainer) from exc
    metrics, notes, wall_time = _finish(
        recipe, run_dir, config, model, trainer, history, data, start
    )
    state = "resumed" if trainer.resumed else "trained"
    return Run(run_dir, recipe, metrics, history, wall_time, notes, state=state)


def _diverged(exc, run_dir, config, trainer):
    """The RunFailedError for a fit that diverged, once the folder is marked failed (its
    checkpoint kept) and the doctor's findings are written."""
    # The Trainer counts epochs and batches from 0, as callbacks do; the run folder from 1, as
    # its message does.
    info = {
        "epoch": None if exc.epoch is None else exc.epoch + 1,
        "batch": None if exc.batch is None else exc.batch + 1,
        "reason": exc.reason,
    }
    mark_failed(run_dir, config, trainer.history, str(exc), checkpoint_kept=True, **info)
    _write_doctor(trainer, run_dir)
    return RunFailedError(str(exc), run_dir=run_dir, checkpoint_kept=True, **info)


def _finish(recipe, run_dir, config, model, trainer, history, data, start):
    """After a fit: refuse non-finite weights (the folder marked failed), score the test split
    once, write the run folder and the doctor's findings; ``(metrics, notes, wall_time)``."""
    from glassnet import report

    problem = non_finite_training(recipe, model, history)
    if problem is not None:
        message, info = problem
        mark_failed(run_dir, config, history, message, **info)
        raise RunFailedError(message, run_dir=run_dir, **info)
    wall_time = time.perf_counter() - start
    pre = data.preprocessing
    metrics, confusion = test_metrics(recipe, pre, model, trainer, data)
    notes = report.write_run(
        run_dir,
        config=config,
        model=model,
        history=history,
        metrics=metrics,
        confusion=confusion,
        class_names=pre.class_names,
        sizes=data.sizes,
        data_text=data.description,
        model_text=_summary_text(model, pre),
        wall_time=wall_time,
    )
    _write_doctor(trainer, run_dir)
    return metrics, notes, wall_time


def recipe_to_train(name, out, resume: bool):
    """``(recipe, source)`` for ``glassnet train``: the named recipe (built-in or a file; the
    default recipe when ``name`` is None), or with ``resume`` and no name the recipe the run
    in ``out`` was started with. ``source`` names the recipe in errors."""
    from glassnet import recipes, report

    if resume and not out:
        raise report.RunFolderError("--resume needs --out DIR: the folder of the run to continue")
    if name is None and resume:
        path = os.path.join(out, report.CONFIG)
        if not os.path.isfile(path):
            raise report.RunFolderError(
                f"{out} holds no run to resume (no {report.CONFIG}); give the recipe too: "
                f"glassnet train RECIPE --out {out} --resume"
            )
        saved = report.read_config(out).get("recipe")
        if not isinstance(saved, dict):
            raise report.RunFolderError(f"{path} is damaged (no recipe); train the run again")
        return recipes.Recipe.from_dict(saved, source=path), path
    name = name or recipes.DEFAULT
    source = f"recipe {name!r}" if name in recipes.BUILTIN else f"recipe file {name}"
    return recipes.get(name), source


def _write_doctor(trainer, run_dir):
    for cb in trainer.callbacks:
        if hasattr(cb, "report") and hasattr(cb, "write"):  # glassnet.doctor.Doctor
            cb.write(run_dir)


def _trainer(
    recipe, model, data, device, progress, doctor=False, first_callbacks=(), compile=False
):  # noqa: A002
    from glassnet.train import EarlyStopping, LRSchedulerCallback, Trainer

    optimizer = build_optimizer(
        recipe.optimizer, model.parameters(), recipe.lr, recipe.weight_decay
    )
    scheduler = build_scheduler(recipe.scheduler, optimizer, recipe.epochs, len(data.train))
    per_epoch = scheduler if recipe.scheduler == "plateau" else None  # steps on val_loss
    if per_epoch is not None:
        scheduler = None
    callbacks = list(first_callbacks)
    if scheduler:
        callbacks.append(LRSchedulerCallback(scheduler, interval="step"))
    if recipe.early_stopping and data.val is not None:
        # Validation decides when to stop; the test split is touched once, after training.
        callbacks.append(
            EarlyStopping("val_loss", patience=recipe.early_stopping, restore_best_weights=True)
        )
    if doctor:
        from glassnet.doctor import Doctor

        callbacks.append(Doctor(verbose=progress, val=data.val))
    return Trainer(
        model,
        build_loss(recipe.resolved_loss()),
        optimizer,
        metrics=training_metrics(recipe),
        callbacks=callbacks,
        device=device,
        grad_clip=recipe.grad_clip,
        progress=progress,
        scheduler=per_epoch,
        compile=compile,
    )


def _summary_text(model, pre):
    from glassnet.train import summary

    try:
        return str(summary(model, (1, *pre.input_shape)))
    except Exception:  # the report is still useful without the table
        return ""
