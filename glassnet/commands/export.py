"""``glassnet export RUN_DIR --format onnx``: a trained run's model as an ONNX file.

The capability lives in ``glassnet.onnx`` (``export_run``); this module is the command's wiring.
"""

# No ``from __future__ import annotations``: typer reads the annotations as objects.
from typing import Annotated

from glassnet._optional import require

FORMATS = ("onnx",)


def register(app):
    typer = require("typer", "cli")
    from glassnet import cli

    def export_command(
        run_dir: Annotated[str, typer.Argument(help="a run directory written by 'glassnet train'")],
        format: Annotated[str, typer.Option("--format", help="the file format: onnx")] = "onnx",
        out: Annotated[
            str | None,
            typer.Option(metavar="PATH", help="where to write (default RUN_DIR/model.onnx)"),
        ] = None,
        opset: Annotated[
            str | None, typer.Option(metavar="N", help="ONNX opset version (default 17)")
        ] = None,
    ):
        """Export a trained run's model (ONNX, dynamic batch; checked with onnx.checker)."""
        with cli._errors():
            if format.lower() not in FORMATS:
                raise ValueError(f"unknown format {format!r}; supported: {', '.join(FORMATS)}")
            try:
                opset_version = None if opset is None else int(opset)
            except ValueError:
                raise ValueError(f"--opset must be a whole number, got {opset!r}") from None
            from glassnet.onnx.run_export import export_run

            path = export_run(run_dir, out, opset_version)
            cli._echo(f"wrote {path} (input: a batch of preprocessed samples; see docs/deploy.md)")

    app.command("export")(export_command)
