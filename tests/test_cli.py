"""The `glassnet` command end to end: recipes, train (every file of the run directory), evaluate,
predict (CSV, .npy, image), summary, config files, and the error paths (one clear line, exit code,
--debug traceback, missing extras)."""

import csv
import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import glassnet
from glassnet import datasets
from glassnet.cli import main
from glassnet.models import MLP
from glassnet.recipes import BUILTIN, get, load_config
from glassnet.recipes.prepare import random_shift
from glassnet.recipes.programs import PROGRAMS

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def printed_metric(out, name):
    """The value printed for ``name`` (percentages back to fractions)."""
    m = re.search(rf"^\s+{name}\s+([-\d.]+)(%?)$", out, re.M)
    assert m, out
    return float(m.group(1)) / (100 if m.group(2) else 1)


def prediction_rows(out):
    """(predicted class, its probability, {class: probability} of the listed top classes)."""
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        tops = dict(re.findall(r"(\S+): ([\d.]+)", line))
        rows.append((parts[1], float(parts[2]), {k: float(v) for k, v in tops.items()}))
    return rows


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "xor"
    code = main(["train", "xor-mlp", "--epochs", "1", "--out", str(out)])
    assert code == 0
    return out


def test_recipes_lists_every_builtin(capsys):
    code, out, _ = run_cli(capsys, "recipes")
    assert code == 0
    listed = [
        line.split()[0]
        for line in out.splitlines()[1:]
        if line.strip() and not line.startswith("*")
    ]
    assert listed == sorted(BUILTIN) + sorted(PROGRAMS)  # program recipes listed after
    assert {
        "xor-mlp",
        "iris-mlp",
        "breast-cancer-mlp",
        "diabetes-mlp",
        "digits-mlp",
        "digits-cnn",
        "moons-mlp",
        "sine-lstm",
    } <= set(listed)


def test_train_prints_metrics_and_report_location(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "train", "xor-mlp", "--epochs", "1", "--out", tmp_path / "r")
    assert code == 0
    assert "Epoch 1/1" in out
    assert f"Report: {tmp_path / 'r' / 'report.md'}" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert printed_metric(out, "accuracy") == pytest.approx(metrics["accuracy"], abs=5e-5)


