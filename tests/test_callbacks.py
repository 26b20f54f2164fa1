"""Callbacks: early stopping at the hand-computed epoch, checkpoints, schedules, CSV logs that
parse back, NaN termination, progress output, and the order of the hooks."""

import csv
import io

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.data import DataLoader, TensorDataset
from glassnet.optim import SGD
from glassnet.optim.lr_scheduler import LambdaLR, StepLR
from glassnet.train import Trainer
from glassnet.train.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


def data(n=16):
    x = glassnet.randn(n, 3)
    return x, x.sum(dim=1, keepdim=True)


def scripted(values, key="score"):
    """A callback that writes values[epoch] into the epoch logs (placed before the callback
    under test, which then reads it)."""

    def put(trainer, epoch, logs):
        logs[key] = values[epoch]

    return LambdaCallback(on_epoch_end=put)


def train(callbacks, epochs, lr=0.0, batches=None, **kwargs):
    x, y = data()
    model = nn.Linear(3, 1)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=lr),
        callbacks=callbacks,
        progress=False,
        **kwargs,
    )
    history = trainer.fit(batches or [(x[:8], y[:8]), (x[8:], y[8:])], val=[(x, y)], epochs=epochs)
    return trainer, history


@pytest.mark.parametrize(
    "values, patience, min_delta, mode, stops_after",
    [
        # min: best 0.5 -> 0.4 (e1); 0.45, 0.41 fail to beat 0.4 - 0.02 -> wait 2 = patience at e3
        ([0.5, 0.4, 0.45, 0.41, 0.3, 0.2, 0.1, 0.0], 2, 0.02, "min", 3),
        # patience 3: 0.39 (e4) does not beat 0.4 by min_delta, a third epoch of waiting
        ([0.5, 0.4, 0.45, 0.41, 0.39, 0.5, 0.6, 0.7], 3, 0.02, "min", 4),
        # without min_delta 0.39 (e4) counts as better, so the waiting starts again: e5, e6, e7
        ([0.5, 0.4, 0.45, 0.41, 0.39, 0.5, 0.6, 0.7], 3, 0.0, "min", 7),
        # max (scores): 0.6 (e0), 0.7 (e1), then three epochs without a new high
        ([0.6, 0.7, 0.7, 0.65, 0.69, 0.9, 0.9, 0.9], 3, 0.0, "max", 4),
        # patience 0: the first epoch without improvement stops
        ([1.0, 0.9, 0.95, 0.5, 0.4, 0.3, 0.2, 0.1], 0, 0.0, "min", 2),
        # never stops
        ([8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0], 1, 0.0, "min", None),
    ],
)
def test_early_stopping_stops_at_the_hand_computed_epoch(
    values, patience, min_delta, mode, stops_after
):
    es = EarlyStopping(monitor="score", patience=patience, min_delta=min_delta, mode=mode)
    _, history = train([scripted(values), es], epochs=len(values))
    expected_epochs = len(values) if stops_after is None else stops_after + 1
    assert history.epoch == list(range(expected_epochs))
    assert es.stopped_epoch == stops_after


def test_early_stopping_restores_best_weights_and_guesses_mode():
    snapshots = []
    record = LambdaCallback(
        on_epoch_end=lambda t, e, logs: snapshots.append(t.model.weight.detach().numpy().copy())
    )
    es = EarlyStopping(monitor="score", patience=1, mode="min", restore_best_weights=True)
    trainer, history = train([scripted([3.0, 1.0, 2.0, 2.5]), record, es], epochs=4, lr=0.05)
    assert history.epoch == [0, 1, 2] and es.best_epoch == 1
    np.testing.assert_array_equal(trainer.model.weight.detach().numpy(), snapshots[1])
    assert not np.array_equal(snapshots[1], snapshots[2])
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    assert EarlyStopping(monitor="score").mode == "max"


def test_missing_monitor_is_a_clear_error():
    with pytest.raises(ValueError, match=r"monitor='val_acc'.*available: \['loss', 'val_loss'\]"):
        train([EarlyStopping(monitor="val_acc")], epochs=2)


