"""The Transformer program recipes (bert-mlm, gpt-chars, t5-translate, vit-digits): each runs
end to end through ``glassnet train``'s program runner on a cut-down size (a finished run
folder with its report, weights and finite metrics); the slow tests run the defaults and check
the figures the recipes state."""

import math

import pytest

from glassnet import report
from glassnet.models.text.recipes import bert_mlm, gpt_chars, t5_translate, vit_digits
from glassnet.recipes import programs

SMALL = {
    "bert-mlm": (bert_mlm, {"LINES": 40}),
    "gpt-chars": (gpt_chars, {"STEPS_PER_EPOCH": 2}),
    "t5-translate": (t5_translate, {"TRAIN_SIZE": 64, "TEST_SIZE": 8}),
    "vit-digits": (vit_digits, {"TRAIN_SIZE": 64}),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_each_recipe_runs_to_a_finished_folder(name, tmp_path, monkeypatch):
    module, sizes = SMALL[name]
    for k, v in sizes.items():
        monkeypatch.setattr(module, k, v)
    metrics = programs.run_program(name, tmp_path / "run", epochs=1, progress=False)
    assert report.read_status(tmp_path / "run")["state"] == "finished"
    assert all(math.isfinite(v) for v in metrics.values())
    text = (tmp_path / "run" / report.REPORT).read_text()
    assert "Test metrics" in text and (tmp_path / "run" / report.MODEL).exists()


def test_t5_translate_words_are_right():
    # hand-checked spellings of the generated task
    assert t5_translate.words(0) == ["zero"]
    assert t5_translate.words(427) == "four hundred twenty seven".split()
    assert t5_translate.words(9019) == "nine thousand nineteen".split()
    assert t5_translate.words(1200) == "one thousand two hundred".split()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, metric, bound",
    [
        ("bert-mlm", "accuracy", 0.83),
        ("t5-translate", "bleu", 0.9),
        ("vit-digits", "accuracy", 0.93),
    ],
)
def test_recipe_reaches_its_stated_figure(name, metric, bound, tmp_path):
    metrics = programs.run_program(name, tmp_path / "run", progress=False)
    assert metrics[metric] >= bound


@pytest.mark.slow
def test_gpt_chars_reaches_its_stated_perplexity(tmp_path):
    metrics = programs.run_program("gpt-chars", tmp_path / "run", progress=False)
    assert metrics["perplexity"] <= 8.5
