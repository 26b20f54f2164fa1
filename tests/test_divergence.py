"""Divergence never destroys good work: when a loss, a parameter or a buffer stops being finite,
Trainer.fit puts back the state of the last good epoch (the one its checkpoint holds), leaves
that checkpoint untouched, marks the run failed and raises TrainingDivergedError naming the
epoch, the batch, what was not finite and the fixes. With terminate_on_nan=False it trains on
after exactly one warning and still never writes a non-finite checkpoint.

The oracles are the weights and optimizer state recorded (copied) by callbacks at the end of
the last good epoch, and the checkpoint file's bytes recorded before the failing epoch."""

import math
import os
import re
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.errors import GlassnetError
from glassnet.optim import SGD, Adam
from glassnet.train import (
    Callback,
    LambdaCallback,
    ModelCheckpoint,
    Trainer,
    TrainingDivergedError,
)
from glassnet.train.checkpoint import load_checkpoint
from glassnet.train.finite import all_finite

EPOCHS, BATCHES, BATCH = 4, 4, 8


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCHES * BATCH, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)
    return x, y


class Batches:
    """The same batches every epoch, except that in ``bad_epoch`` batch ``bad_batch`` has its
    input row 5 (column 1) replaced by ``value``: a bad sample arriving at a known place."""

    def __init__(self, bad_epoch=None, bad_batch=None, value=math.inf):
        self.x, self.y = make_data()
        self.bad_epoch, self.bad_batch, self.value = bad_epoch, bad_batch, value
        self.epoch = -1

    def __len__(self):
        return BATCHES

    def __iter__(self):
        self.epoch += 1
        for b in range(BATCHES):
            xb = self.x[b * BATCH : (b + 1) * BATCH].copy()
            if (self.epoch, b) == (self.bad_epoch, self.bad_batch):
                xb[5, 1] = self.value
            yield glassnet.tensor(xb), glassnet.tensor(self.y[b * BATCH : (b + 1) * BATCH])


def make_model(seed=0):
    glassnet.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def copy_state(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def copy_optimizer(opt):
    return {
        i: {k: (v.numpy().copy() if hasattr(v, "numpy") else v) for k, v in s.items()}
        for i, s in opt.state_dict()["state"].items()
    }


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=str(k))


class Recorder(Callback):
    """Copies the model and optimizer state at every epoch's end (what the checkpoint after it
    holds) and the checkpoint file's bytes at every epoch's start."""

    def __init__(self, path=None):
        self.ends, self.optims, self.file_bytes = {}, {}, {}
        self.path = path

    def on_epoch_end(self, trainer, epoch, logs):
        self.ends[epoch] = copy_state(trainer.model)
        self.optims[epoch] = copy_optimizer(trainer.optimizer)

    def on_epoch_begin(self, trainer, epoch, logs):
        if self.path and os.path.exists(self.path):
            with open(self.path, "rb") as f:
                self.file_bytes[epoch] = f.read()


def run(data, opt_cls=SGD, lr=0.05, callbacks=(), checkpoint_dir=None, **trainer_kwargs):
    model = make_model()
    opt = opt_cls(model.parameters(), lr=lr, **({"momentum": 0.9} if opt_cls is SGD else {}))
    path = os.path.join(checkpoint_dir, "last.safetensors") if checkpoint_dir else None
    recorder = Recorder(path)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        opt,
        callbacks=[recorder, *callbacks],
        progress=False,
        **trainer_kwargs,
    )
    return (
        trainer,
        recorder,
        lambda: trainer.fit(data, epochs=EPOCHS, checkpoint_dir=checkpoint_dir),
    )


# A NaN input makes the loss NaN. An inf input does not (tanh(inf) = 1, so the output and the
# loss stay finite), but the first layer's weight gradient g.T @ x has 0 * inf = NaN in the
# input's column, for each of the 8 hidden units: the step turns those 8 weights NaN.
BAD_INPUTS = [
    (math.nan, "NaN", "the loss is nan"),
    (
        math.inf,
        "inf",
        "parameter '0.weight' became non-finite (8 NaN values) in the optimizer step; its "
        "gradient held 8 NaN values",
    ),
]


