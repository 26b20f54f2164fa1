"""``glassnet train RECIPE``: train a built-in recipe, a recipe file or your own data
(``--data``), on one process or ``--nproc N``, and write a run folder (glassnet.recipes).

The options are typer annotations read when the command is registered; ``typer`` is imported
then (``register``), so importing this module costs nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

from glassnet.cli import (
    _blas_threads,
    _echo,
    _errors,
    _option,
    _print_metrics,
    _ReportedError,
    _state,
)

typer = None  # set by register(); the annotations below are resolved after that


def register(app):
    global typer
    import typer

    app.command("train")(train_command)


def _default_out(recipe_name):
    return os.path.join("runs", f"{recipe_name}-{time.strftime('%Y%m%d-%H%M%S')}")


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
