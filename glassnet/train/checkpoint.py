"""Training checkpoints: everything needed to stop a run and carry on later as if it had never
stopped. One file (safetensors + JSON metadata, written atomically by ``glassnet.save``) holds
the model, the optimizer, the scheduler, the epoch and step counters, the history, the random
state (glassnet's generator and each DataLoader's shuffling generator), the callbacks' state and
any JSON-able ``extras`` (preprocessing statistics, a tokenizer's vocabulary, ...).

The file is verified on loading: ``glassnet.save`` stores a SHA-256 of all tensors, a CRC-32 of
each and a SHA-256 of the JSON state (epoch, history, optimizer, scheduler and random state,
callbacks, extras), so a damaged or edited file is refused with a CheckpointError naming what
does not match. A checkpoint of format 2 without those checksums is refused too; one of
format 1 (written before them) is checked by the per-tensor CRC-32 it holds.

>>> import glassnet, os, tempfile
>>> model = glassnet.nn.Linear(2, 1)
>>> opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
>>> path = os.path.join(tempfile.mkdtemp(), "run.safetensors")
>>> save_checkpoint(path, model, opt, epoch=3, extras={"mean": [0.5, 1.5]})
>>> info = load_checkpoint(path, glassnet.nn.Linear(2, 1), opt)
>>> info["epoch"], info["extras"]
(3, {'mean': [0.5, 1.5]})
"""

from __future__ import annotations

import os
import zlib

import numpy as np

from glassnet import backend
from glassnet import random as grandom
from glassnet.serialization import CheckpointError, load_verified, save
from glassnet.tensor import Tensor
from glassnet.train.history import History

FORMAT = "glassnet.training-checkpoint"
VERSION = 2  # 2: the file carries glassnet.save's checksums (1: per-tensor CRC-32 only)


def save_checkpoint(
    path,
    model,
    optimizer=None,
    scheduler=None,
    *,
    epoch=0,
    global_step=0,
    history=None,
    loaders=(),
    callbacks=None,
    extras=None,
    stopped=False,
):
    """Write a full training checkpoint to ``path``.

    ``epoch``: the last finished epoch (from 0). ``loaders``: the DataLoaders whose shuffling
    generators are saved (restored by position). ``callbacks``: a CallbackList (or list) whose
    stateful callbacks are saved. ``extras``: a dict of JSON-able values (and tensors).
    ``stopped``: whether training has ended (a resumed run then does not train further).
    """
    if callbacks is not None and not hasattr(callbacks, "state_dict"):
        from glassnet.train.callbacks import CallbackList

        callbacks = CallbackList(callbacks)
    state = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": int(epoch),
        "global_step": int(global_step),
        "stopped": bool(stopped),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.state_dict() if history is not None else None,
        "rng": grandom.get_rng_state(),
        "loaders": [_generator_state(loader) for loader in loaders],
        "callbacks": callbacks.state_dict() if callbacks is not None else {},
        "extras": extras if extras is not None else {},
    }
    state["checksums"] = {name: _crc(array) for name, array in _tensors(state, "")}
    try:
        save(state, path)
    except TypeError as exc:
        raise TypeError(
            f"save_checkpoint: {exc} (extras must hold JSON-able values: numbers, "
            "strings, lists, dicts, None, or tensors)"
        ) from None


def load_checkpoint(
    path,
    model=None,
    optimizer=None,
    scheduler=None,
    *,
    loaders=(),
    callbacks=None,
    restore_rng=True,
):
    """Read a checkpoint written by ``save_checkpoint`` and restore what is given (the model's
    weights, the optimizer, the scheduler, the loaders' and glassnet's random state, the
    callbacks). Returns a dict with 'epoch', 'global_step', 'stopped', 'history' (a History)
    and 'extras'.

    A file that is truncated or damaged, that is not a training checkpoint, or that was saved
    from a different architecture raises CheckpointError naming the file and the fault.
    """
    path = os.fspath(path)
    state, checksummed = load_verified(path)  # CheckpointError for a damaged or malformed file
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        keys = sorted(state)[:8] if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            f"{path}: not a glassnet training checkpoint (it holds {keys}). A file of bare "
            "weights loads with model.load_state_dict(glassnet.load(path))."
        )
    for field in ("epoch", "model", "checksums", "rng"):
        if field not in state:
            raise CheckpointError(
                f"{path}: the checkpoint has no '{field}' entry; the file is "
                "damaged or was written by another program"
            )
    _check_fields(path, state, checksummed)
    _verify(path, state)
    if model is not None:
        _restore(
            path,
            "model",
            lambda: model.load_state_dict(state["model"]),
            f"the saved model does not match this {type(model).__name__}",
        )
    if optimizer is not None:
        if state.get("optimizer") is None:
            raise CheckpointError(f"{path}: the checkpoint holds no optimizer state")
        _restore(
            path,
            "optimizer",
            lambda: optimizer.load_state_dict(state["optimizer"]),
            f"the saved optimizer state does not fit this {type(optimizer).__name__}",
        )
    if scheduler is not None and state.get("scheduler") is not None:
        _restore(
            path,
            "scheduler",
            lambda: scheduler.load_state_dict(state["scheduler"]),
            f"the saved scheduler state does not fit this {type(scheduler).__name__}",
        )
    if callbacks is not None and state.get("callbacks"):
        if not hasattr(callbacks, "load_state_dict"):
            from glassnet.train.callbacks import CallbackList

            callbacks = CallbackList(callbacks)
        _restore(
            path,
            "callbacks",
            lambda: callbacks.load_state_dict(state["callbacks"]),
            "the saved callback state does not fit these callbacks",
        )
    if restore_rng:
        _restore(
            path, "rng", lambda: _restore_rng(state, loaders), "the saved random state is invalid"
        )
    history = History()
    if state.get("history") is not None:
        _restore(
            path,
            "history",
            lambda: history.load_state_dict(state["history"]),
            "the saved history is invalid",
        )
    return {
        "epoch": int(state["epoch"]),
        "global_step": int(state.get("global_step", 0)),
        "stopped": bool(state.get("stopped", False)),
        "history": history,
        "extras": state.get("extras") or {},
    }