@pytest.mark.parametrize("value,name,reason", BAD_INPUTS, ids=["nan", "inf"])
@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_a_bad_input_mid_run_restores_the_last_good_epoch_and_keeps_its_checkpoint(
    tmp_path, opt_cls, value, name, reason
):
    data = Batches(bad_epoch=2, bad_batch=1, value=value)
    trainer, rec, fit = run(data, opt_cls, checkpoint_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's inf * 0 notes inside the ops
        with pytest.raises(TrainingDivergedError) as info:
            fit()
    err = info.value
    assert isinstance(err, GlassnetError) and isinstance(err, RuntimeError)
    assert (err.epoch, err.batch, err.restored_epoch) == (2, 1, 1)
    assert err.reason == reason
    message = str(err)
    assert "epoch 3/4, batch 2/4" in message
    assert f"inputs hold 1 {name} value (row 5 of the batch)" in message
    for fix in ("lower the learning rate", "grad_clip=", "NaN/inf", "logits"):
        assert fix in message
    # the model and optimizer hold exactly the state of the end of epoch 2 (index 1) ...
    assert_same(copy_state(trainer.model), rec.ends[1])
    got, want = copy_optimizer(trainer.optimizer), rec.optims[1]
    assert got.keys() == want.keys()
    for i in want:
        assert_same(got[i], want[i])
    assert trainer.failed and trainer.stop_reason == message and err.history.epoch == [0, 1]
    # ... which is also the untouched checkpoint on disk, finite and loadable
    path = tmp_path / "last.safetensors"
    assert path.read_bytes() == rec.file_bytes[2]
    fresh = make_model(seed=1)
    info = load_checkpoint(path, fresh)
    assert info["epoch"] == 1 and err.checkpoint == str(path)
    assert_same(copy_state(fresh), rec.ends[1])
    assert all_finite(v for v in fresh.state_dict().values())


def test_a_learning_rate_of_1e6_fails_in_epoch_one_and_gives_back_the_initial_weights():
    model = make_model()
    initial = copy_state(model)
    trainer = Trainer(model, nn.MSELoss(), SGD(model.parameters(), lr=1e6), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow notes inside the ops
        with pytest.raises(TrainingDivergedError, match=r"epoch 1/4, batch \d/4.*lr=1e\+06") as e:
            trainer.fit(Batches(), epochs=EPOCHS)
    assert e.value.epoch == 0 and e.value.restored_epoch is None
    assert "state before training started" in str(e.value)
    assert_same(copy_state(model), initial)


def test_an_update_that_overflows_from_finite_gradients_is_caught_after_that_step():
    # lr = 1e38 with gradients of order 1: the loss of the batch is finite (it is computed
    # before the step), but float32 (max 3.4e38) overflows in the update of the first step.
    def raise_lr(trainer, epoch, logs):
        if epoch == 1:
            trainer.optimizer.param_groups[0]["lr"] = 1e38

    trainer, rec, fit = run(Batches(), callbacks=[LambdaCallback(on_epoch_begin=raise_lr)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError) as info:
            fit()
    err = info.value
    assert (err.epoch, err.batch) == (1, 0)
    assert re.fullmatch(
        r"parameter '[02]\.(weight|bias)' became non-finite \(\d+ inf values?\) in the "
        r"optimizer step although its gradient was finite: the update itself overflowed",
        err.reason,
    )
    assert_same(copy_state(trainer.model), rec.ends[0])
    assert trainer.optimizer.param_groups[0]["lr"] == 0.05  # the optimizer state is put back


def test_a_nan_gradient_with_a_finite_loss_is_blamed_on_the_gradient():
    model = make_model()

    def loss(
        out, target
    ):  # d/dw sqrt(|0 * w|) = inf * 0 = NaN at every step, the loss stays finite
        return ((out - target) ** 2).mean() + (model[0].weight * 0).abs().sqrt().sum()

    trainer = Trainer(model, loss, SGD(model.parameters(), lr=0.01), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError) as info:
            trainer.fit(Batches(), epochs=2)
    assert info.value.batch == 0
    assert "parameter '0.weight' became non-finite (24 NaN values)" in info.value.reason
    assert "its gradient held 24 NaN values" in info.value.reason


def test_a_non_finite_validation_loss_fails_the_epoch_before_its_checkpoint(tmp_path):
    # Targets of 1e30 are finite (so evaluate accepts them) but their squared error overflows
    # float32: the validation loss is inf, and that epoch must not reach the checkpoint.
    x, y = make_data()
    val = [(glassnet.tensor(x), glassnet.tensor(y * 1e30))]
    model = make_model()
    saved = []
    trainer = Trainer(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=0.05),
        callbacks=[LambdaCallback(on_epoch_end=lambda t, e, logs: saved.append(e))],
        progress=False,
    )
    initial = copy_state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError, match="validation loss is inf") as info:
            trainer.fit(Batches(), val=val, epochs=2, checkpoint_dir=tmp_path)
    assert info.value.batch is None and "epoch 1/2 (its end)" in str(info.value)
    assert saved == [] and not (tmp_path / "last.safetensors").exists()  # no callback, no file
    assert_same(copy_state(model), initial)


def test_an_overflowed_optimizer_state_is_never_checkpointed(tmp_path):
    # d(1e23 * mean(out))/dw = 1e23 for inputs of ones; Adam's exp_avg_sq = 0.001 * 1e46
    # overflows float32 (max 3.4e38) to inf, while the update m / sqrt(v) = 0 keeps the weights
    # and the loss finite. The checkpoint would hold a silently stalled optimizer: refused.
    model = nn.Linear(3, 1)
    initial = copy_state(model)
    trainer = Trainer(
        model, lambda out, t: out.mean() * 1e23, Adam(model.parameters(), lr=1e-3), progress=False
    )
    x = glassnet.ones(8, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError) as info:
            trainer.fit([(x, x[:, :1])], epochs=2, checkpoint_dir=tmp_path)
    assert info.value.reason == (
        "the optimizer's 'exp_avg_sq' for 'weight' holds 3 inf values at the end of the epoch"
    )
    assert not (tmp_path / "last.safetensors").exists()
    assert_same(copy_state(model), initial)
    assert trainer.optimizer.state == {}  # Adam's state from before training: none yet


def test_batchnorm_running_stats_poisoned_by_a_nan_batch_are_put_back(tmp_path):
    # A NaN input row makes the batch's mean NaN, so BatchNorm's running mean turns NaN in the
    # forward pass, before any step: the buffers too come back from the last good epoch.
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
    ends = {}
    trainer = Trainer(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=0.05),
        callbacks=[
            LambdaCallback(on_epoch_end=lambda t, e, logs: ends.update({e: copy_state(model)}))
        ],
        progress=False,
    )
    with pytest.raises(TrainingDivergedError, match="inputs hold 1 NaN value"):
        trainer.fit(Batches(bad_epoch=1, bad_batch=3, value=math.nan), epochs=3)
    assert_same(copy_state(model), ends[0])
    assert np.isfinite(model[1].running_mean.numpy()).all()


