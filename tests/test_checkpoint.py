"""Training checkpoints: a run killed after epoch k and resumed ends bit for bit where an
uninterrupted run ends; damaged, foreign and mismatched files are refused with clear errors."""

import json
import struct

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.data import DataLoader, TensorDataset
from glassnet.optim import Adam
from glassnet.optim.lr_scheduler import StepLR
from glassnet.serialization import CheckpointError, read_safetensors, write_safetensors
from glassnet.train import (
    Callback,
    EarlyStopping,
    LambdaCallback,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)
from tests.roundtrip import handmade, split

rng = np.random.default_rng(7)
X = glassnet.tensor(rng.standard_normal((48, 3)).astype(np.float32))
Y = glassnet.tensor(rng.standard_normal((48, 1)).astype(np.float32))


def build(seed):
    glassnet.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
    train = DataLoader(TensorDataset(X[:40], Y[:40]), batch_size=8, shuffle=True)
    val = DataLoader(TensorDataset(X[40:], Y[40:]), batch_size=3, shuffle=True)
    opt = Adam(model.parameters(), lr=0.01)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    return model, train, val, opt, sched


def run(seed, folder, epochs=5, extra_callbacks=(), resume=False, extras=None):
    model, train, val, opt, sched = build(seed)
    es = EarlyStopping(patience=50)
    trainer = Trainer(
        model, nn.MSELoss(), opt, scheduler=sched, progress=False, callbacks=[es, *extra_callbacks]
    )
    history = trainer.fit(
        train, val=val, epochs=epochs, checkpoint_dir=folder, resume=resume, extras=extras
    )
    return trainer, history, es


class Kill(Callback):
    """Raises KeyboardInterrupt at one point, as if the process were stopped there."""

    def __init__(self, hook, epoch, batch=None):
        self.hook, self.epoch, self.batch = hook, epoch, batch
        self.current = None

    def on_epoch_begin(self, trainer, epoch, logs):
        self.current = epoch
        if self.hook == "epoch_begin" and epoch == self.epoch:
            raise KeyboardInterrupt

    def on_batch_end(self, trainer, batch, logs):
        if self.hook == "batch_end" and self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt

    def on_epoch_end(self, trainer, epoch, logs):
        if self.hook == "epoch_end" and epoch == self.epoch:
            raise KeyboardInterrupt


def state(trainer):
    out = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
    for i, s in trainer.optimizer.state_dict()["state"].items():
        for k, v in s.items():
            out[f"opt.{i}.{k}"] = v.numpy().copy() if hasattr(v, "numpy") else v
    return out


@pytest.mark.parametrize(
    "hook, epoch, batch",
    [
        ("epoch_end", 1, None),  # killed while finishing epoch 2: its checkpoint is not written
        ("epoch_begin", 2, None),  # killed after epoch 2 was saved
        ("batch_end", 3, 2),  # killed in the middle of epoch 4
    ],
)
def test_killed_and_resumed_run_ends_bit_for_bit_like_an_uninterrupted_one(
    tmp_path, hook, epoch, batch
):
    full, full_history, full_es = run(0, tmp_path / "full")
    full_rng = glassnet.get_rng_state()
    with pytest.raises(KeyboardInterrupt):
        run(
            0,
            tmp_path / "cut",
            extra_callbacks=[Kill(hook, epoch, batch)],
            extras={"vocab": ["<pad>", "a"], "mean": 0.25},
        )
    # A fresh process: other seed, fresh model and loaders; everything comes from the file.
    resumed, history, es = run(123, tmp_path / "cut", resume=True)
    assert glassnet.get_rng_state() == full_rng  # the same random stream goes on afterwards
    a, b = state(full), state(resumed)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert history.history == full_history.history and history.epoch == full_history.epoch
    assert resumed.global_step == full.global_step == 25
    assert resumed.optimizer.param_groups[0]["lr"] == full.optimizer.param_groups[0]["lr"]
    assert (es.best, es.best_epoch, es.wait) == (full_es.best, full_es.best_epoch, full_es.wait)
    assert resumed.extras == {"vocab": ["<pad>", "a"], "mean": 0.25}


def test_resuming_a_finished_or_early_stopped_run_trains_no_further(tmp_path):
    trainer, history, _ = run(0, tmp_path, epochs=3)
    before = state(trainer)
    again, history2, _ = run(1, tmp_path, epochs=3, resume=True)
    assert history2.history == history.history
    for k, v in before.items():
        np.testing.assert_array_equal(state(again)[k], v)

    model, train, val, opt, sched = build(0)
    stop = EarlyStopping(monitor="score", patience=0, mode="min")
    put = LambdaCallback(on_epoch_end=lambda t, e, logs: logs.update(score=[3, 2, 2.5, 1][e]))
    cbs = [put, stop]
    Trainer(model, "mse", opt, callbacks=cbs, progress=False).fit(
        train, epochs=4, checkpoint_dir=tmp_path / "es"
    )
    model, train, val, opt, sched = build(0)
    resumed = Trainer(
        model, "mse", opt, callbacks=[put, EarlyStopping(monitor="score")], progress=False
    )
    h = resumed.fit(train, epochs=10, checkpoint_dir=tmp_path / "es", resume=True)
    assert h.epoch == [0, 1, 2] and resumed.global_step == 15


