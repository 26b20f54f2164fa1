"""The validation split: Trainer.fit(validation_data=) is val= (Keras's spelling), glassnet.fit
takes validation_split=, early stopping in a --data run watches validation."""

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.data import DataLoader, TensorDataset
from glassnet.train import Trainer


def _setup():
    glassnet.manual_seed(0)
    x = glassnet.randn(64, 3)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    return model, loader


def _history(**fit_kwargs):
    model, loader = _setup()
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, progress=False)
    return trainer.fit(loader, epochs=3, **{k: loader for k in fit_kwargs}).history


def test_validation_data_is_val():
    by_val, by_keras = _history(val=1), _history(validation_data=1)
    assert by_val["val_loss"] == by_keras["val_loss"] and len(by_val["val_loss"]) == 3


def test_validation_given_twice_is_refused():
    model, loader = _setup()
    trainer = Trainer(model, nn.CrossEntropyLoss(), glassnet.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="not both"):
        trainer.fit(loader, val=loader, validation_data=loader)


def test_fit_validation_split_is_val_fraction():
    def run(**kw):
        glassnet.manual_seed(0)
        x = glassnet.randn(50, 2)
        y = (x[:, 0] > 0).long()
        model = nn.Sequential(nn.Linear(2, 2))
        return glassnet.train.fit(
            model, (x, y), loss="cross_entropy", epochs=2, verbose=False, **kw
        )

    a, b = run(val=0.2), run(validation_split=0.2)
    assert a.history["val_loss"] == b.history["val_loss"]
    with pytest.raises(ValueError, match="once"):
        run(val=0.2, validation_split=0.2)


def test_early_stopping_in_a_data_run_watches_validation(tmp_path):
    """A target of pure noise: the validation loss stops improving within a few epochs, so a
    patience-2 run ends long before its 200 epochs."""
    from glassnet.recipes.owndata import recipe_for_data
    from glassnet.recipes.runner import train

    rng = np.random.default_rng(0)
    rows = "".join(f"{a:.4f},{b:.4f}\n" for a, b in rng.normal(size=(80, 2)))
    path = tmp_path / "noise.csv"
    path.write_text("x,y\n" + rows)
    recipe = recipe_for_data(str(path)).replace(epochs=200, early_stopping=2)
    run = train(recipe, str(tmp_path / "run"), progress=False)
    assert len(run.history.history["val_loss"]) < 200


def test_bundled_data_sets_get_a_validation_split():
    from glassnet import datasets
    from glassnet.datasets.validation import split_bundle

    bundle = datasets.load("wine")
    parts = split_bundle(bundle, val_fraction=0.25, seed=3)
    x_train = bundle.x_train
    got = np.concatenate([parts.train.tensors[0].numpy(), parts.val.tensors[0].numpy()])
    # validation comes out of the training part only: together they are its rows, once each
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, x_train.tolist()))
    assert len(parts.test) == len(bundle.x_test)
    # stratified: each class's share in validation is within one sample of its share in train
    yv = parts.val.tensors[1].numpy()
    counts = np.bincount(bundle.y_train, minlength=3) * len(yv) / len(bundle.y_train)
    assert np.all(np.abs(np.bincount(yv, minlength=3) - counts) <= 1)
