"""Recipes from config files: ``glassnet train my.toml`` (or ``my.json``).

The file's top-level keys are Recipe fields. ``base = "iris-mlp"`` starts from a built-in recipe
and changes only what the file says. ``dataset`` and ``model`` may be tables whose ``name`` picks
the data set or model and whose other keys are its options::

    base = "iris-mlp"
    epochs = 80
    lr = 0.005

    [model]
    name = "mlp"
    hidden = [64, 64]

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "my.json")
>>> with open(path, "w") as f:
...     json.dump({"base": "iris-mlp", "epochs": 5, "model": {"name": "mlp", "hidden": [8]}}, f)
>>> r = load_config(path)
>>> r.name, r.dataset, r.epochs, r.model_options
('my', 'iris', 5, {'hidden': [8]})
"""

from __future__ import annotations

import json
import os
import sys

from glassnet.recipes.builtin import BUILTIN
from glassnet.recipes.recipe import Recipe


def _read(path: str) -> dict:
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10 has no tomllib; tomli is the same parser
        from glassnet._optional import require

        tomllib = require("tomli", "cli")
    with open(path, "rb") as f:
        return tomllib.load(f)


def _split_named(value, what: str, path: str):
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        options = {k: v for k, v in value.items() if k != "name"}
        return value["name"], options
    raise ValueError(f"{path}: '{what}' must be a name or a table with a 'name' key, got {value!r}")


def load_config(path) -> Recipe:
    """Read a TOML or JSON recipe file into a Recipe (its name defaults to the file's stem)."""
    path = os.fspath(path)
    try:
        data = dict(_read(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not read recipe file {path}: {exc}") from None
    base_name = data.pop("base", None)
    if base_name is not None:
        if base_name not in BUILTIN:
            raise ValueError(
                f"{path}: unknown base recipe {base_name!r}; known: {', '.join(sorted(BUILTIN))}"
            )
        fields = BUILTIN[base_name].to_dict()
        stem = os.path.splitext(os.path.basename(path))[0]
        fields.update(
            name=stem,
            expected="",
            description=f"{fields['description']} (changed by {os.path.basename(path)})",
        )
    else:
        fields = {}
    for key in ("dataset", "model"):
        if key in data:
            name, options = _split_named(data.pop(key), key, path)
            fields[key] = name
            if options is not None:
                fields[f"{key}_options"] = options
    fields.update(data)
    fields.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    fields.setdefault("description", f"recipe from {os.path.basename(path)}")
    missing = [k for k in ("dataset", "model") if k not in fields]
    if missing:
        raise ValueError(
            f"{path}: missing {' and '.join(missing)} (or give base = "
            f'"<recipe>" to start from a built-in recipe)'
        )
    try:
        return Recipe.from_dict(fields)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
