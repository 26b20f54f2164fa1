"""``glassnet run -n N script.py [ARGS...]``: run a script on N processes (see
glassnet.distributed.launch), for data-parallel training with glassnet.distributed.

``launch_job`` is the launcher both ``glassnet run`` and ``glassnet train --nproc N`` use;
``relaunch_cli`` starts a ``glassnet`` command line on N ranks (this file is then each rank's
script: see the end of it).
"""

# No ``from __future__ import annotations``: typer reads the annotations as objects.
import os
import sys
from typing import Annotated

from glassnet._optional import require

RANK_ENV = "GLASSNET_NPROC"  # set for the ranks of `glassnet train --nproc N`: N


def launch_job(script, args, *, nproc, what, hosts=None, hostfile=None, timeout=None, env=None):
    """Run ``script args`` on ``nproc`` ranks under mpiexec and wait; a job that fails (a
    rank raised, or ``timeout`` passed) prints one line naming ``what`` and raises
    cli._ReportedError with the job's exit code."""
    from glassnet import cli
    from glassnet.distributed import launch

    with cli._errors():
        result = launch.run(
            script,
            list(args),
            nproc=nproc,
            hosts=hosts or None,
            hostfile=hostfile or None,
            timeout=timeout or None,
            env=env,
        )
    if result.returncode:
        where = "timed out" if result.returncode == 124 else "a process failed"
        print(f"glassnet: error: {what}: {where} (exit code {result.returncode})", file=sys.stderr)
        raise cli._ReportedError(result.returncode)


def relaunch_cli(argv, nproc):
    """Run the ``glassnet`` command line ``argv`` on ``nproc`` ranks; each rank sees
    ``GLASSNET_NPROC=nproc`` and imports the same glassnet as this process."""
    import glassnet

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(glassnet.__file__)))
    env = dict(os.environ)
    env[RANK_ENV] = str(int(nproc))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    what = f"glassnet {argv[0] if argv else ''} --nproc {nproc}".replace("  ", " ")
    launch_job(os.path.abspath(__file__), argv, nproc=nproc, what=what, env=env)


def register(app):
    typer = require("typer", "cli")

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
        launch_job(
            script,
            ctx.args,
            nproc=nproc,
            what="glassnet run",
            hosts=hosts,
            hostfile=hostfile,
            timeout=timeout,
        )

    app.command("run", context_settings=settings)(run_command)


if __name__ == "__main__":  # one rank of `glassnet train --nproc N` (see relaunch_cli)
    # Run as a script, this file's folder is first on sys.path, where its sibling modules
    # would shadow top-level ones; glassnet comes from PYTHONPATH instead.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    from glassnet.cli import main

    code = main(sys.argv[1:])
    if code:
        # mpi4py's run mode ends the whole job when a rank exits with an error
        raise SystemExit(code)
