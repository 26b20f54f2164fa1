"""The recipe schema: the one gate every recipe setting passes, whether it comes from a recipe
file, a run's ``config.json``, a command-line option or Python code.

Each field has a type and a range. A wrong value raises RecipeError, which names the field,
where the value came from, the value and what is allowed; a legal but suspicious value (a
learning rate above 1) gives a RecipeWarning. Booleans are not numbers here, and a float is
not an integer, so ``epochs = true`` and ``epochs = 1.5`` are both refused.

>>> check_fields({"epochs": 5, "lr": 1}, "recipe file my.toml")
{'epochs': 5, 'lr': 1.0}
>>> try:
...     check_fields({"epochs": 1.5}, "recipe file my.toml")
... except RecipeError as exc:
...     print(exc)
recipe file my.toml: epochs must be an integer from 1 to 100000, got 1.5 (a float)
>>> parse_option("lr", "nan")
Traceback (most recent call last):
...
glassnet.recipes.schema.RecipeError: option --lr: lr must be a finite number greater than 0, got nan
"""

from __future__ import annotations

import difflib
import warnings

from glassnet.recipes.specs import (
    Boolean,
    Choice,
    Device,
    Integer,
    IntegerList,
    Number,
    SpecError,
    Table,
    Text,
    TextList,
    show,
)

TASKS = ("classification", "binary", "regression", "forecasting")

# Bounds that no recipe of this size needs to pass; far above them is a typo (1e9 for 1e3).
MAX_EPOCHS = 100_000
MAX_BATCH_SIZE = 1_048_576  # 2**20 samples per step
MAX_SEED = 2**32 - 1
MAX_THREADS = 1024
MAX_TOP = 10_000
MAX_WIDTH = 65_536  # units in one hidden layer
MAX_LAYERS = 64
LARGE_LR = 1.0  # above this, training almost always diverges; warned, not refused


class RecipeError(ValueError):
    """A recipe setting (or a recipe file) that cannot be used. ``field``: the setting's name;
    ``source``: where it came from ('recipe file my.toml', 'option --lr', a config.json);
    ``value``: what was given; ``allowed``: what would be accepted."""

    def __init__(self, message, *, field=None, source=None, value=None, allowed=None):
        super().__init__(message)
        self.field, self.source, self.value, self.allowed = field, source, value, allowed


class RecipeWarning(UserWarning):
    """A legal recipe setting that will probably not train well (a learning rate of 1e6)."""


def _error(source, field, value, allowed, note="", shown=None):
    shown = show(value) if shown is None else shown
    return RecipeError(
        f"{source}: {field} must be {allowed}, got {shown}{note}",
        field=field,
        source=source,
        value=value,
        allowed=allowed,
    )


def _datasets():
    from glassnet import datasets

    return [*datasets.available(), "file"]  # 'file': your own data (glassnet train --data)


def _models():
    from glassnet.recipes.builders import MODELS

    return MODELS


def _optimizers():
    from glassnet.recipes.builders import OPTIMIZERS

    return OPTIMIZERS


def _activations():
    from glassnet.models.mlp import ACTIVATIONS

    return ACTIVATIONS


_VOCAB = Integer(5, 10_000_000)  # set from the fitted tokenizer by a --data run
_DROPOUT = Number(0.0, 1.0, high_open=True, allowed="a number from 0 up to (not including) 1")

# Every field of glassnet.recipes.Recipe, in its order.
RECIPE_FIELDS = {
    "name": Text(nonempty=True),
    "description": Text(),
    "dataset": Choice(_datasets),
    "model": Choice(_models),
    "task": Choice(TASKS),
    "dataset_options": Table(),
    "model_options": Table(),
    "loss": Choice(("cross_entropy", "bce_with_logits", "mse", "l1", "smooth_l1", "huber"), True),
    "optimizer": Choice(_optimizers),
    "lr": Number(0.0, low_open=True, allowed="a finite number greater than 0"),
    "weight_decay": Number(0.0, allowed="a finite number of 0 or more"),
    "batch_size": Integer(1, MAX_BATCH_SIZE),
    "epochs": Integer(1, MAX_EPOCHS),
    "metrics": TextList(),
    "scheduler": Choice(("onecycle", "cosine"), optional=True),
    "scale_inputs": Boolean(),
    "scale_targets": Boolean(),
    "flatten": Boolean(),
    "augment": Choice(("shift",), optional=True),
    "val_fraction": Number(
        0.0, 1.0, high_open=True, allowed="a number from 0 up to (not including) 1"
    ),
    "grad_clip": Number(
        0.0, low_open=True, optional=True, allowed="a finite number greater than 0, or none"
    ),
    "early_stopping": Integer(1, MAX_EPOCHS, optional=True),
    "seed": Integer(0, MAX_SEED),
    "expected": Text(),
}

REQUIRED = ("name", "description", "dataset", "model")

