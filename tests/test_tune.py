"""glassnet tune: the space parser, a small seeded study (stored in SQLite, resumed), the
grid sampler, the report, the best recipe file, and tuning that beats a recipe's defaults."""

from __future__ import annotations

import json
import math

import pytest

from glassnet import recipes
from glassnet.cli import main
from glassnet.commands.tune import apply_params, tune_recipe, validation_loss
from glassnet.tune import parse_space


def test_parse_space():
    s = parse_space(
        "lr=1e-4..1e-1:log, hidden=32|64|128, dropout=0..0.5, layers=1..3, act=relu|tanh"
    )
    assert (s["lr"].kind, s["lr"].low, s["lr"].high, s["lr"].log) == ("float", 1e-4, 0.1, True)
    assert s["hidden"].choices == [32, 64, 128] and s["act"].choices == ["relu", "tanh"]
    assert (s["dropout"].kind, s["dropout"].low, s["dropout"].high) == ("float", 0.0, 0.5)
    assert (s["layers"].kind, s["layers"].low, s["layers"].high) == ("int", 1, 3)
    # grid points: geometric on a log scale, 1e-4 * (1e3)^(k/2)
    assert s["lr"].grid(3) == pytest.approx([1e-4, 1e-4 * 10**1.5, 1e-1])
    for bad in ("lr", "lr=0.1..0.01", "lr=0..1:log", "lr=a..b", ""):
        with pytest.raises(ValueError, match="--space"):
            parse_space(bad)


def test_apply_params_sets_recipe_fields_and_model_options():
    base = recipes.get("moons-mlp")  # hidden [32, 32]
    r = apply_params(base, {"lr": 0.05, "hidden": 64, "dropout": 0.2, "batch_size": 16})
    assert (r.lr, r.batch_size) == (0.05, 16)
    assert r.model_options == {"hidden": [64, 64], "dropout": 0.2}


def test_three_trial_study_is_stored_resumed_and_reported(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = "lr=1e-3..1e-1:log,hidden=8|16"
    r = tune_recipe(
        "xor-mlp",
        space,
        3,
        sampler="random",
        out=str(tmp_path),
        storage=url,
        epochs=2,
        retrain=False,
    )
    study = r["study"]
    assert len(study.trials) == 3
    first_three = [t.params for t in study.trials]
    values = [t.value for t in study.trials if t.value is not None]
    assert r["best_value"] == min(
        v for t, v in zip(study.trials, values) if t.state.name == "COMPLETE"
    )
    # each trial's value is the validation loss of that config, trained again the same way
    best = study.best_trial
    again = validation_loss(apply_params(recipes.get("xor-mlp").replace(epochs=2), best.params))
    assert again == pytest.approx(best.value, rel=1e-9)
    saved = recipes.get(str(tmp_path / "best_recipe.json"))
    assert (
        saved.lr == best.params["lr"] and saved.model_options["hidden"][0] == best.params["hidden"]
    )
    text = (tmp_path / "report.md").read_text()
    assert text.count("\n| ") == 1 + 3 and (tmp_path / "history.png").exists()
    # resuming: the study in SQLite already has 3 trials; asking for 4 runs one more
    r2 = tune_recipe(
        "xor-mlp",
        space,
        4,
        sampler="random",
        out=str(tmp_path),
        storage=url,
        epochs=2,
        retrain=False,
    )
    assert len(r2["study"].trials) == 4
    assert [t.params for t in r2["study"].trials[:3]] == first_three


def test_grid_sampler_covers_the_grid(tmp_path):
    r = tune_recipe(
        "xor-mlp",
        "hidden=4|8",
        2,
        sampler="grid",
        out=str(tmp_path),
        epochs=1,
        retrain=False,
        prune=False,
    )
    assert sorted(t.params["hidden"] for t in r["study"].trials) == [4, 8]


def test_tune_command_writes_the_run_folder(tmp_path, capsys):
    out = tmp_path / "t"
    code = main(
        [
            "tune",
            "xor-mlp",
            "--trials",
            "2",
            "--epochs",
            "1",
            "--space",
            "lr=1e-3..1e-1:log",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "best validation loss" in capsys.readouterr().out
    assert (out / "study.db").exists() and (out / "best" / "model.safetensors").exists()
    assert json.loads((out / "best_recipe.json").read_text())["name"] == "xor-mlp-tuned"


@pytest.mark.slow
def test_tuning_beats_the_recipe_defaults_on_validation(tmp_path):
    # iris-mlp cut to 5 epochs: the default lr 0.01 has not converged; a search over lr and
    # width should find a config with a lower validation loss (both seeded the same way)
    r = tune_recipe(
        "iris-mlp",
        "lr=1e-3..3e-1:log,hidden=8|32|64",
        10,
        sampler="tpe",
        out=str(tmp_path),
        epochs=5,
        retrain=True,
    )
    assert math.isfinite(r["default_value"])
    assert r["best_value"] < r["default_value"]
    assert r["metrics"]["accuracy"] >= 0.8
