"""glassnet.recipes: named, ready-to-train set-ups (data + model + loss + optimizer + schedule).

``glassnet train RECIPE`` runs one; ``get`` finds a built-in by name or reads a config file.

>>> from glassnet import recipes
>>> recipes.get("iris-mlp").dataset
'iris'
>>> recipes.get("nope")
Traceback (most recent call last):
...
glassnet.recipes.UnknownRecipeError: unknown recipe 'nope'; known recipes: breast-cancer-mlp, ...
"""

from __future__ import annotations

import os

from glassnet.recipes.builtin import BUILTIN, DEFAULT
from glassnet.recipes.config import load_config
from glassnet.recipes.recipe import Recipe
from glassnet.recipes.schema import TASKS, RecipeError, RecipeWarning

__all__ = [
    "Recipe",
    "TASKS",
    "BUILTIN",
    "DEFAULT",
    "get",
    "names",
    "load_config",
    "UnknownRecipeError",
    "RecipeError",
    "RecipeWarning",
]


class UnknownRecipeError(RecipeError):
    """A recipe name that is neither built in nor a config file; lists the known names."""


def names() -> list[str]:
    """The built-in recipe names, sorted."""
    return sorted(BUILTIN)


def get(name_or_path) -> Recipe:
    """A built-in recipe by name, or a recipe read from a ``.toml``/``.json`` file."""
    name = os.fspath(name_or_path)
    if name in BUILTIN:
        return BUILTIN[name]
    if name.endswith((".toml", ".json")):
        if not os.path.exists(name):
            raise UnknownRecipeError(f"recipe file {name} does not exist")
        return load_config(name)
    raise UnknownRecipeError(
        f"unknown recipe {name!r}; known recipes: {', '.join(names())} (or a .toml/.json "
        f"recipe file)"
    )
