"""Running small multi-process scripts for the distributed tests (MPI on loopback)."""

from __future__ import annotations

import json
import os
import socket
import textwrap
from pathlib import Path

import pytest

from glassnet.distributed import launch

ROOT = Path(__file__).resolve().parent.parent

try:
    MPIEXEC = launch.find_mpiexec()
except launch.LaunchError:
    MPIEXEC = None

needs_mpiexec = pytest.mark.skipif(
    MPIEXEC is None, reason="mpiexec (the mpich wheel of the [dist] extra) is not installed"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(tmp_path, body, nproc=2, timeout=120, args=()):
    """Run ``body`` (Python source) on ``nproc`` MPI ranks; return (result, rank JSONs).

    The script sees ``OUT`` (a folder) and ``save(obj)``, which writes this rank's JSON
    atomically (a temporary file renamed into place): a rank that mpiexec ends mid-write
    leaves its previous JSON, never an empty one."""
    script = tmp_path / "job.py"
    prelude = textwrap.dedent(
        f"""
        import json, os, sys
        from mpi4py import MPI
        OUT = {str(tmp_path)!r}
        RANK = MPI.COMM_WORLD.Get_rank()
        def save(obj):
            path = f"{{OUT}}/rank{{RANK}}.json"
            with open(path + ".tmp", "w") as f:
                json.dump(obj, f)
            os.replace(path + ".tmp", path)
        """
    )
    script.write_text(prelude + textwrap.dedent(body))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    result = launch.run(script, args, nproc=nproc, timeout=timeout, env=env, capture_output=True)
    ranks = []
    for r in range(nproc):
        f = tmp_path / f"rank{r}.json"
        ranks.append(json.loads(f.read_text()) if f.exists() else None)
    return result, ranks
