"""Your own data through a recipe: ``glassnet train --data FILE_OR_FOLDER``.

``recipe_for_data`` reads the data once to choose the task and the model (both overridable)
and returns a Recipe whose ``dataset`` is ``'file'`` and whose ``dataset_options`` name the
file, so the recipe written into the run folder reproduces the run. ``prepare_file`` (called
by ``prepare``) reads the data, splits train/validation/test (stratified for classes,
seeded), fits the preprocessing on the training split only and keeps it as JSON in
``Preprocessing.source``; ``read_labelled_file`` and ``read_input_file`` apply that same
preprocessing to new files for ``glassnet evaluate`` and ``glassnet predict``.

Kinds of data: 'table' (CSV/TSV/Parquet; an MLP on scaled numbers and one-hot categories),
'images' (a folder per class; a small CNN), 'text' (a CSV with a text column and a label;
an LSTM or Transformer over word ids) and 'lm' (a plain text file; a next-character model).

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "xor.csv")
>>> rows = "".join(f"{a},{b},{'yes' if a != b else 'no'}\\n" for a in (0, 1) for b in (0, 1))
>>> _ = open(path, "w").write("a,b,label\\n" + rows * 10)
>>> r = recipe_for_data(path)
>>> r.dataset, r.task, r.model, r.dataset_options["target"]
('file', 'classification', 'mlp', 'label')
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.data.tables import DataFileError
from glassnet.recipes.prepare import FILE_DATASET, PreparedData, Preprocessing
from glassnet.recipes.recipe import Recipe

KINDS = ("table", "images", "text", "lm")
DEFAULT_MODELS = {
    "table": "mlp",
    "images": "small_cnn",
    "text": "text_lstm",
    "lm": "next_token_lstm",
}
MODELS_FOR_KIND = {
    "table": ("mlp", "tabular_embed"),
    "images": ("small_cnn", "digits_cnn", "lenet5", "mlp"),
    "text": ("text_lstm", "text_transformer"),
    "lm": ("next_token_lstm",),
}
TEST_FRACTION = 0.2


def detect_kind(path, target=None, model=None) -> str:
    """'images' for a folder, 'lm' for a plain .txt file without --target, 'text' for a table
    whose feature is free text (or with a text model), else 'table'."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return "images"
    if not os.path.exists(path):
        raise DataFileError(f"data file {path} does not exist", path=path)
    if path.lower().endswith(".txt") and target is None:
        return "lm"
    if model in MODELS_FOR_KIND["text"]:
        return "text"
    from glassnet.data.tables import read_table

    table = read_table(path)
    target = target or table.columns[-1]
    features = [c for c in table.columns if c != target]
    texts = [c for c in features if table.kinds[c] == "text"]
    if texts and all(table.kinds[c] in ("text", "id") for c in features):
        return "text"
    return "table"


def _module(kind):
    if kind == "table":
        from glassnet.recipes import owndata_table as m
    elif kind == "images":
        from glassnet.recipes import owndata_images as m
    else:
        from glassnet.recipes import owndata_text as m
    return m


def recipe_for_data(
    path, target=None, task=None, model=None, *, name=None, epochs=None, seed=0, options=None
) -> Recipe:
    """A Recipe training on your file or folder: the kind, target, task and model chosen
    from the data unless given."""
    path = os.path.abspath(os.fspath(path))
    kind = detect_kind(path, target, model)
    info = _module(kind).inspect(path, target, task, kind)
    model = model or DEFAULT_MODELS[kind]
    if model not in MODELS_FOR_KIND[kind]:
        raise DataFileError(
            f"{path}: model {model!r} does not read {kind} data; use one of "
            f"{', '.join(MODELS_FOR_KIND[kind])}",
            path=path,
        )
    task = info["task"]
    stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
    dataset_options = {"path": path, "kind": kind, **(options or {})}
    if info.get("target") is not None:
        dataset_options["target"] = info["target"]
    defaults = {
        "table": dict(epochs=60, batch_size=32, lr=3e-3),
        "images": dict(epochs=15, batch_size=32, lr=2e-3),
        "text": dict(epochs=12, batch_size=32, lr=3e-3),
        "lm": dict(epochs=8, batch_size=64, lr=3e-3),
    }[kind]
    model_options = {"hidden": [64, 64]} if model in ("mlp", "tabular_embed") else {}
    return Recipe(
        name=name or stem,
        description=f"your data: {os.path.basename(os.path.normpath(path))} ({kind})",
        dataset=FILE_DATASET,
        model=model,
        task=task,
        dataset_options=dataset_options,
        model_options=model_options,
        metrics=("accuracy",) if task == "classification" else ("mae", "r2"),
        val_fraction=0.15,
        early_stopping=10,
        seed=seed,
        **{**defaults, **({"epochs": epochs} if epochs else {})},
    )


