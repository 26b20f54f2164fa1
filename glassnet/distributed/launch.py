"""Start a script on N processes through the MPICH wheel's ``mpiexec`` (``glassnet run``).

Each rank runs ``python -m mpi4py script.py args`` under the same Python as the caller: mpi4py's
run mode calls ``MPI_Abort`` when a rank raises, so one failing rank ends the whole job (with
its traceback) instead of leaving the others waiting in a collective forever. ``timeout`` ends
a job that hangs anyway.

>>> cmd = build_command("train.py", ["--lr", "0.1"], nproc=2, mpiexec="mpiexec", python="python")
>>> cmd
['mpiexec', '-n', '2', 'python', '-m', 'mpi4py', 'train.py', '--lr', '0.1']
>>> build_command("t.py", [], nproc=4, hosts="a,b", mpiexec="mpiexec", python="python")[:5]
['mpiexec', '-n', '4', '-hosts', 'a,b']
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path


class LaunchError(RuntimeError):
    """mpiexec is missing, or the job could not be started."""


def find_mpiexec() -> str:
    """The ``mpiexec`` beside this Python (where the mpich wheel puts it), else on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    if found:
        return found
    raise LaunchError(
        "mpiexec was not found beside this Python or on PATH; install the distributed extra: "
        "pip install 'glassnet[dist]' (it brings mpi4py and the MPICH wheel)."
    )


def build_command(script, args, *, nproc, hosts=None, hostfile=None, mpiexec=None, python=None):
    """The ``mpiexec`` command line that runs ``script`` on ``nproc`` ranks."""
    if int(nproc) < 1:
        raise ValueError(f"glassnet run: -n must be at least 1, got {nproc}")
    cmd = [mpiexec or find_mpiexec(), "-n", str(int(nproc))]
    if hosts:
        cmd += ["-hosts", str(hosts)]
    if hostfile:
        cmd += ["-f", str(hostfile)]
    return cmd + [python or sys.executable, "-m", "mpi4py", str(script), *map(str, args)]


def run(
    script,
    args=(),
    *,
    nproc=2,
    hosts=None,
    hostfile=None,
    timeout=None,
    env=None,
    capture_output=False,
) -> subprocess.CompletedProcess:
    """Run the job and wait; return its CompletedProcess (returncode 124 after a timeout).

    On a timeout the whole process group of the job (mpiexec and its ranks) is ended."""
    if not Path(script).exists():
        raise LaunchError(f"glassnet run: no such script {script!r}")
    cmd = build_command(script, args, nproc=nproc, hosts=hosts, hostfile=hostfile)
    full_env = dict(os.environ if env is None else env)
    pipe = subprocess.PIPE if capture_output else None
    proc = subprocess.Popen(
        cmd, env=full_env, stdout=pipe, stderr=pipe, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        _end_group(proc)
        out, err = proc.communicate()
        code = 124
        note = f"glassnet run: the job did not finish within {timeout} s and was ended\n"
        if capture_output:
            err = (err or "") + note
        else:
            sys.stderr.write(note)
    return subprocess.CompletedProcess(cmd, code, out, err)


def _end_group(proc):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue
