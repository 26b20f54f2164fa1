"""Run folders: ``glassnet train --out DIR`` never trains over a run unless told to
(``--overwrite``), ``--resume`` continues a run killed with ``kill -9`` to the very weights an
uninterrupted run ends with, a half-written folder never looks finished, and a run whose
training diverged is marked failed (exit code 3) with no weights written."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import glassnet
from glassnet.cli import main
from glassnet.recipes import runner
from glassnet.report import folder_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Small and fast (about a second in a fresh process) but with everything a resume must restore:
# dropout (glassnet's random stream), shuffling (the loader's generator), a one-cycle schedule
# stepped per batch (the callback's state) and Adam's moments.
SMALL = """base = "xor-mlp"
epochs = 60
scheduler = "onecycle"

[model]
name = "mlp"
hidden = [32, 32]
dropout = 0.1
"""
EPOCHS = 60


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("glassnet: error")]


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "xor"
    assert main(["train", "xor-mlp", "--epochs", "2", "--out", str(out)]) == 0
    return out


def copy_run(run, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(run, dst)
    return dst


def snapshot(folder):
    return {
        os.path.relpath(os.path.join(d, f), folder): open(os.path.join(d, f), "rb").read()
        for d, _, files in os.walk(folder)
        for f in files
    }


# ---- refusing, overwriting ----------------------------------------------------------------------
def test_training_into_a_finished_run_is_refused(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    before = snapshot(run)
    code, out, err = run_cli(capsys, "train", "xor-mlp", "--epochs", "2", "--out", run)
    assert code == 2 and "Epoch" not in out and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"glassnet: error: {run} already holds a finished run; ")
    assert "--overwrite" in line and "--resume" in line
    assert snapshot(run) == before


def test_training_into_an_unfinished_run_is_refused(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    (run / "status.json").write_text('{"state": "running"}')
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--epochs", "2", "--out", run)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert f"{run} already holds an unfinished run" in line
    assert "give --resume to continue it" in line and "--overwrite to delete it" in line


def test_overwrite_replaces_the_run_and_keeps_other_files(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    (run / "notes.txt").write_text("mine")
    old = (run / "model.safetensors").read_bytes()
    code, _, _ = run_cli(
        capsys, "train", "xor-mlp", "--epochs", "2", "--seed", "1", "--out", run, "--overwrite"
    )
    assert code == 0
    assert (run / "notes.txt").read_text() == "mine"
    assert (run / "model.safetensors").read_bytes() != old  # other seed, other weights
    assert json.loads((run / "config.json").read_text())["recipe"]["seed"] == 1
    assert folder_state(run) == "finished"


def test_a_folder_of_other_files_is_never_used(tmp_path, capsys):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    for extra in ([], ["--overwrite"]):
        code, _, err = run_cli(capsys, "train", "xor-mlp", "--out", other, *extra)
        assert code == 2
        assert f"{other} holds files but no glassnet run" in err
    assert os.listdir(other) == ["cat.jpg"]


def test_overwrite_and_resume_exclude_each_other(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--out", tmp_path, "--overwrite", "--resume")
    assert code == 2 and "not both" in err


def test_resume_needs_a_folder_and_a_recipe_to_start_from(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--resume")
    assert code == 2 and "--resume needs --out DIR" in err
    code, _, err = run_cli(capsys, "train", "--resume", "--out", tmp_path / "none")
    assert code == 2 and "holds no run to resume" in err and "give the recipe too" in err


def test_resume_of_a_finished_run_trains_nothing(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    before = snapshot(run)
    code, out, _ = run_cli(capsys, "train", "--resume", "--out", run)
    assert code == 0 and "nothing left to train" in out and "Epoch" not in out
    assert snapshot(run) == before


def test_resume_with_another_recipe_is_refused(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    (run / "status.json").write_text('{"state": "running"}')
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--epochs", "5", "--out", run, "--resume")
    assert code == 2
    assert f"{run} was trained with another recipe (epochs: 2 in the folder, 5 now)" in err


# ---- a half-written folder never looks finished -------------------------------------------------
def test_an_unfinished_folder_has_no_usable_model(finished, tmp_path, capsys):
    # Every file of a run is there but the last one, status.json 'finished' (killed just before).
    run = copy_run(finished, tmp_path)
    (run / "status.json").write_text('{"state": "running"}')
    (tmp_path / "x.csv").write_text("0.5,0.5\n")
    for command in (["evaluate", run], ["predict", run, tmp_path / "x.csv"]):
        code, _, err = run_cli(capsys, *command)
        assert code == 2
        assert f"{run} holds an unfinished run; it has no model" in err
        assert f"glassnet train --resume --out {run}" in err


def test_a_run_from_before_status_json_still_loads(finished, tmp_path, capsys):
    run = copy_run(finished, tmp_path)
    os.unlink(run / "status.json")
    assert folder_state(run) == "finished"
    code, _, _ = run_cli(capsys, "evaluate", run)
    assert code == 0
    os.unlink(run / "model.safetensors")  # without weights it never counted as finished
    assert folder_state(run) == "unfinished"


def test_resume_removes_stale_temporary_files(small, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(small), "--epochs", "3", "--out", str(run)]) == 0
    (run / "status.json").write_text('{"state": "running"}')
    (run / ".tmp-abc123").write_bytes(b"half a file")
    (run / "checkpoint" / ".tmp-def456").write_bytes(b"half a checkpoint")
    code, _, _ = run_cli(capsys, "train", "--resume", "--out", run)
    assert code == 0
    assert not [f for _, _, files in os.walk(run) for f in files if f.startswith(".tmp-")]
    assert folder_state(run) == "finished"


# ---- kill -9 and --resume -----------------------------------------------------------------------
def _launch(recipe, out, log):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "glassnet", "train", str(recipe), "--out", str(out)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(out.parent),
    )


def _wait(proc, ready, timeout=60.0):
    """Poll until ``ready()`` or the process ends; True when ready."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            return True
        if proc.poll() is not None:
            return ready()
        time.sleep(0.001)
    raise AssertionError("the training process neither got there nor ended in time")


