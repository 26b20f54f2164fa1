"""The recipe schema: every recipe field and command option has a type and a range, checked in
one place whether the value comes from a recipe file, a run's config.json, an option or Python.
Each wrong value gives one line naming the field, its source, the value and what is allowed,
and the command exits with code 2 without training anything."""

import dataclasses
import inspect
import json
import math

import pytest

from glassnet.cli import main
from glassnet.recipes import (
    BUILTIN,
    Recipe,
    RecipeError,
    RecipeWarning,
    builders,
    get,
    load_config,
    schema,
)


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *args):
    """Run the command; it must exit 2 with exactly one line on stderr. Returns that line."""
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    return lines[0]


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "xor"
    assert main(["train", "xor-mlp", "--epochs", "1", "--out", str(out)]) == 0
    return out


# ---- the schema itself --------------------------------------------------------------------------
def test_every_recipe_field_has_a_spec_and_every_model_its_options():
    assert list(schema.RECIPE_FIELDS) == [f.name for f in dataclasses.fields(Recipe)]
    assert set(schema.MODEL_OPTIONS) == set(builders.MODELS)
    for name, build in builders.MODELS.items():
        # The options a model's builder takes, after (input_shape, num_outputs).
        params = list(inspect.signature(build).parameters)[2:]
        assert set(schema.MODEL_OPTIONS[name]) == set(params), name


def test_builtin_recipes_pass_the_schema_unchanged():
    for recipe in BUILTIN.values():
        fields = recipe.to_dict()
        checked = schema.check_recipe(fields, f"recipe {recipe.name!r}")
        assert Recipe(**checked) == recipe


@pytest.mark.parametrize(
    "field, value, note",
    [
        ("epochs", True, " (a boolean)"),  # bools are not integers
        ("epochs", 1.5, " (a float)"),
        ("epochs", 3.0, " (a float)"),  # nor is a whole float
        ("epochs", 0, ""),
        ("batch_size", 10**9, ""),
        ("seed", -1, ""),
        ("seed", 2**32, ""),
        ("lr", math.nan, ""),
        ("lr", math.inf, ""),
        ("lr", -1.0, ""),
        ("lr", 0, ""),
        ("lr", "fast", " (a string)"),
        ("lr", False, " (a boolean)"),
        ("weight_decay", -0.1, ""),
        ("val_fraction", 1.0, ""),
        ("grad_clip", 0.0, ""),
        ("scale_inputs", 1, " (an integer)"),
        ("metrics", "accuracy", " (a string)"),
        ("optimizer", "fast", ""),
        ("task", "multiclass", ""),
        ("model_options", [1], " (a list)"),
    ],
)
def test_a_wrong_value_names_field_source_value_and_what_is_allowed(field, value, note):
    spec = schema.RECIPE_FIELDS[field]
    with pytest.raises(RecipeError) as info:
        schema.check_fields({field: value}, "recipe file my.toml")
    err = info.value
    assert (err.field, err.source, err.allowed) == (field, "recipe file my.toml", spec.allowed)
    assert err.value is value
    assert str(err) == (
        f"recipe file my.toml: {field} must be {spec.allowed}, got {schema.show(value)}{note}"
    )


def test_what_is_allowed_is_said_in_words():
    allowed = {k: s.allowed for k, s in schema.RECIPE_FIELDS.items()}
    assert allowed["epochs"] == "an integer from 1 to 100000"
    assert allowed["batch_size"] == "an integer from 1 to 1048576"
    assert allowed["seed"] == "an integer from 0 to 4294967295"
    assert allowed["lr"] == "a finite number greater than 0"
    assert allowed["optimizer"] == "one of adagrad, adam, adamw, nadam, rmsprop, sgd"
    assert allowed["scheduler"] == "one of cosine, onecycle, plateau, or none"


def test_good_values_are_normalised():
    checked = schema.check_fields(
        {"lr": 1, "optimizer": "AdamW", "metrics": ["accuracy"], "grad_clip": None},
        "test",
    )
    assert checked == {"lr": 1.0, "optimizer": "adamw", "metrics": ("accuracy",), "grad_clip": None}
    assert type(checked["lr"]) is float