def test_model_checkpoint_saves_every_epoch_or_only_the_best(tmp_path):
    snapshots = []
    record = LambdaCallback(
        on_epoch_end=lambda t, e, logs: snapshots.append(
            {k: v.numpy().copy() for k, v in t.model.state_dict().items()}
        )
    )
    every = ModelCheckpoint(tmp_path / "all" / "e{epoch:02d}.safetensors")
    best = ModelCheckpoint(
        tmp_path / "best-{epoch}-{score:.1f}.safetensors",
        monitor="score",
        save_best_only=True,
        mode="min",
    )
    train([scripted([3.0, 1.0, 2.0, 0.5]), record, every, best], epochs=4, lr=0.05)
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "e01.safetensors",
        "e02.safetensors",
        "e03.safetensors",
        "e04.safetensors",
    ]
    assert sorted(p.name for p in tmp_path.glob("best-*")) == [
        "best-1-3.0.safetensors",
        "best-2-1.0.safetensors",
        "best-4-0.5.safetensors",
    ]
    loaded = glassnet.load(tmp_path / "best-2-1.0.safetensors")
    for k, v in snapshots[1].items():
        np.testing.assert_array_equal(loaded[k].numpy(), v)
    model = nn.Linear(3, 1)
    model.load_state_dict(glassnet.load(tmp_path / "all" / "e03.safetensors"))
    np.testing.assert_array_equal(model.weight.detach().numpy(), snapshots[2]["weight"])


def test_lr_scheduler_callback_per_epoch_and_per_step():
    x, y = data()
    model = nn.Linear(3, 1)
    opt = SGD(model.parameters(), lr=1.0)
    cb = LRSchedulerCallback(StepLR(opt, step_size=2, gamma=0.1))
    history = Trainer(model, nn.MSELoss(), opt, callbacks=[cb], progress=False).fit(
        [(x, y)], epochs=5
    )
    assert history.history["lr"] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])

    opt = SGD(model.parameters(), lr=1.0)
    cb = LRSchedulerCallback(LambdaLR(opt, lambda step: 1.0 / (1 + step)), interval="step")
    trainer = Trainer(model, nn.MSELoss(), opt, callbacks=[cb], progress=False, accumulate=2)
    trainer.fit([(x[i : i + 4], y[i : i + 4]) for i in range(0, 16, 4)], epochs=2)
    assert trainer.global_step == 4  # 4 batches per epoch, 2 per optimizer step
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 5)


def test_reduce_lr_on_plateau_callback_cuts_at_the_hand_computed_epochs():
    # patience 1: the rate is cut after 2 epochs without a new best (e2 and e3; then e5, e6)
    cb = ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, mode="min")
    _, history = train([scripted([1.0, 0.5, 0.6, 0.7, 0.4, 0.9, 0.9, 0.9]), cb], epochs=8, lr=0.2)
    assert history.history["lr"] == pytest.approx([0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05])


def test_csv_logger_rows_parse_back_and_append(tmp_path):
    path = tmp_path / "logs" / "train.csv"
    _, history = train([CSVLogger(path)], epochs=3, lr=0.05)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["loss"]) for r in rows] == history.history["loss"]
    assert [float(r["val_loss"]) for r in rows] == history.history["val_loss"]
    train([CSVLogger(path, append=True)], epochs=2)
    lines = open(path).read().splitlines()
    assert lines[0] == "epoch,loss,val_loss" and len(lines) == 6 and lines.count(lines[0]) == 1
    train([CSVLogger(path)], epochs=1)
    assert len(open(path).read().splitlines()) == 2  # without append the file starts over


def test_terminate_on_nan_callback_stops_a_run_without_the_guard_and_names_epoch_and_batch():
    # With the Trainer's own guard off (terminate_on_nan=False), Keras's callback still ends the
    # run at the first NaN loss, with a warning naming where; the guard itself is tested in
    # tests/test_divergence.py.
    x, y = data()
    calls = []

    def loss(out, target):
        calls.append(1)
        value = ((out - target) ** 2).mean()
        return value * float("nan") if len(calls) == 6 else value  # epoch 2, batch 2

    model = nn.Linear(3, 1)
    trainer = Trainer(
        model,
        loss,
        SGD(model.parameters(), lr=0.01),
        callbacks=[TerminateOnNaN()],
        terminate_on_nan=False,
        progress=False,
    )
    batches = [(x[i : i + 4], y[i : i + 4]) for i in range(0, 16, 4)]
    with pytest.warns(
        RuntimeWarning, match=r"TerminateOnNaN: the loss is nan at epoch 2/10, batch 2/4"
    ):
        history = trainer.fit(batches, epochs=10)
    assert len(calls) == 6 and history.epoch == [0, 1] and not trainer.failed
    assert "epoch 2/10, batch 2/4" in trainer.stop_reason
    assert not any(
        isinstance(cb, TerminateOnNaN)
        for cb in Trainer(model, loss, SGD(model.parameters(), lr=0.01), progress=False).callbacks
    )


