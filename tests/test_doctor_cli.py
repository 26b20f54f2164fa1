"""The doctor on the command line: `glassnet doctor RECIPE`, the doctor that `glassnet train`
runs by default (doctor.json and report.md in the run folder), --no-doctor, and --lr auto."""

from __future__ import annotations

import json

from glassnet.cli import main
from glassnet.commands.doctor import doctor_report


def test_doctor_command_prints_the_check_report(capsys, tmp_path):
    assert main(["doctor", "moons-mlp", "--steps", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    expected = doctor_report("moons-mlp", 20)  # the same seeded check through the Python API
    assert str(expected) in out
    saved = json.loads((tmp_path / "doctor.json").read_text())
    assert saved["steps"] == expected.steps == 20
    assert [f["code"] for f in saved["findings"]] == expected.codes


def test_doctor_command_with_a_broken_learning_rate(capsys):
    # Adam at lr 5 on moons: steps of ~5 per weight against weights ~0.3
    assert main(["doctor", "moons-mlp", "--steps", "40", "--lr", "5"]) == 0
    out = capsys.readouterr().out
    assert "lr_too_high" in out


def test_train_writes_the_doctor_files_unless_no_doctor(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "xor-mlp", "--epochs", "2", "--out", str(run)]) == 0
    report = json.loads((run / "doctor.json").read_text())
    assert report["steps"] > 0 and "findings" in report
    assert "Training doctor" in (run / "report.md").read_text()
    quiet = tmp_path / "quiet"
    assert main(["train", "xor-mlp", "--epochs", "2", "--out", str(quiet), "--no-doctor"]) == 0
    assert not (quiet / "doctor.json").exists()
    assert "Training doctor" not in (quiet / "report.md").read_text()


def test_train_lr_auto_uses_the_lr_find_suggestion(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "xor-mlp", "--epochs", "1", "--lr", "auto", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("lr_find:"))
    used = float(line.rsplit("using lr", 1)[1])
    config = json.loads((run / "config.json").read_text())
    assert config["recipe"]["lr"] == used
    valley = float(line.split("valley", 1)[1].split(";")[0])
    assert abs(used - valley) <= 0.05 * valley  # rounded to 2 significant digits


def test_train_with_a_broken_learning_rate_reports_it_in_the_run_folder(tmp_path, capsys):
    # Adam at lr 5 on moons (see above): whether the run diverges (exit 3, folder marked
    # failed) or limps on, the doctor's findings are in the run folder
    run = tmp_path / "run"
    code = main(["train", "moons-mlp", "--epochs", "3", "--lr", "5", "--out", str(run)])
    assert code in (0, 3)
    report = json.loads((run / "doctor.json").read_text())
    codes = {f["code"] for f in report["findings"]}
    assert "lr_too_high" in codes
    assert "Training doctor" in (run / "report.md").read_text()
