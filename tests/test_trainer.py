"""Trainer, History and glassnet.fit: checked against hand-written training loops (glassnet and
PyTorch), hand-computed losses and metric values."""

import math
import os

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn
from glassnet.data import DataLoader, TensorDataset
from glassnet.nn import functional as F
from glassnet.optim import SGD, Adam
from glassnet.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from glassnet.train import History, LambdaCallback, Trainer, fit


def make_data(n=40, d=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)[:d] + 0.1).astype(np.float32)
    return glassnet.tensor(x), glassnet.tensor(y)


def make_model():
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


class MeanAbsError:
    """A metric written here (update/compute/reset/name), independent of glassnet.train.metrics."""

    name = "mae"

    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, targets):
        self.total += float(np.abs(preds.numpy() - targets.numpy()).sum())
        self.count += targets.numpy().size

    def compute(self):
        return self.total / self.count


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_fit_matches_a_hand_written_loop(opt_cls):
    x, y = make_data()

    def setup():
        glassnet.manual_seed(3)
        model = make_model()
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
        kwargs = {"momentum": 0.9} if opt_cls is SGD else {}
        return model, loader, opt_cls(model.parameters(), lr=0.05, **kwargs)

    model, loader, opt = setup()
    history = Trainer(model, nn.MSELoss(), opt, progress=False).fit(loader, epochs=3)

    ref, loader, opt = setup()
    losses = []
    for _ in range(3):
        total = count = 0
        for xb, yb in loader:
            loss = F.mse_loss(ref(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            total += loss.item() * len(xb)
            count += len(xb)
        losses.append(total / count)
    assert_same_weights(weights(model), weights(ref))
    assert history.history["loss"] == losses
    assert history.epoch == [0, 1, 2]


def test_fit_matches_pytorch_with_grad_clip():
    x, y = make_data(n=24)
    model = make_model()
    twin = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    loader = DataLoader(TensorDataset(x, y), batch_size=6)
    trainer = Trainer(
        model, nn.MSELoss(), SGD(model.parameters(), lr=0.3), grad_clip=0.25, progress=False
    )
    trainer.fit(loader, epochs=2)
    topt = torch.optim.SGD(twin.parameters(), lr=0.3)
    for _ in range(2):
        for xb, yb in loader:
            loss = torch.nn.functional.mse_loss(
                twin(torch.tensor(xb.numpy())), torch.tensor(yb.numpy())
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.25)
            topt.step()
            topt.zero_grad()
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(
            model.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )
    assert trainer.global_step == 8


def test_gradient_accumulation_equals_one_big_batch():
    x, y = make_data(n=32)
    glassnet.manual_seed(0)
    small = make_model()
    big = make_model()
    big.load_state_dict(small.state_dict())
    Trainer(small, nn.MSELoss(), SGD(small.parameters(), lr=0.1), accumulate=4, progress=False).fit(
        DataLoader(TensorDataset(x, y), batch_size=8), epochs=2
    )
    Trainer(big, nn.MSELoss(), SGD(big.parameters(), lr=0.1), progress=False).fit(
        DataLoader(TensorDataset(x, y), batch_size=32), epochs=2
    )
    for k, v in weights(big).items():
        np.testing.assert_allclose(weights(small)[k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_gradient_accumulation_partial_last_group_steps():
    x, y = make_data(n=40)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)  # 5 batches: groups of 2, 2, 1
    model = make_model()
    ref = make_model()
    ref.load_state_dict(model.state_dict())
    trainer = Trainer(
        model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), accumulate=2, progress=False
    )
    trainer.fit(loader, epochs=1)
    assert trainer.global_step == 3
    opt = SGD(ref.parameters(), lr=0.1)
    batches = list(loader)
    for group in (batches[0:2], batches[2:4], batches[4:5]):
        for xb, yb in group:
            (F.mse_loss(ref(xb), yb) * 0.5).backward()  # scaled by 1/N, N = accumulate
        opt.step()
        opt.zero_grad()
    for k, v in weights(ref).items():
        np.testing.assert_allclose(weights(model)[k], v, rtol=1e-6, atol=1e-7, err_msg=k)


def test_evaluate_and_metrics_against_hand_computed_values():
    x, y = make_data(n=30)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    trainer = Trainer(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=0.1),
        metrics=[MeanAbsError()],
        progress=False,
    )
    model.train()
    result = trainer.evaluate(DataLoader(TensorDataset(x, y), batch_size=7))
    assert model.training  # the mode the model had is restored
    model.eval()
    preds = model(x).detach().numpy()
    expected_mse = float(((preds - y.numpy()) ** 2).mean())
    assert result["loss"] == pytest.approx(expected_mse, rel=1e-5)
    assert result["mae"] == pytest.approx(float(np.abs(preds - y.numpy()).mean()), rel=1e-5)


def test_history_has_train_and_val_metrics_and_modes_switch():
    x, y = make_data(n=16)
    modes = []
    model = make_model()
    model.register_forward_hook(lambda m, inp, out: modes.append(m.training))

    def abs_err(preds, targets):
        return float((preds - targets).abs().mean())

    trainer = Trainer(
        model,
        F.mse_loss,
        SGD(model.parameters(), lr=0.01),
        metrics=[MeanAbsError(), abs_err],
        progress=False,
    )
    train = DataLoader(TensorDataset(x, y), batch_size=8)
    val = DataLoader(TensorDataset(x, y), batch_size=16)
    history = trainer.fit(train, val=val, epochs=2)
    assert set(history.history) == {"loss", "mae", "abs_err", "val_loss", "val_mae", "val_abs_err"}
    assert modes == [True, True, False] * 2
    # val is the same data as train: the function metric (batch-size weighted) equals the object
    assert history.history["val_abs_err"] == pytest.approx(history.history["val_mae"], rel=1e-6)
    final = trainer.evaluate(val)
    assert final["mae"] == pytest.approx(history.history["val_mae"][-1], rel=1e-6)


def test_metric_names_resolve_through_the_metrics_registry():
    x = glassnet.randn(20, 3)
    y = (x[:, 0] > 0).long()
    model = nn.Linear(3, 2)
    trainer = Trainer(
        model,
        "cross_entropy",
        SGD(model.parameters(), lr=0.1),
        metrics=("accuracy",),
        progress=False,
    )
    history = trainer.fit([(x, y)], val=[(x, y)], epochs=1)
    model.eval()
    expected = float((model(x).detach().numpy().argmax(1) == y.numpy()).mean())
    assert history.history["val_accuracy"] == [pytest.approx(expected)]


def test_loss_module_function_and_name_agree_and_dict_batches():
    x, y = make_data(n=12)
    results = []
    for loss, batches in [
        (nn.MSELoss(), [(x, y)]),
        (F.mse_loss, [{"input": x, "target": y}]),
        ("mse", [[x, y]]),
    ]:
        glassnet.manual_seed(5)
        model = make_model()
        Trainer(model, loss, SGD(model.parameters(), lr=0.1), progress=False).fit(batches, epochs=2)
        results.append(weights(model))
    assert_same_weights(results[0], results[1])
    assert_same_weights(results[0], results[2])


def test_predict_concatenates_outputs_without_grad():
    x, y = make_data(n=10)
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.3))
    trainer = Trainer(model, F.mse_loss, SGD(model.parameters(), lr=0.1), progress=False)
    out = trainer.predict(DataLoader(TensorDataset(x, y), batch_size=4))
    assert not out.requires_grad and out.shape == (10, 2)
    model.eval()
    np.testing.assert_allclose(out.numpy(), model(x).detach().numpy(), rtol=1e-6)
    bare = trainer.predict([x[:3], x[3:]])  # batches of inputs only
    np.testing.assert_allclose(bare.numpy(), out.numpy(), rtol=1e-6)