def _restore(path, what, action, summary):
    try:
        action()
    except (RuntimeError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise CheckpointError(f"{path}: {summary} ({what}):\n{exc}") from None


def _check_fields(path, state, checksummed):
    """The fields' types, and that a format-2 checkpoint was verified by its checksums."""
    version = state.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        newer = type(version) is int and version > VERSION
        raise CheckpointError(
            f"{path}: checkpoint format {version!r} "
            + ("is newer than this glassnet reads: upgrade glassnet" if newer else "is unknown")
        )
    if version >= 2 and not checksummed:
        raise CheckpointError(
            f"{path}: the checkpoint's checksums are missing from its metadata, so its JSON state "
            "cannot be verified: the file was edited or rewritten by another program"
        )
    for field, kinds in (
        ("epoch", int),
        ("global_step", int),
        ("stopped", bool),
        ("checksums", dict),
        ("rng", dict),
        ("loaders", list),
        ("extras", dict),
    ):
        value = state.get(field, kinds())
        if not isinstance(value, kinds) or (kinds is int and isinstance(value, bool)):
            raise CheckpointError(
                f"{path}: the checkpoint's '{field}' is {type(value).__name__}, not "
                f"{kinds.__name__}: the file is damaged or was written by another program"
            )
    if state["epoch"] < 0 or state.get("global_step", 0) < 0:
        raise CheckpointError(f"{path}: the checkpoint's epoch or global_step is negative")


def _restore_rng(state, loaders):
    grandom.set_rng_state(state["rng"])
    for loader, saved in zip(loaders, state.get("loaders") or []):
        generator = _generator(loader)
        if generator is not None and saved is not None:
            generator.set_state(saved)


def _verify(path, state):
    expected = state["checksums"]
    found = dict(_tensors({k: v for k, v in state.items() if k != "checksums"}, ""))
    missing = sorted(set(expected) - set(found))
    if missing:
        raise CheckpointError(
            f"{path}: tensors {missing[:5]} listed in the checkpoint are "
            "missing; the file is damaged"
        )
    for name, array in found.items():
        if name not in expected:
            raise CheckpointError(
                f"{path}: tensor '{name}' has no checksum; the file was "
                "altered after it was written"
            )
        if _crc(array) != expected[name]:
            raise CheckpointError(
                f"{path}: the bytes of tensor '{name}' (shape {tuple(array.shape)}) do not match "
                "their checksum: the file is corrupted (a partial copy or a damaged disk). Use "
                "an earlier checkpoint."
            )


def _tensors(obj, prefix):
    """(path, array) for every tensor in a nested structure, in a fixed order."""
    if isinstance(obj, Tensor):
        yield prefix, obj._data
    elif isinstance(obj, np.ndarray) or backend.is_cuda_array(obj):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f"{prefix}/{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f"{prefix}/{i}" if prefix else str(i))


def _crc(array) -> int:
    array = np.ascontiguousarray(backend.to_numpy(array))
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return zlib.crc32(array.reshape(-1).view("u1").data) if array.size else 0


def _generator(loader):
    generator = getattr(loader, "generator", None)
    if generator is None:
        generator = getattr(getattr(loader, "sampler", None), "generator", None)
    return generator if hasattr(generator, "get_state") else None


def _generator_state(loader):
    generator = _generator(loader)
    return generator.get_state() if generator is not None else None