def test_run_directory_has_every_file_and_they_parse(xor_run):
    config = json.loads((xor_run / "config.json").read_text())
    assert config["recipe"]["name"] == "xor-mlp" and config["recipe"]["epochs"] == 1
    assert config["preprocessing"]["input_shape"] == [2] and config["num_outputs"] == 2
    metrics = json.loads((xor_run / "metrics.json").read_text())
    assert set(metrics) == {"loss", "accuracy"} and 0 <= metrics["accuracy"] <= 1
    with open(xor_run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert all(math.isfinite(float(v)) for v in rows[0].values())
    for png in ("curves.png", "confusion.png"):
        data = (xor_run / png).read_bytes()
        assert data[:8] == PNG and len(data) > 1000
    state = glassnet.load(xor_run / "model.safetensors")
    model = MLP(2, [16, 16], 2, activation_name="tanh")
    assert set(state) == set(model.state_dict())
    model.load_state_dict(state)
    assert os.listdir(xor_run / "checkpoint")
    report = (xor_run / "report.md").read_text()
    assert "# Run report: xor-mlp" in report and "![curves](curves.png)" in report
    assert f"| accuracy | {metrics['accuracy']:.4f} |" in report


def test_evaluate_repeats_the_test_metrics(xor_run, capsys):
    metrics = json.loads((xor_run / "metrics.json").read_text())
    code, out, _ = run_cli(capsys, "evaluate", xor_run)
    assert code == 0
    assert printed_metric(out, "accuracy") == pytest.approx(metrics["accuracy"], abs=5e-5)
    assert printed_metric(out, "loss") == pytest.approx(metrics["loss"], abs=5e-5)


def test_evaluate_on_a_csv_file(xor_run, tmp_path, capsys):
    bundle = datasets.load("xor")
    table = np.column_stack([bundle.x_test, bundle.y_test])
    np.savetxt(tmp_path / "test.csv", table, delimiter=",", header="x,y,label", comments="")
    code, out, _ = run_cli(capsys, "evaluate", xor_run, "--data", tmp_path / "test.csv")
    assert code == 0
    metrics = json.loads((xor_run / "metrics.json").read_text())
    assert printed_metric(out, "accuracy") == pytest.approx(metrics["accuracy"], abs=5e-5)
    assert printed_metric(out, "loss") == pytest.approx(metrics["loss"], abs=1e-4)


def _expected_probs(run_dir, x):
    model = MLP(2, [16, 16], 2, activation_name="tanh")
    model.load_state_dict(glassnet.load(run_dir / "model.safetensors"))
    model.eval()
    with glassnet.no_grad():
        return model(glassnet.tensor(x, dtype=glassnet.float32)).softmax(dim=1).numpy()


@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_predict_prints_classes_with_probabilities(xor_run, tmp_path, capsys, kind):
    x = np.array([[0.8, 0.7], [-0.9, 0.6], [0.5, -0.4]], dtype=np.float32)
    path = tmp_path / f"x.{kind}"
    if kind == "csv":
        np.savetxt(path, x, delimiter=",", header="a,b", comments="")
    else:
        np.save(path, x)
    code, out, _ = run_cli(capsys, "predict", xor_run, path, "--top", "2")
    assert code == 0
    rows = prediction_rows(out)
    expected = _expected_probs(xor_run, x)
    assert len(rows) == 3
    for (label, prob, tops), p in zip(rows, expected):
        assert label == str(p.argmax()) and prob == pytest.approx(p.max(), abs=1e-3)
        assert tops == pytest.approx({"0": p[0], "1": p[1]}, abs=1e-3)


def test_digits_cnn_predicts_an_image_like_the_array(tmp_path, capsys):
    from PIL import Image

    run = tmp_path / "cnn"
    assert main(["train", "digits-cnn", "--epochs", "1", "--out", str(run)]) == 0
    image = datasets.load("digits").x_test[0].reshape(8, 8)
    pixels = np.round(image * 255).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "digit.png")
    np.save(tmp_path / "digit.npy", pixels.astype(np.float32) / 255)
    capsys.readouterr()
    _, from_image, _ = run_cli(capsys, "predict", run, tmp_path / "digit.png")
    _, from_array, _ = run_cli(capsys, "predict", run, tmp_path / "digit.npy")
    ((label, prob, tops),) = prediction_rows(from_image)
    assert prediction_rows(from_array) == [(label, prob, tops)]
    assert label in [str(d) for d in range(10)] and 0.1 <= prob <= 1
    assert len(tops) == 3 and sum(tops.values()) <= 1.001


def test_summary_counts_digits_cnn_parameters(capsys):
    code, out, _ = run_cli(capsys, "summary", "digits-cnn")
    assert code == 0
    conv = (1 * 9 + 1) * 32 + (32 * 9 + 1) * 64
    bn = 2 * 32 + 2 * 64
    dense = (64 * 4 * 4 + 1) * 128 + (128 + 1) * 10
    assert f"Total params: {conv + bn + dense:,}" in out
    assert "MaxPool2d" in out and "[1, 10]" in out


