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
import time
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


def _default_out(recipe_name):
    return os.path.join("runs", f"{recipe_name}-{time.strftime('%Y%m%d-%H%M%S')}")


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


def train_command(
    recipe: Annotated[
        str | None,
        typer.Argument(
            metavar="RECIPE",
            help="a built-in recipe name (see 'glassnet recipes') or a .toml/.json recipe file; "
            "default digits-cnn, or with --resume the recipe of the run in --out",
        ),
    ] = None,
    epochs: Annotated[str | None, typer.Option(metavar="N", help="number of epochs")] = None,
    lr: Annotated[
        str | None, typer.Option(metavar="X", help="learning rate, or 'auto' (glassnet lr_find)")
    ] = None,
    batch_size: Annotated[str | None, typer.Option(metavar="N", help="batch size")] = None,
    optimizer: Annotated[
        str | None, typer.Option(metavar="NAME", help="sgd, adam, adamw, rmsprop, ...")
    ] = None,
    seed: Annotated[
        str | None, typer.Option(metavar="N", help="random seed (weights, split, shuffling)")
    ] = None,
    device: Annotated[str | None, typer.Option(metavar="DEVICE", help="cpu or cuda")] = None,
    out: Annotated[
        str | None, typer.Option(metavar="DIR", help="run directory (default runs/RECIPE-TIME)")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace the run already in --out")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="continue the unfinished run in --out from its checkpoint"),
    ] = False,
    threads: Annotated[
        str, typer.Option(metavar="N", help="BLAS threads (0: the library's default)")
    ] = "1",
    data: Annotated[
        str | None,
        typer.Option(
            metavar="FILE_OR_FOLDER",
            help="train on your own data: a CSV/TSV/Parquet table, a folder of class folders "
            "of images, a CSV of texts and labels, or a plain .txt file (a language model)",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(metavar="COL", help="with --data: the column to predict (default: the last)"),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            metavar="TASK", help="with --data: classification or regression (default: inferred)"
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="with --data: the model (tables: mlp, tabular_embed; images: small_cnn, "
            "resnet18, mlp; text: text_lstm, text_transformer; default: chosen by the data)",
        ),
    ] = None,
    no_doctor: Annotated[
        bool, typer.Option("--no-doctor", help="do not watch the run with the training doctor")
    ] = False,
    nproc: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="data-parallel training on N local processes (MPI); batch_size is per process",
        ),
    ] = 1,
    compile_: Annotated[
        bool,
        typer.Option(
            "--compile",
            help="replay each training batch from a plan recorded once (glassnet.compile); "
            "same weights as without it",
        ),
    ] = False,
):
    """Train a recipe and write a run directory with the model, metrics, curves and a report."""
    if nproc > 1 and _nproc_rank(nproc) is None:
        from glassnet.commands.run import relaunch_cli
        from glassnet.recipes.programs import PROGRAMS

        if recipe in PROGRAMS and data is None:
            print(
                f"glassnet: error: --nproc trains one-Trainer recipes; {recipe} is a program "
                "recipe of its own (train it without --nproc)",
                file=sys.stderr,
            )
            raise _ReportedError(2)

        argv = _state["argv"]
        if "--out" not in argv and not any(a.startswith("--out=") for a in argv):
            # every rank must write into one folder, so the default one is chosen here
            from glassnet.recipes import DEFAULT

            name = "data" if data else os.path.splitext(os.path.basename(recipe or DEFAULT))[0]
            argv = [*argv, "--out", _default_out(name)]
        relaunch_cli(argv, nproc)
        return
    with _errors():
        from glassnet.recipes.programs import PROGRAMS
        from glassnet.recipes.runner import recipe_to_train, train

        if recipe in PROGRAMS and data is None:
            if compile_:
                # a program runs its own loop (two optimizers, sampling...), not one Trainer
                raise ValueError(
                    f"--compile compiles one-Trainer recipes; {recipe} is a program recipe "
                    "with a training loop of its own: train it without --compile"
                )
            _train_program(recipe, out, epochs, seed, overwrite, resume, threads)
            return
        if data is not None:
            r, source = _recipe_for_data(recipe, data, target, task, model)
        else:
            for flag, value in (("--target", target), ("--task", task), ("--model", model)):
                if value is not None:
                    raise ValueError(f"{flag} goes with --data FILE (your own data)")
            r, source = recipe_to_train(recipe, out, resume)
        changes = {
            "epochs": _option("epochs", epochs),
            "lr": None if lr == "auto" else _option("lr", lr),
            "batch_size": _option("batch_size", batch_size),
            "optimizer": _option("optimizer", optimizer),
            "seed": _option("seed", seed),
        }
        device = _option("device", device)
        threads = _option("threads", threads)
        r = r.replace(**changes)
        if lr == "auto":
            r = r.replace(lr=_auto_lr(r))
        out = out or _default_out(r.name)
        lead = _nproc_rank(nproc) in (None, 0)

        def announce(action):
            if action == "finished":
                _echo(f"{out} holds a finished run of {r.name}: nothing left to train.")
                return
            verb = "Resuming" if action == "resume" else "Training"
            _echo(f"{verb} {r.name}: {r.description}")
            _echo(
                f"  data {r.dataset}, model {r.model}, {r.epochs} epochs, batch {r.batch_size}, "
                f"{r.optimizer} lr {r.lr:g}, seed {r.seed}"
            )

        with _blas_threads(threads):
            run = train(
                r,
                out,
                device=device,
                progress=True,
                overwrite=overwrite,
                resume=resume,
                source=source,
                on_start=announce,
                doctor=not no_doctor,
                compile=compile_,
            )
        if not lead:
            return
        _echo()
        took = "" if run.state == "already finished" else f" (trained in {run.wall_time:.1f} s)"
        _print_metrics(run.metrics, f"Test results{took}:")
        for note in run.notes:
            _echo(f"note: {note}")
        _echo(f"Report: {os.path.join(out, 'report.md')}")