def test_progress_bar_plain_lines_and_rich_bar():
    out = io.StringIO()
    train([ProgressBar(file=out)], epochs=3, metrics=[])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("Epoch 1/3 - 2 steps in ")
    assert "loss: " in lines[2] and "val_loss: " in lines[2]
    out = io.StringIO()
    train([ProgressBar(file=out, rich=True)], epochs=2)
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "val_loss" in text
    assert "\x1b[" in text  # drawn with terminal escapes


def test_default_progress_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    x, y = data()
    model = nn.Linear(3, 1)
    Trainer(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1)).fit([(x, y)], epochs=2)
    assert [line.split(" - ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "Epoch 1/2",
        "Epoch 2/2",
    ]


def test_hooks_run_in_order_with_logs():
    events = []
    cb = LambdaCallback(
        on_train_begin=lambda t: events.append("train_begin"),
        on_epoch_begin=lambda t, e, logs: events.append(f"epoch_begin {e}"),
        on_batch_begin=lambda t, b, logs: events.append(f"batch_begin {b}"),
        on_batch_end=lambda t, b, logs: events.append(f"batch_end {b} {sorted(logs)}"),
        on_epoch_end=lambda t, e, logs: events.append(f"epoch_end {e} {sorted(logs)}"),
        on_train_end=lambda t: events.append("train_end"),
    )
    train([cb], epochs=2)
    one_epoch = [
        "batch_begin 0",
        "batch_end 0 ['loss', 'size']",
        "batch_begin 1",
        "batch_end 1 ['loss', 'size']",
    ]
    assert events == (
        [
            "train_begin",
            "epoch_begin 0",
            *one_epoch,
            "epoch_end 0 ['loss', 'val_loss']",
            "epoch_begin 1",
            *one_epoch,
            "epoch_end 1 ['loss', 'val_loss']",
            "train_end",
        ]
    )


def test_callback_list_checks_its_items_and_keys_states():
    with pytest.raises(TypeError, match="LambdaCallback"):
        CallbackList([lambda *a: None])

    class Counter(Callback):
        def __init__(self):
            self.n = 0

        def on_epoch_end(self, trainer, epoch, logs):
            self.n += 1

        def state_dict(self):
            return {"n": self.n}

    a, b = Counter(), Counter()
    cbs = CallbackList([a, EarlyStopping(), b])
    a.n, b.n = 2, 5
    states = cbs.state_dict()
    assert states["Counter#0"] == {"n": 2} and states["Counter#1"] == {"n": 5}
    fresh = CallbackList([Counter(), EarlyStopping(), Counter()])
    fresh.load_state_dict(states)
    assert [c.n for c in fresh.callbacks if isinstance(c, Counter)] == [2, 5]


def test_batches_of_a_loader_reach_batch_callbacks_with_sizes():
    x, y = data(n=10)
    sizes = []
    cb = LambdaCallback(on_batch_end=lambda t, b, logs: sizes.append(logs["size"]))
    train([cb], epochs=1, batches=DataLoader(TensorDataset(x, y), batch_size=4))
    assert sizes == [4, 4, 2]


def test_an_interrupted_fit_takes_the_bar_down_and_closes_the_csv(tmp_path):
    def stop(trainer, batch, logs):
        if batch == 1:
            raise KeyboardInterrupt

    bar = ProgressBar(file=io.StringIO(), rich=True)
    log = CSVLogger(tmp_path / "log.csv")
    with pytest.raises(KeyboardInterrupt):
        train([log, bar, LambdaCallback(on_batch_end=stop)], epochs=2)
    assert bar._progress is None and log._file is None