def test_a_large_learning_rate_is_accepted_with_a_warning():
    with pytest.warns(RecipeWarning, match=r"my.toml: lr = 1e\+06 is unusually large"):
        assert schema.check_fields({"lr": 1e6}, "my.toml") == {"lr": 1e6}


def test_unknown_fields_and_model_options_suggest_the_near_name():
    with pytest.raises(
        RecipeError, match=r"unknown field 'epoch' \(did you mean 'epochs'\?\); known: augment, "
    ):
        schema.check_fields({"epoch": 3}, "f")
    fields = dict(BUILTIN["iris-mlp"].to_dict(), model_options={"hiden": [8]})
    with pytest.raises(
        RecipeError, match=r"option of model 'mlp': 'hiden' \(did you mean 'hidden'\?\)"
    ):
        schema.check_recipe(fields, "f")


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"model_options": {"hidden": [-5]}},
            "model_options.hidden must be a list of at most 64 "
            "integers from 1 to 65536, got [-5] (item 0 is -5)",
        ),
        ({"model_options": {"hidden": [8, 2.5]}}, "got [8, 2.5] (item 1 is 2.5)"),
        ({"model_options": {"hidden": "64"}}, "got '64' (a string)"),
        (
            {"model_options": {"dropout": 1.0}},
            "model_options.dropout must be a number from 0 up to (not including) 1, got 1.0",
        ),
        ({"model_options": {"activation": "swish"}}, "model_options.activation must be one of "),
        ({"loss": "mse"}, "loss must be one of cross_entropy for task 'classification', got 'mse'"),
        (
            {"metrics": ["accuracy", "bleu"]},
            "metrics must be a list of accuracy, precision, "
            "recall, f1, top3_accuracy, top5_accuracy for task 'classification', got ['accuracy', "
            "'bleu'] ('bleu')",
        ),
        ({"scale_targets": True}, "scale_targets must be false for task 'classification'"),
        ({"flatten": True, "augment": "shift"}, "augment must be none when flatten is true"),
    ],
)
def test_fields_that_must_agree(changes, message):
    fields = dict(BUILTIN["iris-mlp"].to_dict(), **changes)
    with pytest.raises(RecipeError) as info:
        schema.check_recipe(fields, "recipe file x.toml")
    assert str(info.value).startswith("recipe file x.toml: ")
    assert message in str(info.value)


def test_a_recipe_made_in_python_is_checked_too():
    with pytest.raises(RecipeError, match="recipe 'tiny': epochs must be an integer"):
        Recipe(name="tiny", description="", dataset="xor", model="mlp", epochs=0)
    with pytest.raises(RecipeError, match="recipe 'tiny': dataset must be one of .*iris"):
        Recipe(name="tiny", description="", dataset="no-such-data", model="mlp")
    r = BUILTIN["xor-mlp"]
    with pytest.raises(RecipeError, match="recipe 'xor-mlp': batch_size must be"):
        r.replace(batch_size=-3)


# ---- command-line options -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "option, text, allowed",
    [
        ("--lr", "nan", "a finite number greater than 0"),
        ("--lr", "inf", "a finite number greater than 0"),
        ("--lr", "-1", "a finite number greater than 0"),
        ("--lr", "fast", "a finite number greater than 0"),
        ("--epochs", "1.5", "an integer from 1 to 100000"),
        ("--epochs", "0", "an integer from 1 to 100000"),
        ("--batch-size", "1e9", "an integer from 1 to 1048576"),
        ("--batch-size", "1000000000", "an integer from 1 to 1048576"),
        ("--seed", "-1", "an integer from 0 to 4294967295"),
        ("--threads", "-5", "an integer from 0 to 1024"),
        ("--optimizer", "fast", "one of adagrad, adam, adamw, nadam, rmsprop, sgd"),
        ("--device", "tpu", "cpu, cuda or cuda:N"),
    ],
)
def test_train_option_errors_are_one_line_and_nothing_is_written(
    tmp_path, capsys, option, text, allowed
):
    line = refused(capsys, "train", "xor-mlp", option, text, "--out", tmp_path / "r")
    field = option[2:].replace("-", "_")
    shown = text if text != "fast" and text != "tpu" else repr(text)
    assert line == f"glassnet: error: option {option}: {field} must be {allowed}, got {shown}"
    assert not (tmp_path / "r").exists()


