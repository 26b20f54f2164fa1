"""Program recipes (glassnet.recipes.programs): the run-folder rules hold for a recipe that is
its own training program: 'running' while it works, 'finished' with metrics.json only after it
returned, 'failed' (and no metrics) when it raised or returned non-finite numbers."""

import json
import sys
import types

import pytest

from glassnet import report
from glassnet.recipes import programs


@pytest.fixture
def fake_program(monkeypatch):
    calls = []
    module = types.ModuleType("fake_program_module")

    def run(run_dir, *, epochs=None, seed=0, progress=True):
        calls.append((epochs, seed))
        # While the program runs the folder says so: a crash here must not look finished.
        assert report.read_status(run_dir)["state"] == "running"
        if module.behaviour == "raise":
            raise ValueError("the generator collapsed")
        return {"accuracy": float("nan")} if module.behaviour == "nan" else {"accuracy": 0.75}

    module.run = run
    module.behaviour = "ok"
    monkeypatch.setitem(sys.modules, "fake_program_module", module)
    recipe = programs.ProgramRecipe("fake-program", "a test program", "fake_program_module")
    monkeypatch.setitem(programs.PROGRAMS, "fake-program", recipe)
    return module, calls


def test_a_program_run_ends_finished_with_its_metrics(tmp_path, fake_program):
    module, calls = fake_program
    metrics = programs.run_program("fake-program", tmp_path / "run", epochs=3, seed=7)
    assert metrics == {"accuracy": 0.75} and calls == [(3, 7)]
    assert report.read_status(tmp_path / "run")["state"] == "finished"
    assert json.loads((tmp_path / "run" / report.METRICS).read_text()) == {"accuracy": 0.75}
    # A second run into the finished folder is refused unless asked to overwrite.
    with pytest.raises(report.RunFolderError):
        programs.run_program("fake-program", tmp_path / "run")
    programs.run_program("fake-program", tmp_path / "run", overwrite=True)


@pytest.mark.parametrize("behaviour", ["raise", "nan"])
def test_a_program_that_fails_leaves_a_failed_folder_without_metrics(
    tmp_path, fake_program, behaviour
):
    module, _ = fake_program
    module.behaviour = behaviour
    with pytest.raises((ValueError, programs.ProgramFailedError)):
        programs.run_program("fake-program", tmp_path / "run")
    assert report.read_status(tmp_path / "run")["state"] == "failed"
    assert not (tmp_path / "run" / report.METRICS).exists()


def test_an_unknown_program_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown program recipe 'nope'"):
        programs.run_program("nope", "unused")
