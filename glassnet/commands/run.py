"""``glassnet run -n N script.py [ARGS...]``: run a script on N processes (see
glassnet.distributed.launch), for data-parallel training with glassnet.distributed."""

# No ``from __future__ import annotations``: typer reads the annotations as objects.
from typing import Annotated

from glassnet._optional import require


def register(app):
    typer = require("typer", "cli")
    from glassnet import cli

    settings = {
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,  # everything after the script is the script's
    }

    def run_command(
        ctx: typer.Context,
        script: Annotated[str, typer.Argument(help="the Python script every process runs")],
        nproc: Annotated[int, typer.Option("-n", "--nproc", help="number of processes")] = 1,
        hosts: Annotated[
            str, typer.Option(help="comma-separated machines to spread the processes over")
        ] = "",
        hostfile: Annotated[str, typer.Option(help="an MPICH host file (one host a line)")] = "",
        timeout: Annotated[
            float, typer.Option(help="end the whole job after this many seconds (0: never)")
        ] = 0.0,
    ):
        """Run SCRIPT in N processes under this Python through MPICH's mpiexec; a process
        that raises ends the whole job."""
        from glassnet.distributed import launch

        with cli._errors():
            result = launch.run(
                script,
                list(ctx.args),
                nproc=nproc,
                hosts=hosts or None,
                hostfile=hostfile or None,
                timeout=timeout or None,
            )
        if result.returncode:
            where = "timed out" if result.returncode == 124 else "a process failed"
            print(
                f"glassnet: error: glassnet run: {where} (exit code {result.returncode})",
                file=__import__("sys").stderr,
            )
            raise cli._ReportedError(result.returncode)

    app.command("run", context_settings=settings)(run_command)