def test_train_warns_once_about_a_huge_learning_rate_and_trains(tmp_path, capsys):
    # Adam moves each weight by about lr per step whatever the gradient, so with tanh units the
    # loss stays finite: this run ends (badly) rather than diverging.
    code, out, err = run_cli(
        capsys, "train", "xor-mlp", "--epochs", "1", "--lr", "1e6", "--out", tmp_path / "r"
    )
    warned = [line for line in err.splitlines() if "glassnet: warning: option --lr" in line]
    assert len(warned) == 1 and "lr = 1e+06 is unusually large" in warned[0]
    assert code == 0 and (tmp_path / "r" / "model.safetensors").exists()


@pytest.mark.parametrize("text", ["-1", "0", "x"])
def test_predict_top_must_be_a_positive_integer(xor_run, tmp_path, capsys, text):
    (tmp_path / "x.csv").write_text("0.5,0.5\n")
    line = refused(capsys, "predict", xor_run, tmp_path / "x.csv", "--top", text)
    shown = repr(text) if text == "x" else text
    assert (
        line
        == f"glassnet: error: option --top: top must be an integer from 1 to 10000, got {shown}"
    )


def test_evaluate_threads_is_checked(xor_run, capsys):
    line = refused(capsys, "evaluate", xor_run, "--threads", "-5")
    assert line.endswith("option --threads: threads must be an integer from 0 to 1024, got -5")


# ---- recipe files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, message",
    [
        ("epochs = 1.5", "epochs must be an integer from 1 to 100000, got 1.5 (a float)"),
        ("epochs = true", "epochs must be an integer from 1 to 100000, got true (a boolean)"),
        (
            "batch_size = 1e9",
            "batch_size must be an integer from 1 to 1048576, got 1000000000.0 (a float)",
        ),
        (
            "batch_size = 1_000_000_000",
            "batch_size must be an integer from 1 to 1048576, got 1000000000",
        ),
        ('lr = "fast"', "lr must be a finite number greater than 0, got 'fast' (a string)"),
        ("lr = nan", "lr must be a finite number greater than 0, got nan"),
        ("seed = -1", "seed must be an integer from 0 to 4294967295, got -1"),
        (
            '[model]\nname = "mlp"\nhidden = [-5]',
            "model_options.hidden must be a list of at most "
            "64 integers from 1 to 65536, got [-5] (item 0 is -5)",
        ),
        ("flatten = 1", "flatten must be true or false, got 1 (an integer)"),
        (
            "epoch = 3",
            "unknown field 'epoch' (did you mean 'epochs'?); known: "
            + ", ".join(sorted(schema.RECIPE_FIELDS)),
        ),
    ],
)
def test_recipe_file_errors_name_the_file(tmp_path, capsys, line, message):
    path = tmp_path / "mine.toml"
    path.write_text(f'base = "iris-mlp"\n{line}\n')
    with pytest.raises(RecipeError) as info:
        load_config(path)
    assert str(info.value) == f"recipe file {path}: {message}"
    assert refused(capsys, "train", path, "--out", tmp_path / "r") == (
        f"glassnet: error: recipe file {path}: {message}"
    )
    assert not (tmp_path / "r").exists()


def test_json_recipe_file_errors_too(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"base": "iris-mlp", "epochs": True}))
    with pytest.raises(RecipeError, match=r"mine.json: epochs must be .*, got true \(a boolean\)"):
        load_config(path)