def test_regression_run_keeps_its_scalers(tmp_path, capsys):
    run = tmp_path / "diabetes"
    assert main(["train", "diabetes-mlp", "--epochs", "2", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    code, out, _ = run_cli(capsys, "evaluate", run)
    assert code == 0
    for name in ("loss", "mae", "r2"):
        assert printed_metric(out, name) == pytest.approx(metrics[name], abs=1e-3)
    pre = json.loads((run / "config.json").read_text())["preprocessing"]
    assert pre["input_scaler"]["mean_"] and pre["target_scaler"]["scale_"][0] > 10
    assert not (run / "confusion.png").exists()


def test_binary_predict_gives_both_class_probabilities(tmp_path, capsys):
    run = tmp_path / "bc"
    assert main(["train", "breast-cancer-mlp", "--epochs", "2", "--out", str(run)]) == 0
    np.save(tmp_path / "x.npy", datasets.load("breast_cancer").x_test[:4])
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "predict", run, tmp_path / "x.npy")
    assert code == 0
    rows = prediction_rows(out)
    assert len(rows) == 4
    for label, prob, tops in rows:
        assert len(tops) == 2 and sum(tops.values()) == pytest.approx(1, abs=2e-3)
        assert prob == max(tops.values()) and tops[label] == prob


def test_config_files_toml_and_json(tmp_path):
    (tmp_path / "small.toml").write_text(
        'base = "iris-mlp"\nepochs = 2\nlr = 0.005\n\n[model]\nname = "mlp"\nhidden = [8, 8]\n'
    )
    r = load_config(tmp_path / "small.toml")
    assert (r.name, r.dataset, r.epochs, r.lr, r.model_options) == (
        "small",
        "iris",
        2,
        0.005,
        {"hidden": [8, 8]},
    )
    assert r.scale_inputs  # kept from the base recipe
    (tmp_path / "moons.json").write_text(
        json.dumps({"dataset": {"name": "moons", "noise": 0.2}, "model": "mlp", "epochs": 1})
    )
    r = get(str(tmp_path / "moons.json"))
    assert (r.name, r.dataset, r.dataset_options, r.model) == (
        "moons",
        "moons",
        {"noise": 0.2},
        "mlp",
    )
    (tmp_path / "bad.toml").write_text('base = "iris-mlp"\nepoch = 3\n')
    with pytest.raises(ValueError, match="unknown field.*epoch"):
        load_config(tmp_path / "bad.toml")


def test_train_from_a_config_file(tmp_path, capsys):
    (tmp_path / "mine.toml").write_text('base = "moons-mlp"\nepochs = 1\n')
    code, out, _ = run_cli(capsys, "train", tmp_path / "mine.toml", "--out", tmp_path / "r")
    assert code == 0
    assert json.loads((tmp_path / "r" / "config.json").read_text())["recipe"]["name"] == "mine"


def test_train_on_device(device, tmp_path, capsys):
    code, out, _ = run_cli(
        capsys, "train", "xor-mlp", "--epochs", "1", "--device", device, "--out", tmp_path / "r"
    )
    assert code == 0 and (tmp_path / "r" / "model.safetensors").exists()


def test_unknown_recipe_is_one_clear_line(capsys):
    code, out, err = run_cli(capsys, "train", "no-such-recipe")
    assert code != 0
    assert "Traceback" not in err + out
    first = err.splitlines()[0]
    assert "unknown recipe 'no-such-recipe'" in first
    assert all(name in first for name in BUILTIN)


def test_bad_input_file_is_one_clear_line(xor_run, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("1,2,3\n4,5,6\n")
    code, _, err = run_cli(capsys, "predict", xor_run, tmp_path / "bad.csv")
    assert code == 1 and "Traceback" not in err
    assert "expects samples of shape (2,)" in err


def _python(code, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, *code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_debug_shows_the_traceback():
    quiet = _python(["-m", "glassnet"], "train", "no-such-recipe")
    assert quiet.returncode != 0 and "Traceback" not in quiet.stderr
    loud = _python(["-m", "glassnet"], "train", "no-such-recipe", "--debug")
    assert loud.returncode != 0
    assert "Traceback" in loud.stderr and "UnknownRecipeError" in loud.stderr


def test_missing_cli_extra_names_the_pip_install():
    script = (
        "import sys; sys.modules['typer'] = None\n"
        "from glassnet.cli import main\nsys.exit(main(['recipes']))"
    )
    result = _python(["-c", script])
    assert result.returncode == 1
    assert "pip install 'glassnet[cli]'" in result.stderr and "Traceback" not in result.stderr


def test_missing_viz_extra_still_trains_and_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, _ = run_cli(capsys, "train", "xor-mlp", "--epochs", "1", "--out", tmp_path / "r")
    assert code == 0
    assert "pip install 'glassnet[viz]'" in out
    assert not (tmp_path / "r" / "curves.png").exists()
    assert "pip install 'glassnet[viz]'" in (tmp_path / "r" / "report.md").read_text()


def test_random_shift_moves_each_image_by_at_most_one_pixel():
    x = glassnet.arange(2 * 16).float().reshape(2, 1, 4, 4) + 1
    out = random_shift(x, np.random.default_rng(0)).numpy()
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(2):
        windows = [padded[i, :, dy : dy + 4, dx : dx + 4] for dy in range(3) for dx in range(3)]
        assert any(np.array_equal(out[i], w) for w in windows)