def split_indices(n, labels, seed, val_fraction, test_fraction=TEST_FRACTION):
    """Train/validation/test row indices: stratified by ``labels`` when given and every class
    has at least 3 rows, seeded."""
    from glassnet.data import train_val_test_split

    idx = np.arange(n)
    stratify = None
    if labels is not None:
        _, counts = np.unique(labels, return_counts=True)
        stratify = labels if counts.min() >= 3 else None
    n_test = max(1, int(round(test_fraction * n)))
    n_val = max(1, int(round(val_fraction * n))) if val_fraction > 0 else 0
    if n - n_test - n_val < 1:
        raise DataFileError(f"only {n} samples: too few to split into train, validation and test")
    train, val, test = train_val_test_split(
        idx, val_size=n_val, test_size=n_test, stratify=stratify, seed=seed
    )
    return np.sort(train), np.sort(val), np.sort(test)


def prepare_file(recipe: Recipe, batch_size, seed, warn=True) -> PreparedData:
    """``prepare`` for a recipe on your own data (see the module docstring)."""
    from glassnet import data as gdata

    kind = recipe.dataset_options.get("kind", "table")
    parts = _module(kind).fit(recipe, seed)
    pre = Preprocessing(
        task=recipe.task,
        input_shape=list(parts["x_train"].shape[1:]),
        scale_targets=recipe.task == "regression",
        class_names=parts.get("class_names"),
        feature_names=parts.get("feature_names"),
        source=parts["source"],
        input_dtype=parts.get("input_dtype", "float32"),
    )
    pre.fit(parts["x_train"], parts["y_train"])

    def loader(x, y, shuffle):
        ds = gdata.TensorDataset(pre.inputs(x), pre.targets(y))
        return gdata.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)

    num_outputs = len(pre.class_names) if recipe.task == "classification" else 1
    return PreparedData(
        train=loader(parts["x_train"], parts["y_train"], True),
        val=loader(parts["x_val"], parts["y_val"], False) if len(parts["x_val"]) else None,
        test=loader(parts["x_test"], parts["y_test"], False),
        x_test=parts["x_test"],
        y_test=parts["y_test"],
        preprocessing=pre,
        num_outputs=num_outputs,
        description=parts.get("report", ""),
        sizes={
            "train": len(parts["x_train"]),
            "val": len(parts["x_val"]),
            "test": len(parts["x_test"]),
        },
        write_extras=parts.get("write_extras"),
    )


def _source(run):
    source = run.preprocessing.source
    if not source:
        return None
    return source


def read_labelled_file(run, path):
    """``(x, y)`` from a labelled file of the same shape as the run's training data."""
    source = _source(run)
    return _module(source["kind"]).labelled(source, os.fspath(path))


def read_input_file(run, path):
    """Model inputs ``x`` from a file of the same shape as the training data (the target
    column may be absent)."""
    source = _source(run)
    return _module(source["kind"]).inputs(source, os.fspath(path))


def labels_for(task, values, spelled=None):
    """``(class index per row, class names)``: names sorted, booleans with their spelling."""
    from glassnet.data.profile.analysis import _keys, _label

    keys = [_label(v) if v is not None else None for v in _keys(np.asarray(values, dtype=object))]
    names = sorted({k for k in keys if k is not None})
    spelled = spelled or {}
    index = {k: i for i, k in enumerate(names)}
    y = np.array([index[k] for k in keys], dtype=np.int64)
    return y, names, [spelled.get(k, k) for k in names]
