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

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

import glassnet
from glassnet.grad_mode import no_grad
from glassnet.recipes.builders import build_loss, build_model, build_optimizer, build_scheduler
from glassnet.recipes.guards import (
    RunFailedError,
    check_same_recipe,
    is_divergence,
    mark_failed,
    non_finite_training,
)
from glassnet.recipes.prepare import PreparedData, Preprocessing, prepare
from glassnet.recipes.recipe import Recipe

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


@dataclass
class LoadedRun:
    """A run directory read back: its recipe, preprocessing and trained model (eval mode)."""

    run_dir: str
    recipe: Recipe
    preprocessing: Preprocessing
    model: glassnet.nn.Module
    config: dict


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


def build(recipe: Recipe, preprocessing: Preprocessing, num_outputs: int):
    """The recipe's model for data described by ``preprocessing``."""
    options = {**recipe.model_options, **preprocessing.model_options()}
    return build_model(recipe.model, preprocessing.input_shape, num_outputs, options)


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


# ---- data-parallel training (``glassnet train RECIPE --nproc N``) -----------------------------
def _world():
    """``(world_size, rank)`` of the default process group, ``(1, 0)`` without one."""
    from glassnet import distributed as dist

    if not dist.is_initialized():
        return 1, 0
    return dist.get_world_size(), dist.get_rank()


_ACTIONS = ("new", "resume", "finished")


def _agree(action):
    """Rank 0's folder decision, broadcast to every rank."""
    from glassnet import distributed as dist

    code = glassnet.tensor([_ACTIONS.index(action)], dtype=glassnet.int64)
    dist.broadcast(code, src=0)
    return _ACTIONS[int(code.item())]


def _shard(loader, seed, world, rank):
    """``(loader, sampler)``: the training loader over this rank's DistributedSampler share,
    at the recipe's batch size per rank (PyTorch's convention: the global batch is N times
    the recipe's batch_size)."""
    from glassnet.data import DataLoader, DistributedSampler

    inner = getattr(loader, "loader", loader)  # an AugmentedLoader wraps a DataLoader
    if not isinstance(inner, DataLoader):
        raise TypeError(
            f"glassnet train --nproc: the training data is a {type(inner).__name__}, not a "
            "DataLoader over a dataset, so it cannot be split between processes"
        )
    sampler = DistributedSampler(inner.dataset, world, rank, shuffle=True, seed=seed)
    sharded = DataLoader(inner.dataset, batch_size=inner.batch_size, sampler=sampler)
    if inner is loader:
        return sharded, sampler
    loader.loader = sharded
    return loader, sampler


def _rank_callbacks(sampler):
    """The callbacks every rank runs first: reshuffle the shards each epoch, and average the
    training loss and metrics over the ranks (every shard has the same size, so the mean of
    the ranks' means is the mean over the whole epoch)."""
    from glassnet import distributed as dist
    from glassnet.train import Callback

    class _Shards(Callback):
        def on_epoch_begin(self, trainer, epoch, logs):
            sampler.set_epoch(epoch)

        def on_epoch_end(self, trainer, epoch, logs):
            keys = sorted(k for k, v in logs.items() if not k.startswith("val_") and k != "lr")
            keys = [k for k in keys if isinstance(logs[k], (int, float))]
            if keys:
                values = glassnet.tensor([float(logs[k]) for k in keys], dtype=glassnet.float64)
                dist.all_reduce(values, op=dist.ReduceOp.SUM)
                for k, v in zip(keys, values.tolist()):
                    logs[k] = v / dist.get_world_size()

    return [_Shards()]


def _check_same_world(run_dir, world):
    """A run is resumed only on as many processes as it was started with: the batch size is
    per process, so another count would continue it with another global batch."""
    from glassnet import report

    if not os.path.isfile(os.path.join(run_dir, report.CONFIG)):
        return  # killed before its config was written: nothing was trained yet
    saved = report.read_config(run_dir).get("nproc", 1)
    if saved != world:

        def flag(n):
            return f"--nproc {n}" if n > 1 else "no --nproc"

        raise report.RunFolderError(
            f"{run_dir} was trained on {saved} process(es) and this run has {world}: the "
            f"global batch would change; resume it with {flag(saved)}, or give --overwrite "
            "to train it again"
        )


