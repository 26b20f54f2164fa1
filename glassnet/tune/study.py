"""Running an Optuna study and writing its report.

>>> sampler = make_sampler("grid", {"hidden": __import__("glassnet.tune.space",
...     fromlist=["Param"]).Param("hidden", "choice", choices=[8, 16])})
>>> type(sampler).__name__
'GridSampler'
"""

from __future__ import annotations

import os

from glassnet._optional import require


def make_sampler(name, space, seed=0, grid_points=3):
    """'tpe', 'random' or 'grid' (the choices, or ``grid_points`` values per range)."""
    optuna = require("optuna", "tune")
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(
            {p.name: p.grid(grid_points) for p in space.values()}, seed=seed
        )
    raise ValueError(f"tune: sampler must be 'tpe', 'random' or 'grid', got {name!r}")


def run_study(
    objective,
    space,
    trials,
    *,
    sampler="tpe",
    seed=0,
    storage=None,
    study_name="glassnet",
    prune=True,
    direction="minimize",
):
    """Create (or load, when ``storage`` already holds it) the study and run trials until it
    has ``trials`` finished ones (complete or pruned), so a crashed study resumes where it
    stopped. ``objective(trial, params)`` returns the value to minimise; it may raise
    ``optuna.TrialPruned``. Returns the study."""
    optuna = require("optuna", "tune")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
        if prune
        else (optuna.pruners.NopPruner())
    )
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        sampler=make_sampler(sampler, space, seed),
        pruner=pruner,
        direction=direction,
        load_if_exists=True,
    )
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done = len(study.get_trials(deepcopy=False, states=states))
    remaining = max(0, trials - done)

    def wrapped(trial):
        params = {name: p.suggest(trial) for name, p in space.items()}
        return objective(trial, params)

    if remaining:
        study.optimize(wrapped, n_trials=remaining)
    return study


def write_report(study, out_dir, title="Tuning"):
    """``report.md`` (the trials table, the best trial), ``history.png`` (each trial's value
    and the best so far) and ``importance.png`` (Optuna's parameter importances) in
    ``out_dir``. Returns the report's text."""
    import numpy as np

    from glassnet.report import files

    optuna = require("optuna", "tune")
    figure = require("matplotlib.figure", "viz")
    os.makedirs(out_dir, exist_ok=True)
    trials = study.get_trials(deepcopy=False)
    names = sorted({k for t in trials for k in t.params})
    lines = [
        f"# {title}",
        "",
        f"{len(trials)} trials; direction: {study.direction.name.lower()}",
        "",
    ]
    lines.append("| trial | state | value | " + " | ".join(names) + " |")
    lines.append("|---" * (3 + len(names)) + "|")
    for t in trials:
        value = "" if t.value is None else f"{t.value:.5g}"
        cells = [
            f"{t.params[k]:.4g}" if isinstance(t.params.get(k), float) else str(t.params.get(k, ""))
            for k in names
        ]
        lines.append(
            f"| {t.number} | {t.state.name.lower()} | {value} | " + " | ".join(cells) + " |"
        )
    complete = [t for t in trials if t.value is not None]
    if complete:
        best = study.best_trial
        lines += ["", f"Best: trial {best.number}, value {best.value:.5g}, params {best.params}"]
        values = np.array([t.value for t in complete])
        fig = figure.Figure(figsize=(6, 4))
        ax = fig.add_subplot(1, 1, 1)
        ax.plot([t.number for t in complete], values, "o", label="trial")
        ax.plot(
            [t.number for t in complete],
            np.minimum.accumulate(values)
            if study.direction.name == "MINIMIZE"
            else np.maximum.accumulate(values),
            "-",
            label="best so far",
        )
        ax.set_xlabel("trial")
        ax.set_ylabel("objective")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "history.png"), dpi=100)
        lines += ["", "![optimisation history](history.png)"]
        if len(complete) >= 2 and names:
            try:
                imp = optuna.importance.get_param_importances(study)
            except Exception as exc:  # too few distinct trials for the importance model
                lines += ["", f"(parameter importances not available: {exc})"]
            else:
                fig = figure.Figure(figsize=(6, 1 + 0.4 * len(imp)))
                ax = fig.add_subplot(1, 1, 1)
                ax.barh(list(imp)[::-1], list(imp.values())[::-1])
                ax.set_xlabel("importance")
                fig.tight_layout()
                fig.savefig(os.path.join(out_dir, "importance.png"), dpi=100)
                lines += ["", "![parameter importances](importance.png)"]
    text = "\n".join(lines) + "\n"
    files.write_text(os.path.join(out_dir, "report.md"), text)
    return text