def test_scheduler_steps_each_epoch_and_plateau_gets_val_loss():
    x, y = make_data(n=8)
    model = make_model()
    opt = SGD(model.parameters(), lr=0.8)
    trainer = Trainer(
        model, F.mse_loss, opt, scheduler=StepLR(opt, step_size=1, gamma=0.5), progress=False
    )
    history = trainer.fit([(x, y)], epochs=3)
    assert history.history["lr"] == [0.8, 0.4, 0.2]
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)

    seen = []

    class Spy(ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(metrics)
            super().step(metrics, epoch)

    opt = SGD(model.parameters(), lr=0.1)
    history = Trainer(model, F.mse_loss, opt, scheduler=Spy(opt), progress=False).fit(
        [(x, y)], val=[(x[:4], y[:4])], epochs=3
    )
    assert seen == history.history["val_loss"]


def test_same_seed_gives_identical_runs():
    x, y = make_data()

    def run():
        glassnet.manual_seed(11)
        model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
        history = Trainer(
            model, nn.MSELoss(), Adam(model.parameters(), lr=0.01), progress=False
        ).fit(loader, val=loader, epochs=3)
        return history, weights(model)

    (h1, w1), (h2, w2) = run(), run()
    assert h1.history == h2.history and h1.epoch == h2.epoch
    assert_same_weights(w1, w2)


def test_device_moves_model_and_batches(device):
    x, y = make_data(n=16)  # batches stay on the CPU; the Trainer moves them
    model = make_model()
    trainer = Trainer(
        model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), device=device, progress=False
    )
    history = trainer.fit([(x, y)], val=[(x, y)], epochs=3)
    assert all(p.device.type == device for p in model.parameters())
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    assert trainer.predict([(x, y)]).device.type == device