def test_save_and_load_checkpoint_by_hand(tmp_path):
    model, train, val, opt, sched = build(0)
    Trainer(model, "mse", opt, scheduler=sched, progress=False).fit(train, epochs=2)
    path = tmp_path / "ck.safetensors"
    save_checkpoint(
        path,
        model,
        opt,
        sched,
        epoch=1,
        global_step=10,
        loaders=[train],
        extras={"scaler": {"mean": glassnet.tensor([1.0, 2.0]), "n": 3}},
    )
    expected_draw = glassnet.rand(4).numpy()
    expected_order = [y.numpy().copy() for _, y in train]
    model2, train2, _, opt2, sched2 = build(9)
    info = load_checkpoint(path, model2, opt2, sched2, loaders=[train2])
    assert (info["epoch"], info["global_step"], info["stopped"]) == (1, 10, False)
    np.testing.assert_array_equal(info["extras"]["scaler"]["mean"].numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(glassnet.rand(4).numpy(), expected_draw)
    for (_, y), e in zip(train2, expected_order):
        np.testing.assert_array_equal(y.numpy(), e)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(model2.state_dict()[k].numpy(), v.numpy())
    assert sched2.get_last_lr() == sched.get_last_lr()
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]


@pytest.fixture
def saved(tmp_path):
    model, train, val, opt, sched = build(0)
    path = tmp_path / "ck.safetensors"
    save_checkpoint(path, model, opt, epoch=0)
    return path


def test_truncated_checkpoint(saved):
    raw = saved.read_bytes()
    saved.write_bytes(raw[: len(raw) - 40])
    with pytest.raises(CheckpointError, match=rf"{saved.name}.*truncated"):
        load_checkpoint(saved, build(0)[0])
    saved.write_bytes(raw[:5])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(saved)


def test_corrupted_header_and_corrupted_tensor_bytes(saved):
    raw = bytearray(saved.read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    start, end = header["model.0.weight"]["data_offsets"]
    flipped = bytearray(raw)
    flipped[8 + n + start + 5] ^= 0x10
    saved.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match=r"tensor 'model\.0\.weight'.*checksum.*corrupted"):
        load_checkpoint(saved, build(0)[0])
    garbled = bytearray(raw)
    garbled[12:20] = b"\xff" * 8
    saved.write_bytes(bytes(garbled))
    with pytest.raises(CheckpointError, match=rf"{saved.name}.*not valid JSON"):
        load_checkpoint(saved)


def test_checkpoint_of_another_architecture_names_keys_and_shapes(saved):
    other = nn.Sequential(
        nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1), nn.Linear(1, 1)
    )
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(saved, other)
    message = str(err.value)
    assert saved.name in message and "does not match this Sequential" in message
    assert "size mismatch for 0.weight: copying a param with shape (16, 3)" in message
    assert "shape in current model is (8, 3)" in message
    assert 'Missing key(s) in state_dict: "4.weight", "4.bias"' in message


def test_files_that_are_not_training_checkpoints(tmp_path):
    weights = tmp_path / "w.safetensors"
    glassnet.save(nn.Linear(2, 2).state_dict(), weights)
    with pytest.raises(
        CheckpointError, match="not a glassnet training checkpoint.*load_state_dict"
    ):
        load_checkpoint(weights)
    text = tmp_path / "notes.safetensors"
    text.write_text("hello, this is not a checkpoint at all")
    with pytest.raises(CheckpointError, match="notes.safetensors"):
        load_checkpoint(text)


def test_fit_resume_refuses_a_damaged_last_checkpoint(tmp_path):
    run(0, tmp_path, epochs=2)
    last = tmp_path / "last.safetensors"
    last.write_bytes(last.read_bytes()[:-7])
    with pytest.raises(CheckpointError, match="last.safetensors.*truncated"):
        run(0, tmp_path, epochs=3, resume=True)


def _edit_state(path, edit, resign):
    """Change the checkpoint's JSON state; ``resign``: write fresh checksums for the change (as a
    program that rewrites the file would), else leave the old ones."""
    arrays, metadata = read_safetensors(path)
    metadata["glassnet"] = edit(metadata["glassnet"])
    if resign:
        metadata = {k: v for k, v in metadata.items() if not k.startswith("glassnet.")}
        write_safetensors(path, arrays, metadata)
    else:
        header, data = split(path.read_bytes())
        header["__metadata__"] = metadata
        path.write_bytes(handmade(header, data))


def test_json_state_is_covered_by_the_checksum(saved):
    model = build(0)[0]
    _edit_state(saved, lambda s: s.replace('"epoch":0', '"epoch":7'), resign=False)
    with pytest.raises(CheckpointError, match=r"metadata \(the JSON state.*does not match"):
        load_checkpoint(saved, model)


def test_checksums_stripped_from_a_format_2_checkpoint_are_noticed(saved):
    header, data = split(saved.read_bytes())
    meta = header["__metadata__"]
    header["__metadata__"] = {k: v for k, v in meta.items() if not k.startswith("glassnet.")}
    saved.write_bytes(handmade(header, data))
    with pytest.raises(CheckpointError, match="checksums are missing"):
        load_checkpoint(saved, build(0)[0])


@pytest.mark.parametrize(
    "old, new, match",
    [
        ('"epoch":0', '"epoch":"0"', "'epoch' is str, not int"),
        ('"epoch":0', '"epoch":-2', "negative"),
        ('"stopped":false', '"stopped":0', "'stopped' is int, not bool"),
        ('"version":2', '"version":9', "format 9 is newer"),
        ('"version":2', '"version":"2"', "format '2' is unknown"),
        ('"bit_generator":"PCG64"', '"bit_generator":"MT19937"', "random state is invalid"),
    ],
)
def test_consistent_but_wrong_state_is_refused(saved, old, new, match):
    assert old in split(saved.read_bytes())[0]["__metadata__"]["glassnet"]  # the edit applies
    _edit_state(saved, lambda s: s.replace(old, new, 1), resign=True)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(saved, build(0)[0])