# Settings of a command that are not recipe fields.
OPTION_FIELDS = {
    "threads": Integer(0, MAX_THREADS),
    "top": Integer(1, MAX_TOP),
    "device": Device(),
}

# The options each model takes (the keyword arguments of its builder in builders.py).
MODEL_OPTIONS = {
    "mlp": {
        "hidden": IntegerList(1, MAX_WIDTH, MAX_LAYERS),
        "activation": Choice(_activations),
        "dropout": _DROPOUT,
        "batch_norm": Boolean(),
    },
    "digits_cnn": {"width": Integer(1, MAX_WIDTH), "dropout": _DROPOUT},
    "lenet5": {},
    "lstm_forecaster": {"hidden_size": Integer(1, MAX_WIDTH), "num_layers": Integer(1, MAX_LAYERS)},
    "tabular_embed": {
        "cardinalities": IntegerList(1, 10_000_000, 100_000),  # set from the fitted encoder
        "hidden": IntegerList(1, MAX_WIDTH, MAX_LAYERS),
        "embed_dim": Integer(1, MAX_WIDTH, optional=True),
    },
    "small_cnn": {"width": Integer(1, MAX_WIDTH), "dropout": _DROPOUT},
    "text_lstm": {
        "vocab_size": _VOCAB,
        "embed_size": Integer(1, MAX_WIDTH),
        "hidden_size": Integer(1, MAX_WIDTH),
        "num_layers": Integer(1, MAX_LAYERS),
    },
    "text_transformer": {
        "vocab_size": _VOCAB,
        "embed_size": Integer(1, MAX_WIDTH),
        "num_layers": Integer(1, MAX_LAYERS),
        "heads": Integer(1, 64),
    },
    "next_token_lstm": {
        "vocab_size": _VOCAB,
        "embed_size": Integer(1, MAX_WIDTH),
        "hidden_size": Integer(1, MAX_WIDTH),
        "num_layers": Integer(1, MAX_LAYERS),
    },
}

LOSSES_FOR_TASK = {
    "classification": ("cross_entropy",),
    "binary": ("bce_with_logits",),
    "regression": ("mse", "l1", "smooth_l1", "huber"),
    "forecasting": ("mse", "l1", "smooth_l1", "huber"),
}

_CLASS_METRICS = ("accuracy", "precision", "recall", "f1")
METRICS_FOR_TASK = {
    "classification": _CLASS_METRICS + ("top3_accuracy", "top5_accuracy"),
    "binary": _CLASS_METRICS,
    "regression": ("mae", "mse", "rmse", "r2"),
    "forecasting": ("mae", "mse", "rmse", "r2"),
}


def flag(field: str) -> str:
    """The command-line option for a field: ``batch_size`` -> ``--batch-size``."""
    return "--" + field.replace("_", "-")


def _spec(field):
    spec = RECIPE_FIELDS.get(field) or OPTION_FIELDS.get(field)
    if spec is None:
        raise KeyError(f"no recipe field or option named {field!r}")
    return spec


def _warn(message):
    warnings.warn(message, RecipeWarning, stacklevel=3)


def check_value(field: str, value, source: str, *, warn: bool = True):
    """One field's value checked and normalised (ints for integer fields, floats for numbers,
    canonical names for choices); RecipeError when it is not allowed."""
    spec = _spec(field)
    try:
        out = spec.check(value)
    except SpecError as bad:
        raise _error(source, field, value, spec.allowed, bad.note) from None
    if warn and field == "lr" and out > LARGE_LR:
        _warn(
            f"{source}: lr = {out:g} is unusually large (above {LARGE_LR:g}); training will "
            "probably diverge. Typical learning rates are 1e-4 to 1e-1"
        )
    return out


def parse_option(field: str, text, flag_name: str | None = None, *, warn: bool = True):
    """A command-line option's text (``--lr 0.01``) as a checked value of ``field``."""
    spec = _spec(field)
    source = f"option {flag_name or flag(field)}"
    if not isinstance(text, str):
        return check_value(field, text, source, warn=warn)
    try:
        value = spec.parse(text)
    except SpecError as bad:
        raise _error(source, field, text, spec.allowed, bad.note, shown=_typed(text)) from None
    try:
        return check_value(field, value, source, warn=warn)
    except RecipeError as exc:
        raise _error(source, field, text, exc.allowed, shown=_typed(text)) from None


def _typed(text):
    # What the user typed: a number as it was written, anything else quoted.
    try:
        float(text)
        return text
    except ValueError:
        return repr(text)


def unknown_field(key, known, source, what="field"):
    """The RecipeError for a key that is not a known field (with a did-you-mean)."""
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return RecipeError(
        f"{source}: unknown {what} {key!r}{hint}; known: {', '.join(sorted(known)) or 'none'}",
        field=str(key),
        source=source,
        value=key,
        allowed=f"one of {', '.join(sorted(known))}",
    )