def test_lr_1e6_in_a_file_is_accepted_with_a_warning(tmp_path, capsys):
    path = tmp_path / "fast.toml"
    path.write_text('base = "iris-mlp"\nlr = 1e6\n')
    with pytest.warns(RecipeWarning, match="fast.toml: lr = 1e.06 is unusually large"):
        assert load_config(path).lr == 1e6
    code, out, err = run_cli(capsys, "summary", path)
    assert code == 0
    assert f"glassnet: warning: recipe file {path}: lr = 1e+06 is unusually large" in err


@pytest.mark.parametrize(
    "name, text, where",
    [
        ("bad.toml", 'base = "iris-mlp"\nepochs = \n', "(at line 2, column 10)"),
        ("bad.json", '{"base": "iris-mlp",\n "epochs": 3,,}', "at line 2, column 14"),
    ],
)
def test_a_corrupt_recipe_file_names_the_file_and_the_position(tmp_path, capsys, name, text, where):
    path = tmp_path / name
    path.write_text(text)
    kind = "TOML" if name.endswith(".toml") else "JSON"
    line = refused(capsys, "train", path, "--out", tmp_path / "r")
    assert line.startswith(f"glassnet: error: recipe file {path} is not valid {kind}: ")
    assert where in line


def test_task_binary_on_a_three_class_data_set(tmp_path, capsys):
    path = tmp_path / "binary.toml"
    path.write_text('base = "iris-mlp"\ntask = "binary"\n')
    line = refused(capsys, "train", path, "--out", tmp_path / "r")
    assert line == (
        f"glassnet: error: recipe file {path}: task = 'binary' needs targets 0 and 1, but data "
        "set 'iris' has 3 classes (0, 1, 2); use task = 'classification'"
    )
    assert not (tmp_path / "r").exists()


def test_classification_on_real_valued_targets(tmp_path, capsys):
    # The sine data set's targets are the next values of a noisy sine wave: real numbers.
    path = tmp_path / "cls.json"
    path.write_text(json.dumps({"dataset": "sine", "model": "mlp", "epochs": 1}))
    line = refused(capsys, "train", path, "--out", tmp_path / "r")
    assert "needs whole-number class labels, but data set 'sine' has real-valued" in line


def test_a_batch_larger_than_the_training_set_is_warned_about(tmp_path, capsys):
    code, _, err = run_cli(
        capsys,
        "train",
        "iris-mlp",
        "--epochs",
        "1",
        "--batch-size",
        "5000",
        "--out",
        tmp_path / "r",
    )
    assert code == 0
    # iris: 150 flowers, 30 held out for test, then 10% of the 120 for validation -> 108.
    assert "batch_size = 5000 is larger than the 108 training samples of 'iris'" in err


# ---- a run's config.json ------------------------------------------------------------------------
def test_a_corrupt_config_json_names_the_file_and_the_position(xor_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(xor_run, run)
    config = run / "config.json"
    text = config.read_text()
    config.write_text(text[:40])  # cut off mid-file, as a disk error might leave it
    lines_before = text[:40].count("\n")
    for command in (["evaluate", run], ["predict", run, run / "config.json"]):
        line = refused(capsys, *command)
        assert line.startswith(f"glassnet: error: {config} is damaged: not valid JSON (")
        assert f"at line {lines_before + 1}, column" in line


def test_an_edited_config_json_is_checked_by_the_schema(xor_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(xor_run, run)
    config = json.loads((run / "config.json").read_text())
    config["recipe"]["lr"] = "fast"
    (run / "config.json").write_text(json.dumps(config))
    line = refused(capsys, "evaluate", run)
    config_path = run / "config.json"
    assert line == (
        f"glassnet: error: {config_path}: lr must be a finite number greater than 0, got 'fast' "
        "(a string)"
    )


def test_get_reads_files_through_the_schema(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text('base = "moons-mlp"\nepochs = 2\n[model]\nname = "mlp"\nhidden = [8]\n')
    r = get(str(path))
    assert (r.epochs, r.model_options, r.dataset) == (2, {"hidden": [8]}, "moons")
