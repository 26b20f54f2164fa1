"""``glassnet playground``: train a small network live in the browser (see glassnet.playground)."""

# No ``from __future__ import annotations``: typer reads the annotations as objects.
from typing import Annotated

from glassnet._optional import require


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"--port must be a whole number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {value}")
    return value


def _open_later(url, delay_s=1.0):
    """Open ``url`` in the default browser a moment later, once uvicorn listens."""
    import threading
    import webbrowser

    threading.Timer(delay_s, webbrowser.open, args=(url,)).start()


def register(app):
    typer = require("typer", "cli")
    from glassnet import cli

    def playground_command(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[str, typer.Option(metavar="N", help="port to listen on")] = "8765",
        no_browser: Annotated[
            bool, typer.Option("--no-browser", help="do not open a browser tab")
        ] = False,
    ):
        """Start the playground web app: a network trained live by glassnet, in your browser."""
        with cli._errors():
            require("fastapi", "playground")
            require("uvicorn", "playground")
            from glassnet.playground import serve

            port_n = _port(port)
            url = f"http://{host}:{port_n}/"
            cli._echo(f"glassnet playground on {url} (Ctrl+C stops it)")
            if not no_browser:
                _open_later(url)
            serve(host=host, port=port_n)

    app.command("playground")(playground_command)