def _nproc_rank(nproc):
    """Inside a rank of ``glassnet train --nproc N``: join the process group and return this
    rank; None in a plain process."""
    from glassnet.commands.run import RANK_ENV

    if nproc <= 1 or os.environ.get(RANK_ENV) != str(nproc):
        return None
    from glassnet import distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("mpi")
        if dist.get_rank() != 0:  # progress and results are printed by rank 0 alone
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (open for the whole process)
    if dist.get_world_size() != nproc:
        raise RuntimeError(
            f"glassnet train --nproc {nproc}: this job has {dist.get_world_size()} processes"
        )
    return dist.get_rank()


def _recipe_for_data(recipe, data, target, task, model):
    """``(recipe, source)`` for ``glassnet train --data``: kind, task and model from the data
    (each overridable), shown before training."""
    from glassnet.recipes.owndata import recipe_for_data

    if recipe is not None:
        raise ValueError(
            f"give either a recipe ({recipe}) or --data {data}, not both; with --data the "
            "recipe is made from the file (and written into the run folder as recipe.json)"
        )
    if task is not None and task not in ("classification", "regression"):
        raise ValueError(f"--task must be classification or regression, got {task!r}")
    r = recipe_for_data(data, target=target, task=task, model=model)
    opts = r.dataset_options
    chosen = "given" if task else "inferred"
    what = f"target {opts['target']!r}, " if opts.get("target") else ""
    _echo(f"Data {data}: {opts['kind']}; {what}task {r.task} ({chosen}); model {r.model}")
    return r, f"data file {data}"


def _auto_lr(r):
    """``--lr auto``: the valley suggestion of glassnet.train.lr_find on the recipe's set-up."""
    import glassnet
    from glassnet.recipes.builders import build_loss, build_optimizer
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import build
    from glassnet.train import lr_find

    glassnet.manual_seed(r.seed)
    data = prepare(r, warn=False)
    model = build(r, data.preprocessing, data.num_outputs)
    opt = build_optimizer(r.optimizer, model.parameters(), r.lr, r.weight_decay)
    found = lr_find(model, build_loss(r.resolved_loss()), opt, data.train)
    lr = float(f"{found.suggestion:.2g}")
    _echo(f"lr_find: steepest {found.steepest:.2g}, valley {found.valley:.2g}; using lr {lr:g}")
    return lr


def _train_program(name, out, epochs, seed, overwrite, resume, threads):
    """``glassnet train NAME`` for a program recipe (glassnet.recipes.programs)."""
    from glassnet.recipes.programs import PROGRAMS, run_program

    if resume:
        raise ValueError(f"{name} is a program recipe: it cannot be resumed; train it again")
    program = PROGRAMS[name]
    out = out or _default_out(name)
    epochs = _option("epochs", epochs)
    seed = _option("seed", seed)
    _echo(f"Training {name}: {program.description}")
    start = time.perf_counter()
    with _blas_threads(_option("threads", threads)):
        metrics = run_program(
            name,
            out,
            epochs=epochs,
            seed=0 if seed is None else seed,
            progress=True,
            overwrite=overwrite,
        )
    _echo()
    _print_metrics(metrics, f"Test results (trained in {time.perf_counter() - start:.1f} s):")
    _echo(f"Report: {os.path.join(out, 'report.md')}")


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
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    app.command("predict")(predict_command)
    app.command("summary")(summary_command)
    app.command("as-torch", help="Run an unmodified PyTorch script with torch meaning glassnet.")(
        as_torch_command
    )
    _register_commands(app)
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
