"""``glassnet serve RUN_DIR``: answer predictions over HTTP (see glassnet.serve)."""

# No ``from __future__ import annotations``: typer reads the annotations as objects.
from typing import Annotated

from glassnet._optional import require


def _number(name, text, kind, low):
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"--{name} must be a number, got {text!r}") from None
    if not value >= low:
        raise ValueError(f"--{name} must be at least {low}, got {text}")
    return value


def register(app):
    typer = require("typer", "cli")
    from glassnet import cli

    def serve_command(
        run_dir: Annotated[str, typer.Argument(help="a run directory written by 'glassnet train'")],
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[str, typer.Option(metavar="N", help="port to listen on")] = "8000",
        workers: Annotated[
            str, typer.Option(metavar="N", help="worker processes (each loads the model once)")
        ] = "1",
        max_batch: Annotated[
            str, typer.Option(metavar="N", help="most samples per forward pass (1: no batching)")
        ] = "64",
        max_wait_ms: Annotated[
            str, typer.Option(metavar="X", help="how long a batch waits for more requests")
        ] = "2",
        max_body_mb: Annotated[
            str, typer.Option(metavar="X", help="largest request body in MB (larger: 413)")
        ] = "4",
    ):
        """Serve a trained run: POST /predict, GET /health, GET /metadata, docs at /docs."""
        with cli._errors():
            from glassnet.recipes.runner import load_run
            from glassnet.serve import serve

            settings = {
                "port": _number("port", port, int, 0),
                "workers": _number("workers", workers, int, 1),
                "max_batch": _number("max-batch", max_batch, int, 1),
                "max_wait_ms": _number("max-wait-ms", max_wait_ms, float, 0.0),
                "max_body_mb": _number("max-body-mb", max_body_mb, float, 0.0),
            }
            load_run(run_dir)  # a folder that holds no finished run fails here, in one line
            cli._echo(f"serving {run_dir} on http://{host}:{settings['port']} (docs at /docs)")
            serve(run_dir, host=host, log_level="warning", **settings)

    app.command("serve")(serve_command)