def _weights(path):
    return {k: v.numpy() for k, v in glassnet.load(path).items()}


def test_runs_killed_at_random_points_resume_to_the_same_bytes(small, tmp_path, capsys):
    # The uninterrupted run, in a process of its own, timing where its files appear.
    full = tmp_path / "full"
    log_path = tmp_path / "full.log"
    with open(log_path, "w") as log:
        start = time.monotonic()
        proc = _launch(small, full, log)
        _wait(proc, lambda: (full / "checkpoint" / "last.safetensors").exists())
        t_first_epoch = time.monotonic() - start
        _wait(proc, lambda: (full / "metrics.json").exists())
        t_metrics = time.monotonic() - start
        assert proc.wait(60) == 0, log_path.read_text()
        t_finish = time.monotonic() - start - t_metrics
    assert folder_state(full) == "finished"

    # Kill points from a seeded generator: one while the process starts (imports, data, the
    # model), two after a random epoch's line was printed (and a few milliseconds more, into the
    # next epoch), one while the final files are written.
    rng = random.Random(9)
    plan = [("starting", rng.uniform(0, t_first_epoch))]
    plan += [("epoch", rng.randint(1, EPOCHS - 1)) for _ in range(2)]
    plan += [("finishing", rng.uniform(0, t_finish))]
    states = []
    for i, (when, at) in enumerate(plan):
        run = tmp_path / f"killed{i}"
        log_path = tmp_path / f"killed{i}.log"
        with open(log_path, "w") as log:
            proc = _launch(small, run, log)
            if when == "starting":
                time.sleep(at)
            elif when == "epoch":
                _wait(proc, lambda: f"Epoch {at}/{EPOCHS} " in log_path.read_text())
                time.sleep(rng.uniform(0, 0.005))
            else:
                _wait(proc, lambda: (run / "metrics.json").exists())
                time.sleep(at)
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
        state = folder_state(run)
        states.append((when, at, state))
        assert state != "failed"
        if when == "epoch":
            # Killed with epochs still to go: the folder must not pass for a finished run.
            assert state == "unfinished" and not (run / "model.safetensors").exists()
        # Resume as a user would: the recipe file again (the folder may hold nothing yet).
        code, out, err = run_cli(capsys, "train", small, "--out", run, "--resume")
        assert code == 0, (when, at, state, out, err)
        assert folder_state(run) == "finished"
        assert (run / "model.safetensors").read_bytes() == (full / "model.safetensors").read_bytes()
        a, b = _weights(run / "model.safetensors"), _weights(full / "model.safetensors")
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert (run / "history.csv").read_text() == (full / "history.csv").read_text()
        assert (run / "metrics.json").read_text() == (full / "metrics.json").read_text()
    assert any(state == "unfinished" for _, _, state in states), states


