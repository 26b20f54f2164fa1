"""The lessons (docs/lessons): every concept of CONCEPTS.md has one, each has its parts, and
``glassnet learn`` lists, prints and runs them. The lessons' own code runs as doctests
(``pytest docs``); here one lesson is also run through ``glassnet learn NAME --run``."""

import re
from pathlib import Path

import pytest

from glassnet import lessons
from glassnet.cli import main
from glassnet.lessons.concepts import concept_checklist, concepts_from_markdown

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "lessons"
# docs/lessons/concepts.txt is generated from the team's CONCEPTS.md; regenerate it with
#   python -m glassnet.lessons.concepts path/to/CONCEPTS.md > docs/lessons/concepts.txt
CHECKLIST = concept_checklist(FOLDER / "concepts.txt")
ALL = lessons.catalog(FOLDER)


def test_the_checklist_is_the_whole_concepts_file():
    # Nine sections of CONCEPTS.md, each with concepts.
    sections = {section for section, _ in CHECKLIST}
    assert [s.split(".")[0] for s in sorted(sections)] == [str(i) for i in range(1, 10)]
    assert len(CHECKLIST) == len(set(CHECKLIST)) > 50


def test_every_concept_has_a_lesson():
    taught = {c for lesson in ALL for c in lesson.concepts}
    missing = [f"{s} | {c}" for s, c in CHECKLIST if c not in taught]
    assert not missing, f"concepts without a lesson: {missing}"


def test_every_listed_concept_is_a_real_one():
    # A typo in a lesson's concepts comment would otherwise cover nothing silently.
    known = {c for _, c in CHECKLIST}
    for lesson in ALL:
        assert set(lesson.concepts) <= known, (lesson.name, set(lesson.concepts) - known)


@pytest.mark.parametrize("lesson", ALL, ids=[lesson.name for lesson in ALL])
def test_lesson_has_its_parts(lesson):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson.name)
    assert lesson.title and lesson.concepts
    assert 100 < lesson.order < 1000
    assert re.search(r"^```python\n>>> ", lesson.text, re.M), "no doctest block"
    assert re.search(r"^## Your turn$", lesson.text, re.M), "no 'Your turn' section"
    assert 30 <= len(lesson.text.splitlines()) <= 140


def test_orders_are_unique():
    orders = [lesson.order for lesson in ALL]
    assert len(orders) == len(set(orders))


def test_parser_reads_title_concepts_order(tmp_path):
    (tmp_path / "a-b.md").write_text("# A and B\n<!-- concepts: x, y z; order: 205 -->\n\nText.\n")
    (tmp_path / "README.md").write_text("# index\n")
    (found,) = lessons.catalog(tmp_path)
    assert (found.name, found.title, found.concepts, found.order, found.section) == (
        "a-b",
        "A and B",
        ("x", "y z"),
        205,
        2,
    )
    assert found.summary == "Text."
    (tmp_path / "bad.md").write_text("# Bad\nno comment\n")
    with pytest.raises(ValueError, match="line 2"):
        lessons.catalog(tmp_path)


def test_concepts_parser_reads_tables_and_prose():
    text = (
        "## 2. Learning\n| concept | what | where |\n|---|---|---|\n"
        "| epochs, batches | repeat | x |\n| loss | compare | y |\n"
        "## 3. Activations\nsigmoid (0..1), tanh ...\n"
    )
    found = concepts_from_markdown(text)
    assert found[:2] == [("2. Learning", "epochs and batches"), ("2. Learning", "loss")]
    assert ("3. Activations", "sigmoid") in found and ("3. Activations", "tanh") in found


def test_learn_lists_in_order(capsys):
    assert main(["learn"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"  {lesson.name} ") for lesson in ALL]
    assert positions == sorted(positions)
    assert "1. The neuron and the network" in out


def test_learn_name_prints_the_lesson(capsys):
    assert main(["learn", "xor", "--plain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# XOR") and "## Your turn" in out
    assert main(["learn", "xor"]) == 0  # rich rendering: the title's words, without the '#'
    assert "XOR" in capsys.readouterr().out


def test_learn_unknown_name_lists_close_matches(capsys):
    assert main(["learn", "xr"]) == 2
    err = capsys.readouterr().err
    assert "no lesson named 'xr'" in err and "xor" in err
    assert main(["learn", "stacked-lineer"]) == 2
    assert "stacked-linear" in capsys.readouterr().err


def test_learn_run_executes_the_code(capsys):
    assert main(["learn", "stacked-linear", "--run"]) == 0
    out = capsys.readouterr().out
    n = len(re.findall(r"^>>> ", lessons.find("stacked-linear").text, re.M))
    assert f"all {n} examples pass" in out


def test_run_reports_a_failing_example(tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_text("# Broken\n<!-- concepts: x; order: 101 -->\n\n>>> 1 + 1\n3\n")
    result = lessons.run_lesson(lessons.parse_lesson(broken))
    assert (result.attempted, result.failed, result.passed) == (1, 1, False)
    assert "Expected:" in result.report and "3" in result.report


def test_every_playground_preset_is_a_lesson_and_valid_playground_settings():
    import fastapi  # noqa: F401

    from glassnet.lessons.playground_presets import PRESETS
    from glassnet.playground.settings import validate

    names = {lesson.name for lesson in lessons.catalog()}
    assert set(PRESETS) <= names
    for name, settings in PRESETS.items():
        validate(dict(settings))  # raises SettingsError naming a bad setting


def test_learn_open_starts_the_playground_on_the_preset(monkeypatch, capsys):
    import fastapi  # noqa: F401

    import glassnet.commands.playground as command
    import glassnet.playground

    served, opened = [], []
    monkeypatch.setattr(glassnet.playground, "serve", lambda **kw: served.append(kw))
    monkeypatch.setattr(command, "_open_later", lambda url: opened.append(url))
    assert main(["learn", "xor", "--open"]) == 0
    assert served == [{"port": 8765}]
    assert opened[0].startswith("http://127.0.0.1:8765/?dataset=xor")
    assert opened[0] in capsys.readouterr().out


def test_learn_open_without_a_preset_names_the_lessons_that_have_one(capsys):
    assert main(["learn", "bleu-rouge", "--open"]) == 2
    err = capsys.readouterr().err
    assert "no playground set-up" in err and "xor" in err
