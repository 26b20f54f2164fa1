"""``glassnet tune RECIPE --trials 30 --space lr=1e-4..1e-1:log,hidden=32|64|128``: search a
recipe's hyperparameters with Optuna (glassnet.tune), write the trials into a resumable SQLite
study in the run folder, the best config as a recipe file, retrain it and report.

``tune_recipe`` is the same from Python.
"""

# No `from __future__ import annotations`: typer reads the annotations at run time.
import json
import math
import os
from typing import Annotated

_RECIPE_FIELDS = ("lr", "weight_decay", "batch_size", "epochs", "optimizer", "grad_clip")


def apply_params(recipe, params):
    """The recipe with the trial's values: recipe fields (lr, weight_decay, batch_size,
    epochs, optimizer, grad_clip) directly; 'hidden' sets every hidden layer's width (keeping
    the number of layers); anything else goes into model_options."""
    fields = {k: v for k, v in params.items() if k in _RECIPE_FIELDS}
    options = dict(recipe.model_options)
    for k, v in params.items():
        if k in _RECIPE_FIELDS:
            continue
        if k == "hidden":
            depth = len(options.get("hidden", [0])) or 1
            options["hidden"] = [int(v)] * depth
        else:
            options[k] = v
    return recipe.replace(model_options=options, **fields)


def validation_loss(recipe, trial=None):
    """Train ``recipe`` (seeded) and return its last validation loss; with an Optuna
    ``trial``, report each epoch to it and stop (raising TrialPruned) when it is pruned."""
    import glassnet
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import _trainer, build
    from glassnet.train import TrainingDivergedError
    from glassnet.tune import PruningCallback

    glassnet.manual_seed(recipe.seed)
    data = prepare(recipe, warn=False)
    model = build(recipe, data.preprocessing, data.num_outputs)
    trainer = _trainer(recipe, model, data, None, False)
    pruning = None
    if trial is not None:
        pruning = PruningCallback(trial)
        trainer.callbacks.callbacks.append(pruning)  # an epoch-end hook: no batch lists to update
    try:
        history = trainer.fit(data.train, val=data.val, epochs=recipe.epochs)
    except TrainingDivergedError:
        return float("nan")  # Optuna records the trial as failed
    if pruning is not None and pruning.pruned:
        import optuna

        raise optuna.TrialPruned()
    return float(history.history["val_loss"][-1])


def tune_recipe(
    name,
    space,
    trials=30,
    *,
    sampler="tpe",
    seed=0,
    out=None,
    storage=None,
    epochs=None,
    prune=True,
    retrain=True,
):
    """Tune recipe ``name`` over ``space`` (text or a parse_space dict); returns a dict with
    the study, best params and value, the default recipe's validation loss, the best recipe
    and its file, and the retrained run's test metrics."""
    from glassnet import recipes
    from glassnet.recipes.runner import train
    from glassnet.report import files
    from glassnet.tune import parse_space, run_study, write_report

    base = recipes.get(name)
    if epochs is not None:
        base = base.replace(epochs=epochs)
    space = parse_space(space) if isinstance(space, str) else space
    out = out or os.path.join("runs", f"{base.name}-tune")
    os.makedirs(out, exist_ok=True)
    storage = storage or f"sqlite:///{os.path.abspath(os.path.join(out, 'study.db'))}"

    def objective(trial, params):
        return validation_loss(apply_params(base, params), trial)

    study = run_study(
        objective,
        space,
        trials,
        sampler=sampler,
        seed=seed,
        storage=storage,
        study_name=base.name,
        prune=prune,
    )
    default = validation_loss(base)
    best_recipe = apply_params(base, study.best_params).replace(
        name=f"{base.name}-tuned", description=f"{base.description} (tuned: {study.best_params})"
    )
    recipe_file = os.path.join(out, "best_recipe.json")
    files.write_json(recipe_file, best_recipe.to_dict())
    text = write_report(study, out, title=f"Tuning {base.name}")
    extra = (
        f"\nThe recipe's defaults give validation loss {default:.5g}; the best trial "
        f"{study.best_value:.5g}.\nBest config: `{os.path.basename(recipe_file)}`.\n"
    )
    metrics = None
    if retrain:
        run = train(best_recipe, os.path.join(out, "best"), progress=False, overwrite=True)
        metrics = run.metrics
        extra += (
            "\nRetrained (test split): "
            + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
            + "\n"
        )
    files.write_text(os.path.join(out, "report.md"), text + extra)
    return {
        "study": study,
        "best_params": study.best_params,
        "best_value": study.best_value,
        "default_value": default,
        "best_recipe": best_recipe,
        "recipe_file": recipe_file,
        "metrics": metrics,
        "out": out,
    }


def register(app):
    import typer

    from glassnet.cli import _echo, _errors

    @app.command("tune")
    def tune_command(
        recipe: Annotated[str, typer.Argument(help="a built-in recipe name or a recipe file")],
        space: Annotated[
            str,
            typer.Option(help="e.g. lr=1e-4..1e-1:log,hidden=32|64|128,dropout=0..0.5"),
        ] = "lr=1e-4..1e-1:log",
        trials: Annotated[int, typer.Option(help="finished trials the study should have")] = 30,
        sampler: Annotated[str, typer.Option(help="tpe, random or grid")] = "tpe",
        seed: Annotated[int, typer.Option(help="the sampler's seed")] = 0,
        epochs: Annotated[int | None, typer.Option(help="epochs per trial")] = None,
        storage: Annotated[
            str | None, typer.Option(help="an Optuna storage URL (default: SQLite in --out)")
        ] = None,
        out: Annotated[str | None, typer.Option(help="the tuning folder")] = None,
        no_prune: Annotated[bool, typer.Option("--no-prune", help="no median pruning")] = False,
    ):
        """Search a recipe's hyperparameters (Optuna), then retrain the best config."""
        with _errors():
            r = tune_recipe(
                recipe,
                space,
                trials,
                sampler=sampler,
                seed=seed,
                out=out,
                storage=storage,
                epochs=epochs,
                prune=not no_prune,
            )
            _echo(
                f"best validation loss {r['best_value']:.5g} (defaults: "
                f"{r['default_value']:.5g}) with {json.dumps(r['best_params'])}"
            )
            if r["metrics"]:
                _echo(
                    "retrained: "
                    + ", ".join(f"{k} {v:.4g}" for k, v in r["metrics"].items() if math.isfinite(v))
                )
            _echo(f"best recipe: {r['recipe_file']}")
            _echo(f"Report: {os.path.join(r['out'], 'report.md')}")