# ---- divergence ---------------------------------------------------------------------------------
def _assert_failed(run, err):
    assert len(error_lines(err)) == 1, err
    assert "Traceback" not in err
    assert folder_state(run) == "failed"
    assert not (run / "model.safetensors").exists()
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "failed"
    assert "FAILED" in (run / "report.md").read_text()
    return status


def test_a_diverging_run_is_marked_failed_and_exits_3(tmp_path, capsys):
    # SGD with momentum and lr 1e6 on ReLU units: the weights overflow to inf and the loss to
    # nan within the first epoch.
    run = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "iris-mlp", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3",
        "--out", run,
    )  # fmt: skip
    assert code == 3
    assert "glassnet: warning: option --lr: lr = 1e+06 is unusually large" in err
    (line,) = error_lines(err)
    assert line.startswith("glassnet: error: training failed: ")
    assert f"run folder {run} marked failed; no model.safetensors written" in line
    status = _assert_failed(run, err)
    assert status["epoch"] == 1
    # A failed run is neither evaluated nor resumed (it would fail the same way).
    code, _, err = run_cli(capsys, "evaluate", run)
    assert code == 2 and f"{run} holds a failed run" in err
    code, _, err = run_cli(capsys, "train", "--resume", "--out", run)
    assert code == 2 and "resuming it would fail the same way" in err


def TrainingDivergedError(epoch, batch, reason):
    """The Trainer's error with a fixed message, raised from a patched fit (``epoch`` and
    ``batch`` counted from 1 as in the message; the error's attributes count from 0)."""
    from glassnet.train import TrainingDivergedError as Diverged

    return Diverged(
        f"training diverged at epoch {epoch}, batch {batch}: {reason};\n"
        "the last good weights were restored; lower the learning rate",
        epoch=epoch - 1,
        batch=batch - 1,
        reason=reason,
    )


def test_the_trainers_divergence_error_fails_the_run(tmp_path, capsys, monkeypatch):
    from glassnet.train import Trainer

    def diverge(self, *args, **kwargs):
        raise TrainingDivergedError(2, 5, "the loss is nan")

    monkeypatch.setattr(Trainer, "fit", diverge)
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--out", run)
    assert code == 3
    (line,) = error_lines(err)
    assert line == (
        "glassnet: error: training failed: training diverged at epoch 2, batch 5: the loss is "
        "nan; the last good weights were restored; lower the learning rate (run folder "
        f"{run} marked failed; no model.safetensors written; checkpoint/ keeps the last good "
        "state)"
    )
    status = _assert_failed(run, err)
    assert (status["epoch"], status["batch"], status["reason"]) == (2, 5, "the loss is nan")


def test_other_errors_from_training_are_not_taken_for_divergence(tmp_path, capsys, monkeypatch):
    from glassnet.train import Trainer

    def broken(self, *args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Trainer, "fit", broken)
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--out", tmp_path / "run")
    assert code == 1 and "RuntimeError: out of memory" in err
    assert folder_state(tmp_path / "run") == "unfinished"  # resumable, not failed
    assert runner.is_divergence(TrainingDivergedError(1, 1, "nan"))
