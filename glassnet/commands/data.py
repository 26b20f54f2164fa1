"""``glassnet data FILE [--target COL]``: the data report of a table file or an image folder,
printed and written as Markdown with PNG pictures (glassnet.data.profile)."""

import os


def data_command(path, target=None, out=None, task=None, plots=True):
    """Print the data report of ``path`` and write it (Markdown + PNG) into ``out``."""
    from glassnet.cli import _echo, _errors

    with _errors():
        from glassnet.data.profile import data_report

        stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
        out = out or f"{stem}-data-report"
        report = data_report(path, target=target, out_dir=out, task=task, plots=plots)
        _echo(report.text)
        _echo()
        _echo(f"Report: {os.path.join(out, 'data_report.md')}")


def register(app):
    from typing import Annotated

    import typer

    def data(
        path: Annotated[
            str, typer.Argument(metavar="FILE", help="a CSV/TSV/Parquet file or an image folder")
        ],
        target: Annotated[
            str | None, typer.Option(metavar="COL", help="the column to predict")
        ] = None,
        task: Annotated[
            str | None,
            typer.Option(metavar="TASK", help="classification or regression (default: inferred)"),
        ] = None,
        out: Annotated[
            str | None,
            typer.Option(
                metavar="DIR", help="where to write the report (default FILE-data-report)"
            ),
        ] = None,
        plots: Annotated[
            bool, typer.Option("--plots/--no-plots", help="draw the PNG pictures")
        ] = True,
    ):
        """Report on a data file before training: types, missing values, duplicates, outliers,
        class balance, association with the target, leakage checks."""
        data_command(path, target, out, task, plots)

    app.command("data")(data)