def test_with_the_guard_off_training_goes_on_after_exactly_one_warning_and_saves_nothing_non_finite(
    tmp_path,
):
    trainer, rec, fit = run(
        Batches(bad_epoch=1, bad_batch=2, value=math.nan),
        checkpoint_dir=tmp_path,
        terminate_on_nan=False,
        callbacks=[ModelCheckpoint(tmp_path / "w-{epoch}.safetensors")],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit()
    ours = [w for w in caught if "glassnet/ops" not in w.filename.replace(os.sep, "/")]
    trainer_warnings = [w for w in ours if str(w.message).startswith("Trainer:")]
    assert len(trainer_warnings) == 1 and trainer_warnings[0].category is RuntimeWarning
    text = str(trainer_warnings[0].message)
    assert "the loss is" in text and "epoch 2/4, batch 3/4" in text and "terminate_on_nan" in text
    assert history.epoch == [0, 1, 2, 3] and not trainer.failed
    assert math.isnan(history.history["loss"][1])
    # the weights went NaN in epoch 2: the checkpoint still holds epoch 1's finite state ...
    assert (tmp_path / "last.safetensors").read_bytes() == rec.file_bytes[1]
    # ... and ModelCheckpoint wrote only the finite epoch, with one warning of its own per skip
    assert sorted(p.name for p in tmp_path.glob("w-*")) == ["w-1.safetensors"]
    skips = [w for w in ours if str(w.message).startswith("ModelCheckpoint: not saving")]
    assert len(skips) == 3


def test_a_model_that_is_not_finite_before_training_is_refused():
    model = make_model()
    model[2].bias._data[0] = np.nan
    trainer = Trainer(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05), progress=False)
    with pytest.raises(ValueError, match=r"not finite before training: '2.bias' holds 1 NaN"):
        trainer.fit(Batches(), epochs=1)


def test_a_clean_run_is_unchanged_by_the_guard():
    # The guard only reads: a run without NaN gives bit-identical weights with it on and off.
    results = []
    for terminate in (True, False):
        trainer, _, fit = run(Batches(), Adam, lr=0.01, terminate_on_nan=terminate)
        fit()
        results.append(copy_state(trainer.model))
        assert not trainer.failed
    assert_same(*results)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_screen_is_exact(dtype, device):
    # The screen (sum of squares) may overflow for huge finite values; the answer must still
    # equal NumPy's isfinite on every case.
    rng = np.random.default_rng(3)
    big = np.finfo(dtype).max / 2
    for trial in range(60):
        arrays = [rng.standard_normal(n).astype(dtype) for n in (1, 7, 300)]
        kind = trial % 4
        a = arrays[trial % 3]
        if kind == 1:
            a[trial % a.size] = np.nan
        elif kind == 2:
            a[trial % a.size] = -np.inf if trial % 2 else np.inf
        elif kind == 3:
            a[: max(1, a.size // 2)] = big  # finite, but its squares overflow
        on_device = [glassnet.tensor(x, device=device) for x in arrays]
        assert all_finite(on_device) == all(np.isfinite(x).all() for x in arrays)
    assert all_finite([]) and all_finite([np.arange(3)])  # integers are always finite
