"""``glassnet evaluate``, ``predict`` and ``summary``: use and inspect a trained run folder or
a recipe's model (glassnet.recipes.runner).

The options are typer annotations read when the commands are registered; ``typer`` is
imported then (``register``), so importing this module costs nothing.
"""

from __future__ import annotations

from typing import Annotated

from glassnet.cli import _blas_threads, _echo, _errors, _option, _print_metrics

typer = None  # set by register(); the annotations below are resolved after that


def register(app):
    global typer
    import typer

    app.command("evaluate")(evaluate_command)
    app.command("predict")(predict_command)
    app.command("summary")(summary_command)


def evaluate_command(
    run_dir: Annotated[str, typer.Argument(help="a run directory written by 'glassnet train'")],
    data: Annotated[
        str | None,
        typer.Option(
            help="labelled data: a CSV (targets in the last column or --target) or an .npz with "
            "arrays x and y; default: the recipe's test split"
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="the CSV's target column (name or index)")
    ] = None,
    device: Annotated[str | None, typer.Option(metavar="DEVICE", help="cpu or cuda")] = None,
    threads: Annotated[
        str, typer.Option(metavar="N", help="BLAS threads (0: the library's default)")
    ] = "1",
):
    """Evaluate a trained run on its test split or on a labelled data file."""
    with _errors():
        from glassnet.recipes.inputs import read_labelled
        from glassnet.recipes.runner import evaluate, load_run

        device = _option("device", device)
        threads = _option("threads", threads)

        with _blas_threads(threads):
            run = load_run(run_dir, device=device)
            x = y = None
            if data is not None and run.preprocessing.source:
                from glassnet.recipes.owndata import read_labelled_file

                x, y = read_labelled_file(run, data)
            elif data is not None:
                x, y = read_labelled(data, target)
            metrics, confusion = evaluate(run, x, y)
        source = data or f"the test split of {run.recipe.dataset}"
        _print_metrics(metrics, f"{run.recipe.name} on {source}:")
        if confusion is not None:
            _echo("confusion matrix (rows: true class, columns: predicted):")
            for row in confusion:
                _echo("  " + " ".join(f"{int(v):4d}" for v in row))


def predict_command(
    run_dir: Annotated[str, typer.Argument(help="a run directory written by 'glassnet train'")],
    input: Annotated[
        str, typer.Argument(help="a CSV (one sample per row), a .npy/.npz array or an image file")
    ],
    top: Annotated[
        str, typer.Option(metavar="N", help="how many classes to list per sample")
    ] = "3",
    device: Annotated[str | None, typer.Option(metavar="DEVICE", help="cpu or cuda")] = None,
):
    """Predict with a trained run: one line per sample, with class probabilities."""
    with _errors():
        import numpy as np

        from glassnet.recipes.inputs import read_inputs
        from glassnet.recipes.runner import forward, load_run, predicted_labels

        top = _option("top", top)
        device = _option("device", device)

        run = load_run(run_dir, device=device)
        pre = run.preprocessing
        if pre.source and pre.source.get("kind") == "lm":
            from glassnet.recipes.owndata_text import generate

            _echo(generate(run, input))
            return
        if pre.source:
            from glassnet.recipes.owndata import read_input_file

            preds = forward(run, read_input_file(run, input))
        else:
            preds = forward(run, read_inputs(input, pre.input_shape))
        if not run.recipe.is_classifier:
            _echo("sample  prediction")
            for i, row in enumerate(preds):
                _echo(f"{i:<6}  " + "  ".join(f"{v:.6g}" for v in row))
            return
        names = pre.class_names or [str(i) for i in range(max(preds.shape[1], 2))]
        if run.recipe.task == "binary":
            preds = preds.reshape(-1, 1)
            preds = np.concatenate([1 - preds, preds], axis=1)
        labels = predicted_labels("classification", preds)
        _echo("sample  prediction  probability  top classes")
        for i, (label, probs) in enumerate(zip(labels, preds)):
            order = probs.argsort()[::-1][:top]
            tops = "  ".join(f"{names[k]}: {probs[k]:.3f}" for k in order)
            _echo(f"{i:<6}  {names[label]:<10}  {probs[label]:<11.3f}  {tops}")


def summary_command(
    recipe: Annotated[
        str, typer.Argument(help="a built-in recipe name or a recipe file")
    ] = "digits-cnn",
):
    """Show a recipe's model: its layers, output shapes and parameter counts."""
    with _errors():
        from glassnet import recipes
        from glassnet.recipes.prepare import prepare
        from glassnet.recipes.runner import build
        from glassnet.train import summary

        r = recipes.get(recipe)
        data = prepare(r)
        model = build(r, data.preprocessing, data.num_outputs)
        _echo(f"{r.name}: {r.model} for {r.dataset} ({r.task})")
        _echo(str(summary(model, (1, *data.preprocessing.input_shape))))
