"""The ``glassnet`` command: train a recipe, then evaluate, predict and inspect the result.

::

    glassnet recipes                         the built-in recipes
    glassnet train digits-cnn                train one (or a my.toml recipe file); writes a run dir
    glassnet evaluate runs/digits-cnn-...    test metrics of a trained run
    glassnet predict RUN_DIR digit.png       predictions for a CSV, .npy or image file
    glassnet summary digits-cnn              the model's layers, shapes and parameter counts

Errors print one line (``--debug`` shows the traceback). typer is imported only when the command
runs (``pip install 'glassnet[cli]'``), so importing this module costs nothing.

>>> main(["recipes"])  # doctest: +ELLIPSIS
name ...
digits-cnn ...
0
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Annotated

from glassnet._optional import require

typer = None  # the typer module, imported by _app() on first use
_state = {"debug": False}


# ---- helpers -----------------------------------------------------------------------------------
class _ReportedError(Exception):
    """An error already explained to the user; exit with ``code``."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _user_errors():
    """The error classes whose message is the whole story (no class name, no traceback hint),
    each with its exit code: 2 for a setting, recipe or run folder that cannot be used
    (nothing was trained), 3 for training that diverged."""
    from glassnet.data.tables import DataFileError
    from glassnet.recipes import RecipeError
    from glassnet.recipes.guards import EXIT_DIVERGED, RunFailedError
    from glassnet.report import RunFolderError

    return (
        (RecipeError, 2),
        (RunFolderError, 2),
        (DataFileError, 2),
        (RunFailedError, EXIT_DIVERGED),
    )


