"""``glassnet doctor RECIPE``: train a copy of a recipe's set-up for a few steps with the
training doctor watching every step, and print what it found (see docs/doctor.md).

``glassnet train`` runs the doctor too (cheaply, on sampled steps) unless ``--no-doctor``.
"""

# No `from __future__ import annotations`: typer reads these annotations at run time, and
# typer is imported inside register().
from typing import Annotated


def doctor_report(recipe_name, steps=100, lr=None, out=None):
    """The Report of ``glassnet.doctor.check`` on a recipe's data, model, loss and optimizer
    (with ``lr`` instead of the recipe's when given); written to ``out`` when given."""
    import glassnet
    from glassnet import recipes
    from glassnet.doctor import check
    from glassnet.recipes.builders import build_loss, build_optimizer
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import build

    r = recipes.get(recipe_name)
    if lr is not None:
        r = r.replace(lr=lr)
    glassnet.manual_seed(r.seed)
    data = prepare(r, warn=False)
    model = build(r, data.preprocessing, data.num_outputs)
    opt = build_optimizer(r.optimizer, model.parameters(), r.lr, r.weight_decay)
    report = check(
        model,
        build_loss(r.resolved_loss()),
        data.train,
        opt,
        steps=steps,
        val=data.val,
        grad_clip=r.grad_clip,
        seed=r.seed,
    )
    if out is not None:
        import os

        from glassnet.report import files

        os.makedirs(out, exist_ok=True)
        files.write_json(os.path.join(out, "doctor.json"), report.to_dict())
        files.write_text(os.path.join(out, "report.md"), report.markdown())
    return report


def register(app):
    import typer

    from glassnet.cli import _echo, _errors, _option

    @app.command("doctor")
    def doctor_command(
        recipe: Annotated[
            str, typer.Argument(help="a built-in recipe name or a .toml/.json recipe file")
        ],
        steps: Annotated[str, typer.Option(metavar="N", help="steps to watch")] = "100",
        lr: Annotated[str | None, typer.Option(metavar="X", help="learning rate")] = None,
        out: Annotated[
            str | None, typer.Option(metavar="DIR", help="also write report.md and doctor.json")
        ] = None,
    ):
        """Check a recipe's training set-up: a few watched steps, then the problems found."""
        with _errors():
            n = _option("epochs", steps, "--steps")
            report = doctor_report(recipe, n, _option("lr", lr), out)
            _echo(str(report))
            if out:
                _echo(f"Report: {out}/report.md")
