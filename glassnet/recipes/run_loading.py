"""A run directory read back: ``load_run`` rebuilds the trained model and its preprocessing,
``forward`` predicts in target units, ``evaluate`` scores it. Also ``build``, the recipe's
model for some data, which training uses too. Kept apart from ``glassnet.recipes.runner``,
which trains and writes the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

import glassnet
from glassnet.grad_mode import no_grad
from glassnet.recipes.builders import build_loss, build_model
from glassnet.recipes.prepare import Preprocessing, prepare
from glassnet.recipes.recipe import Recipe
from glassnet.recipes.run_scoring import score

__all__ = []


@dataclass
class LoadedRun:
    """A run directory read back: its recipe, preprocessing and trained model (eval mode)."""

    run_dir: str
    recipe: Recipe
    preprocessing: Preprocessing
    model: glassnet.nn.Module
    config: dict


def build(recipe: Recipe, preprocessing: Preprocessing, num_outputs: int):
    """The recipe's model for data described by ``preprocessing``."""
    options = {**recipe.model_options, **preprocessing.model_options()}
    return build_model(recipe.model, preprocessing.input_shape, num_outputs, options)


def load_run(run_dir, device=None) -> LoadedRun:
    """Rebuild a run's model (with its trained weights) and preprocessing from ``run_dir``;
    a run that did not finish (or failed) is refused."""
    from glassnet import report

    run_dir = os.fspath(run_dir)
    config = report.read_config(run_dir)
    path = os.path.join(run_dir, report.CONFIG)
    state = report.folder_state(run_dir)
    if state != "finished":
        status = report.read_status(run_dir) or {}
        why = f": {status['message']}" if status.get("message") else ""
        fix = (
            "change the recipe and train it again with --overwrite"
            if state == "failed"
            else f"finish it with: glassnet train --resume --out {run_dir}"
        )
        kind = "a failed" if state == "failed" else "an unfinished"
        raise report.RunFolderError(f"{run_dir} holds {kind} run{why}; it has no model: {fix}")
    recipe = Recipe.from_dict(_entry(config, "recipe", dict, path), source=path)
    try:
        pre = Preprocessing.from_state_dict(_entry(config, "preprocessing", dict, path))
    except TypeError as exc:
        raise report.RunFolderError(f"{path}: damaged preprocessing entry ({exc})") from None
    num_outputs = _entry(config, "num_outputs", int, path)
    model = build(recipe, pre, num_outputs)
    model.load_state_dict(glassnet.load(os.path.join(run_dir, report.MODEL)))
    if device is not None:
        model.to(device)
    model.eval()
    return LoadedRun(run_dir, recipe, pre, model, config)


def _entry(config, key, kind, path):
    from glassnet import report

    value = config.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 1):
        raise report.RunFolderError(
            f"{path} is incomplete or from another version ({key!r} is {value!r}); train the "
            "run again"
        )
    return value


def forward(run: LoadedRun, x, y=None, batch_size: int = 256):
    """Predictions in target units (probabilities for classifiers) for raw inputs ``x``; with
    targets ``y`` also the recipe's loss on them (in the units training used)."""
    pre, model = run.preprocessing, run.model
    inputs = pre.inputs(x)
    targets = None if y is None else pre.targets(y)
    loss_fn = None if y is None else build_loss(run.recipe.resolved_loss())
    device = next(iter(model.parameters())).device
    preds, total = [], 0.0
    with no_grad():
        for i in range(0, len(inputs), batch_size):
            out = model(glassnet.from_numpy(inputs[i : i + batch_size]).to(device))
            preds.append(pre.outputs(out))
            if loss_fn is not None:
                t = glassnet.from_numpy(targets[i : i + batch_size]).to(device)
                total += loss_fn(out, t).item() * len(t)
    if not preds:
        raise ValueError("glassnet: the data has no samples")
    preds = np.concatenate(preds)
    return preds if y is None else (preds, total / len(inputs))


def evaluate(run: LoadedRun, x=None, y=None):
    """``(metrics, confusion)`` of a loaded run on ``(x, y)`` (raw arrays), or on its recipe's
    test split when they are not given (the same seeded split that training held out)."""
    if x is None:
        data = prepare(run.recipe, warn=False)
        x, y = data.x_test, data.y_test
    preds, loss = forward(run, x, y)
    return score(run.recipe, run.preprocessing, preds, y, loss)