def test_bad_batches_and_exhausted_generators_raise_clear_errors():
    x, y = make_data(n=4)
    model = make_model()
    trainer = Trainer(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match=r"\(inputs, targets\) pair.*3 items"):
        trainer.fit([(x, y, y)])
    with pytest.raises(ValueError, match="'input' and 'target'.*'x'"):
        trainer.fit([{"x": x, "y": y}])
    with pytest.raises(ValueError, match="gave no batches.*generator"):
        trainer.fit(((x, y) for _ in range(1)), epochs=2)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        trainer.fit([(x, y)], resume=True)
    with pytest.raises(ValueError, match="unknown loss 'msq'"):
        Trainer(model, "msq", SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"one number per batch.*\(4, 1\).*reduction='mean'"):
        Trainer(
            model, nn.MSELoss(reduction="none"), SGD(model.parameters(), lr=0.1), progress=False
        ).fit([(x, y)])
    with pytest.raises(ValueError, match="accumulate"):
        Trainer(model, "mse", SGD(model.parameters(), lr=0.1), accumulate=0)


def test_glassnet_fit_one_call():
    glassnet.manual_seed(0)
    x = glassnet.randn(200, 2)
    y = (x[:, 0] + x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    history = fit(
        model,
        (x, y),
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        epochs=15,
        val=0.25,
        metrics=[MeanAbsErrorOfArgmax()],
        verbose=False,
        batch_size=25,
    )
    assert history.history["val_wrong"][-1] < 0.1
    assert len(history.epoch) == 15
    assert glassnet.train.fit is fit
    with pytest.raises(ValueError, match="unknown optimizer 'adamz'"):
        fit(model, (x, y), loss="mse", optimizer="adamz", verbose=False)
    with pytest.raises(ValueError, match="which loss"):
        fit(model, (x, y), verbose=False)


class MeanAbsErrorOfArgmax(MeanAbsError):
    name = "wrong"

    def update(self, preds, targets):
        self.total += float((preds.numpy().argmax(1) != targets.numpy()).sum())
        self.count += len(targets)


def test_history_records_and_plots(tmp_path):
    h = History()
    h.append(0, {"loss": 1.0, "val_loss": 2.0, "mae": 0.5, "val_mae": 0.7})
    h.append(1, {"loss": 0.5, "val_loss": 1.0, "mae": 0.3, "val_mae": 0.6})
    h.append(2, {"loss": 0.25})  # no validation this epoch
    assert h.history["val_loss"][2] != h.history["val_loss"][2]  # NaN pads the gap
    path = tmp_path / "curves.png"
    fig = h.plot(str(path))
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["train", "val"]
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata()[:2], [2.0, 1.0])
    image = __import__("matplotlib.image", fromlist=["imread"]).imread(str(path))
    assert image.ndim == 3 and image.shape[1] > image.shape[0]
    assert os.path.getsize(path) > 1000 and math.isnan(h["val_mae"][2])
    import matplotlib.pyplot as plt

    shown = h.plot()  # through pyplot, for notebooks
    assert len(shown.axes) == 2
    plt.close(shown)


def test_stop_training_from_a_batch_callback_ends_after_that_batch():
    x, y = make_data(n=40)
    seen = []

    def on_batch_end(trainer, batch, logs):
        seen.append(batch)
        if batch == 2:
            trainer.stop_training = True

    model = make_model()
    trainer = Trainer(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=0.1),
        progress=False,
        callbacks=[LambdaCallback(on_batch_end=on_batch_end)],
    )
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=8), epochs=5)
    assert seen == [0, 1, 2] and len(history.epoch) == 1 and trainer.global_step == 3