def _rank_checkpoint_dir(run_dir, resume, lead, stack):
    """``(checkpoint_dir, resume)`` for this rank's Trainer.fit. Rank 0 reads and writes the
    run's checkpoint. The other ranks read the same state to resume (model, optimizer,
    callbacks, random state: equal on every rank, since the ranks train in lockstep) from a
    private copy, so that what their Trainer writes each epoch never touches rank 0's file;
    without resume they keep no checkpoint."""
    from glassnet import report
    from glassnet.train.trainer import CHECKPOINT_FILE

    shared = os.path.join(run_dir, report.CHECKPOINT_DIR)
    if lead:
        return shared, resume
    if not resume or not os.path.exists(os.path.join(shared, CHECKPOINT_FILE)):
        return None, False
    # Copied before this rank's first step; rank 0 cannot write a newer checkpoint before
    # then, as finishing an epoch needs every rank's gradients.
    private = stack.enter_context(tempfile.TemporaryDirectory(prefix="glassnet-rank-"))
    shutil.copy2(os.path.join(shared, CHECKPOINT_FILE), os.path.join(private, CHECKPOINT_FILE))
    return private, True


def _train_ranks(recipe, run_dir, model, data, device, progress, doctor, start, resume=False):
    """One rank's share of a data-parallel run: the model in DistributedDataParallel, this
    rank's shard of the training split; validation runs on every rank (the weights agree, so
    the numbers do); rank 0 alone writes the folder, the checkpoints and the test metrics,
    with the plain model's weights (no ``module.`` prefix). ``resume``: every rank continues
    from the checkpoint rank 0 wrote."""
    from glassnet import report
    from glassnet.nn.parallel import DistributedDataParallel

    world, rank = _world()
    if device is not None:
        model.to(device)
    ddp = DistributedDataParallel(model)
    data.train, sampler = _shard(data.train, recipe.seed, world, rank)
    lead = rank == 0
    trainer = _trainer(
        recipe,
        ddp,
        data,
        device,
        progress and lead,
        doctor and lead,
        first_callbacks=_rank_callbacks(sampler),
    )
    config = _config(recipe, data)
    config["nproc"] = world
    if lead:
        os.makedirs(run_dir, exist_ok=True)
        report.write_config(run_dir, config)
        report.write_status(run_dir, "running")
        if data.write_extras is not None:
            try:
                data.description = data.write_extras(run_dir) or data.description
            except ImportError:
                pass
            report.write_json(os.path.join(run_dir, RECIPE_FILE), recipe.to_dict())
    try:
        with contextlib.ExitStack() as stack:
            checkpoint_dir, resume = _rank_checkpoint_dir(run_dir, resume, lead, stack)
            history = trainer.fit(
                data.train,
                val=data.val,
                epochs=recipe.epochs,
                checkpoint_dir=checkpoint_dir,
                resume=resume,
                extras={"config": config},
            )
    except Exception as exc:
        if not (lead and is_divergence(exc)):
            raise
        raise _diverged(exc, run_dir, config, trainer) from exc
    trainer.model = model  # the test split is scored once, on rank 0, without collectives
    state = "resumed" if trainer.resumed else "trained"
    if not lead:
        wall_time = time.perf_counter() - start
        return Run(run_dir, recipe, {}, history, wall_time, state=state, rank=rank)
    metrics, notes, wall_time = _finish(
        recipe, run_dir, config, model, trainer, history, data, start
    )
    return Run(run_dir, recipe, metrics, history, wall_time, notes, state=state, rank=rank)


def test_metrics(recipe, pre, model, trainer, data):
    """The test loss and the recipe's metrics in target units (unscaled for regression), and
    the confusion matrix for classifiers."""
    loss = trainer.evaluate(data.test)["loss"]
    preds = pre.outputs(trainer.predict(data.test))
    return score(recipe, pre, preds, data.y_test, loss)


