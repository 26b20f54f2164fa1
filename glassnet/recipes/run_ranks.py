"""Data-parallel training of a recipe (``glassnet train RECIPE --nproc N``): every rank trains
the model in DistributedDataParallel on its shard of the training split, rank 0 alone writes
the run folder. Kept apart from ``glassnet.recipes.runner``, the one-process run it builds on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time

import glassnet
from glassnet.recipes.guards import is_divergence

__all__ = []


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
    from glassnet.recipes.runner import RECIPE_FILE, Run, _config, _diverged, _finish, _trainer

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