def _one_line(text):
    return " ".join(str(text).split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"glassnet: warning: {_one_line(message)}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _errors():
    """Show an exception as one line (or as a traceback with --debug) and exit non-zero;
    warnings are shown as one line each too."""
    try:
        from glassnet.recipes import RecipeWarning

        with warnings.catch_warnings():
            warnings.simplefilter("always", RecipeWarning)
            warnings.showwarning = _show_warning
            yield
    except (KeyboardInterrupt, SystemExit, BrokenPipeError):
        raise
    except Exception as exc:
        if _state["debug"] or type(exc).__name__ in ("Exit", "Abort"):
            raise
        message = _one_line(str(exc).strip() or type(exc).__name__)
        for cls, code in _user_errors():
            if isinstance(exc, cls):
                if code == 3:
                    kept = "; checkpoint/ keeps the last good state" if exc.checkpoint_kept else ""
                    message = (
                        f"training failed: {message} (run folder {exc.run_dir} marked failed; "
                        f"no model.safetensors written{kept})"
                    )
                print(f"glassnet: error: {message}", file=sys.stderr)
                raise _ReportedError(code) from None
        kind = "" if isinstance(exc, ImportError) else f"{type(exc).__name__}: "
        print(f"glassnet: error: {kind}{message}", file=sys.stderr)
        print("(run again with --debug to see the full traceback)", file=sys.stderr)
        raise _ReportedError(1) from None


def _option(field, text, flag=None):
    """A command-line option's text checked by the recipe schema (None when not given)."""
    from glassnet.recipes.schema import parse_option

    return None if text is None else parse_option(field, text, flag)


@contextlib.contextmanager
def _blas_threads(n: int):
    """Limit NumPy's BLAS to ``n`` threads (0: leave it alone). The recipes' small matrices run
    fastest on one thread; more threads mostly wait for each other."""
    if n <= 0:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # installed with scikit-learn; without it, BLAS keeps its default
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def _echo(text=""):
    print(text, flush=True)


def _percent_or_number(name, value):
    if name in ("accuracy", "f1", "precision", "recall") or name.endswith("_accuracy"):
        return f"{100 * value:.2f}%"
    return f"{value:.4f}"


def _print_metrics(metrics, header):
    _echo(header)
    for name, value in metrics.items():
        _echo(f"  {name:<12} {_percent_or_number(name, value)}")


# ---- commands ----------------------------------------------------------------------------------
def recipes_command():
    """List the built-in recipes."""
    from glassnet.recipes import BUILTIN, DEFAULT
    from glassnet.recipes.programs import PROGRAMS

    rows = [
        (r.name + (" *" if r.name == DEFAULT else ""), r.task, r.dataset, r.model, r.expected)
        for r in sorted(BUILTIN.values(), key=lambda r: r.name)
    ]
    head = ("name", "task", "data", "model", "expected result")
    rows += [
        (p.name, p.task, p.dataset, p.model, p.expected)
        for p in sorted(PROGRAMS.values(), key=lambda p: p.name)
    ]
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        _echo("  ".join(str(c).ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
    _echo(
        f"\n* the default. Train one with: glassnet train {DEFAULT}  (or a .toml/.json recipe file)"
    )


# ---- the app -----------------------------------------------------------------------------------
_app_cache = []


def as_torch_command(script: str, args: list[str] | None = None):
    """``glassnet as-torch SCRIPT.py [ARGS...]`` (``main`` hands the line to glassnet.as_torch
    before the option parser sees the script's own options; this entry is for ``--help``)."""
    from glassnet.as_torch import main as as_torch_main

    code = as_torch_main([script, *(args or [])])
    if code:
        raise _ReportedError(code)


def _register_commands(app):
    """Add the commands whose modules live in glassnet.commands."""
    import importlib

    from glassnet.commands import COMMANDS

    for name in COMMANDS:
        importlib.import_module(f"glassnet.commands.{name}").register(app)


def _app():
    """Build the typer app (imports typer; the error names the extra to install)."""
    global typer
    if _app_cache:
        return _app_cache[0]
    typer = require("typer", "cli")
    app = typer.Typer(
        name="glassnet",
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        help="glassnet: train, evaluate and use small neural networks.",
    )

    @app.callback()
    def _options(
        debug: Annotated[
            bool, typer.Option("--debug", help="show full tracebacks on errors")
        ] = False,
    ):
        _state["debug"] = _state["debug"] or debug

    app.command("recipes")(recipes_command)
    _register_commands(app)
    app.command("as-torch", help="Run an unmodified PyTorch script with torch meaning glassnet.")(
        as_torch_command
    )
    _app_cache.append(app)
    return app


def console_main() -> None:
    """The ``glassnet`` console script and ``python -m glassnet``: a process of its own, so it
    opts in to keeping freed memory for reuse (glassnet.backend.keep_freed_memory) unless
    ``GLASSNET_KEEP_FREED_MEMORY=0``, then runs ``main``."""
    if os.environ.get("GLASSNET_KEEP_FREED_MEMORY", "1") != "0":
        from glassnet.backend import keep_freed_memory

        keep_freed_memory()
    sys.exit(main())


def main(argv=None) -> int:
    """Run the command line; returns the exit code (the console script exits with it).
    ``--debug`` may appear anywhere on the line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["as-torch"]:  # the script's own arguments pass through untouched
        from glassnet.as_torch import main as as_torch_main

        return as_torch_main(args[1:])
    _state["debug"] = "--debug" in args
    args = [a for a in args if a != "--debug"]
    _state["argv"] = args + (["--debug"] if _state["debug"] else [])  # `train --nproc` reruns it
    try:
        app = _app()
    except ImportError as exc:
        if _state["debug"]:
            raise
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 1
    try:
        app(args=args, prog_name="glassnet", standalone_mode=False)
    except _ReportedError as failure:
        return failure.code
    except BrokenPipeError:  # the output went to `head` or a closed pager: not an error
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        # click's own usage errors (unknown option, missing argument) when not standalone.
        if type(exc).__module__.split(".")[0] in ("click", "typer") and hasattr(exc, "show"):
            exc.show()
            return getattr(exc, "exit_code", 2)
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    # `python -m glassnet.cli` runs this file as __main__, a second copy of the module whose
    # _ReportedError the commands (which import glassnet.cli) do not raise: run the real one.
    from glassnet.cli import console_main as _console_main

    _console_main()