def check_fields(fields: dict, source: str, *, sources=None, warn: bool = True) -> dict:
    """Each of ``fields`` (a partial recipe) checked on its own; returns the normalised dict.
    ``sources`` maps a field to its own source where it differs (a command-line option)."""
    if not isinstance(fields, dict):
        raise RecipeError(
            f"{source}: a recipe must be a table of fields, got {show(fields)}", source=source
        )
    sources = sources or {}
    out = {}
    for key, value in fields.items():
        if key not in RECIPE_FIELDS:
            raise unknown_field(key, RECIPE_FIELDS, sources.get(key, source))
        out[key] = check_value(key, value, sources.get(key, source), warn=warn)
    return out


def check_recipe(fields: dict, source: str, *, sources=None, warn: bool = True) -> dict:
    """A whole recipe (every field that has no default given) checked field by field and then
    for fields that must agree: the model's options, the loss and metrics for the task."""
    out = check_fields(fields, source, sources=sources, warn=warn)
    sources = sources or {}
    missing = [k for k in REQUIRED if k not in out]
    if missing:
        raise RecipeError(
            f'{source}: missing {" and ".join(missing)} (or give base = "<recipe>" in a '
            "recipe file to start from a built-in recipe)",
            field=missing[0],
            source=source,
        )

    def where(key):
        return sources.get(key, source)

    task = out.get("task", "classification")
    out["model_options"] = check_model_options(
        out["model"], out.get("model_options", {}), where("model_options")
    )
    loss = out.get("loss")
    if loss is not None and loss not in LOSSES_FOR_TASK[task]:
        allowed = f"one of {', '.join(LOSSES_FOR_TASK[task])} for task {task!r}"
        raise _error(where("loss"), "loss", loss, allowed)
    for name in out.get("metrics", ()):
        if name not in METRICS_FOR_TASK[task]:
            allowed = f"a list of {', '.join(METRICS_FOR_TASK[task])} for task {task!r}"
            raise _error(where("metrics"), "metrics", out["metrics"], allowed, f" ({name!r})")
    if out.get("scale_targets") and task not in ("regression", "forecasting"):
        raise _error(
            where("scale_targets"),
            "scale_targets",
            True,
            f"false for task {task!r} (class labels are not scaled)",
        )
    if out.get("augment") and out.get("flatten"):
        raise _error(
            where("augment"),
            "augment",
            out["augment"],
            "none when flatten is true (augment "
            "'shift' moves pixels of images, which flatten turns into vectors)",
        )
    return out


def check_model_options(model: str, options: dict, source: str) -> dict:
    """``options`` for ``model`` checked against the options that model takes."""
    specs = MODEL_OPTIONS.get(model, {})
    out = {}
    for key, value in options.items():
        if key not in specs:
            raise unknown_field(key, specs, source, what=f"option of model {model!r}:")
        spec = specs[key]
        try:
            out[key] = spec.check(value)
        except SpecError as bad:
            raise _error(source, f"model_options.{key}", value, spec.allowed, bad.note) from None
    return out


def check_against_data(recipe, y, n_train: int, sample_shape, source: str, warn=True) -> None:
    """The checks that need the data: the task fits the targets (``task = 'binary'`` needs
    targets 0 and 1), augment 'shift' needs images; a batch larger than the training split
    is warned about (every epoch is then one batch)."""
    import numpy as np

    task = recipe.task
    values = np.asarray(y, dtype=np.float64).reshape(-1)
    if task in ("classification", "binary") and values.size:
        if (
            not np.all(np.isfinite(values))
            or np.any(values != np.round(values))
            or np.any(values < 0)
        ):
            raise RecipeError(
                f"{source}: task = {task!r} needs whole-number class labels, but data set "
                f"{recipe.dataset!r} has real-valued targets; use task = 'regression'",
                field="task",
                source=source,
                value=task,
                allowed="regression or forecasting for these targets",
            )
        classes = np.unique(values).astype(np.int64)
        if task == "binary" and not set(classes.tolist()) <= {0, 1}:
            shown = ", ".join(map(str, classes[:10])) + (", ..." if len(classes) > 10 else "")
            raise RecipeError(
                f"{source}: task = 'binary' needs targets 0 and 1, but data set "
                f"{recipe.dataset!r} has {len(classes)} classes ({shown}); use task = "
                "'classification'",
                field="task",
                source=source,
                value=task,
                allowed="classification for more than two classes",
            )
    if recipe.augment == "shift" and len(sample_shape) != 3:
        raise _error(
            source,
            "augment",
            recipe.augment,
            f"none for data set {recipe.dataset!r}, whose samples are shaped "
            f"{tuple(sample_shape)}, not images (channels, height, width)",
        )
    if warn and recipe.batch_size > n_train:
        _warn(
            f"{source}: batch_size = {recipe.batch_size} is larger than the {n_train} training "
            f"samples of {recipe.dataset!r}: every epoch is one batch of {n_train}"
        )