def score(recipe, pre, preds, y, loss=None):
    """``(metrics, confusion)`` of predictions ``preds`` (probabilities or values, as
    ``Preprocessing.outputs`` gives) against raw targets ``y``."""
    from glassnet.train import metrics as registry

    metrics = {} if loss is None else {"loss": float(loss)}
    if recipe.task == "classification":
        targets = np.asarray(y).astype(np.int64).reshape(-1)
    else:
        targets = np.asarray(y, dtype=np.float64).reshape(preds.shape)
    for name in recipe.metrics:
        m = registry.get(name)
        m.update(glassnet.from_numpy(preds), glassnet.from_numpy(targets))
        metrics[m.name] = float(m.compute())
    confusion = None
    if recipe.is_classifier:
        labels = predicted_labels(recipe.task, preds)
        k = preds.shape[1] if recipe.task == "classification" else 2
        t = targets.astype(np.int64).reshape(-1)
        confusion = np.bincount(t * k + labels, minlength=k * k).reshape(k, k)
    return metrics, confusion


def predicted_labels(task, probs):
    """Class indices from class probabilities (or one binary probability, cut at 0.5)."""
    if task == "binary":
        return (probs.reshape(-1) >= 0.5).astype(np.int64)
    return probs.argmax(axis=1)


def _summary_text(model, pre):
    from glassnet.train import summary

    try:
        return str(summary(model, (1, *pre.input_shape)))
    except Exception:  # the report is still useful without the table
        return ""


def load_run(run_dir, device=None) -> LoadedRun:
    """Rebuild a run's model (with its trained weights) and preprocessing from ``run_dir``;
    a run that did not finish (or failed) is refused."""
    from glassnet import report

    run_dir = os.fspath(run_dir)
    config = report.read_config(run_dir)
    path = os.path.join(run_dir, report.CONFIG)
    state = report.folder_state(run_dir)
    if state != "finished":
        status = report.read_status(run_dir) or {}
        why = f": {status['message']}" if status.get("message") else ""
        fix = (
            "change the recipe and train it again with --overwrite"
            if state == "failed"
            else f"finish it with: glassnet train --resume --out {run_dir}"
        )
        kind = "a failed" if state == "failed" else "an unfinished"
        raise report.RunFolderError(f"{run_dir} holds {kind} run{why}; it has no model: {fix}")
    recipe = Recipe.from_dict(_entry(config, "recipe", dict, path), source=path)
    try:
        pre = Preprocessing.from_state_dict(_entry(config, "preprocessing", dict, path))
    except TypeError as exc:
        raise report.RunFolderError(f"{path}: damaged preprocessing entry ({exc})") from None
    num_outputs = _entry(config, "num_outputs", int, path)
    model = build(recipe, pre, num_outputs)
    model.load_state_dict(glassnet.load(os.path.join(run_dir, report.MODEL)))
    if device is not None:
        model.to(device)
    model.eval()
    return LoadedRun(run_dir, recipe, pre, model, config)


def _entry(config, key, kind, path):
    from glassnet import report

    value = config.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 1):
        raise report.RunFolderError(
            f"{path} is incomplete or from another version ({key!r} is {value!r}); train the "
            "run again"
        )
    return value


def forward(run: LoadedRun, x, y=None, batch_size: int = 256):
    """Predictions in target units (probabilities for classifiers) for raw inputs ``x``; with
    targets ``y`` also the recipe's loss on them (in the units training used)."""
    pre, model = run.preprocessing, run.model
    inputs = pre.inputs(x)
    targets = None if y is None else pre.targets(y)
    loss_fn = None if y is None else build_loss(run.recipe.resolved_loss())
    device = next(iter(model.parameters())).device
    preds, total = [], 0.0
    with no_grad():
        for i in range(0, len(inputs), batch_size):
            out = model(glassnet.from_numpy(inputs[i : i + batch_size]).to(device))
            preds.append(pre.outputs(out))
            if loss_fn is not None:
                t = glassnet.from_numpy(targets[i : i + batch_size]).to(device)
                total += loss_fn(out, t).item() * len(t)
    if not preds:
        raise ValueError("glassnet: the data has no samples")
    preds = np.concatenate(preds)
    return preds if y is None else (preds, total / len(inputs))


def evaluate(run: LoadedRun, x=None, y=None):
    """``(metrics, confusion)`` of a loaded run on ``(x, y)`` (raw arrays), or on its recipe's
    test split when they are not given (the same seeded split that training held out)."""
    if x is None:
        data = prepare(run.recipe, warn=False)
        x, y = data.x_test, data.y_test
    preds, loss = forward(run, x, y)
    return score(run.recipe, run.preprocessing, preds, y, loss)
