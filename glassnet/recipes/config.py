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
from glassnet.recipes.schema import RecipeError, check_recipe
from glassnet.recipes.specs import show


def _read(path: str) -> dict:
    """The file's table; RecipeError naming the file and the position of a syntax error."""
    source = f"recipe file {path}"
    try:
        if path.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        else:
            tomllib = _toml()
            with open(path, "rb") as f:
                data = tomllib.load(f)
    except json.JSONDecodeError as exc:
        raise RecipeError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            source=source,
        ) from None
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{source} is not UTF-8 text ({exc})", source=source) from None
    except OSError as exc:
        raise RecipeError(
            f"could not read {source}: {exc.strerror or exc}", source=source
        ) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError says "(at line L, column C)"
        raise RecipeError(f"{source} is not valid TOML: {exc}", source=source) from None
    if not isinstance(data, dict):
        raise RecipeError(
            f"{source}: a recipe file holds a table of fields, got {type(data).__name__}",
            source=source,
        )
    return data


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    from glassnet._optional import require  # Python 3.10: tomli is the same parser

    return require("tomli", "cli")


def _split_named(value, what: str, source: str):
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        options = {k: v for k, v in value.items() if k != "name"}
        return value["name"], options
    raise RecipeError(
        f"{source}: {what} must be a name or a table with a 'name' key, got {show(value)}",
        field=what,
        source=source,
        value=value,
        allowed="a name or a table with a 'name' key",
    )


def load_config(path) -> Recipe:
    """Read a TOML or JSON recipe file into a Recipe (its name defaults to the file's stem).
    Every field passes the schema (glassnet.recipes.schema); errors name the file."""
    path = os.fspath(path)
    source = f"recipe file {path}"
    data = dict(_read(path))
    base_name = data.pop("base", None)
    if base_name is not None:
        if not isinstance(base_name, str) or base_name not in BUILTIN:
            raise RecipeError(
                f"{source}: unknown base recipe {show(base_name)}; known: "
                f"{', '.join(sorted(BUILTIN))}",
                field="base",
                source=source,
                value=base_name,
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
            name, options = _split_named(data.pop(key), key, source)
            fields[key] = name
            if options is not None:
                fields[f"{key}_options"] = options
            elif key == "model" and base_name is not None and name != fields.get("model"):
                fields["model_options"] = {}  # the base's options belong to its own model
    fields.update(data)
    fields.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    fields.setdefault("description", f"recipe from {os.path.basename(path)}")
    return Recipe(**check_recipe(fields, source))
