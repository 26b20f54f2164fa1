"""A run folder's state on disk (new, unfinished, finished, failed) and what ``train`` may do
with it: start a new run, resume an unfinished one, or refuse.

``status.json`` is written when a run starts (``running``), and as the very last file when it
ends (``finished``) or when training fails (``failed``). Every file is written atomically, so a
folder whose status does not say ``finished`` never looks like a finished run, whatever moment
a crash or ``kill -9`` picked.

>>> import os, tempfile
>>> folder = os.path.join(tempfile.mkdtemp(), "run")
>>> folder_state(folder), claim(folder)
('missing', 'new')
>>> write_status(folder, "running")
>>> folder_state(folder)
'unfinished'
>>> claim(folder)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
glassnet.report.folder.RunFolderError: ... already holds an unfinished run ...; give --resume ...
>>> claim(folder, resume=True)
'resume'
"""

from __future__ import annotations

import json
import os

from glassnet.report.files import read_json, write_json

CONFIG = "config.json"
MODEL = "model.safetensors"
CHECKPOINT_DIR = "checkpoint"
REPORT = "report.md"
STATUS = "status.json"
METRICS = "metrics.json"
HISTORY = "history.csv"
PICTURES = ("curves.png", "confusion.png")

# The files a run writes, in the order they are removed: the weights first, so a removal cut
# short never leaves weights beside a half-removed run, the config last.
RUN_FILES = (MODEL, STATUS, REPORT, METRICS, HISTORY, *PICTURES, CONFIG)
CHECKPOINT_FILES = ("last.safetensors",)
TEMP_PREFIX = ".tmp-"  # glassnet.serialization.atomic_write's temporary files


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked (it holds a run, it is damaged, ...)."""


def read_status(run_dir) -> dict | None:
    """The folder's ``status.json`` (None when there is none)."""
    path = os.path.join(run_dir, STATUS)
    if not os.path.isfile(path):
        return None
    status = read_json_file(path)
    if not isinstance(status, dict) or status.get("state") not in ("running", "finished", "failed"):
        raise RunFolderError(f"{path} is damaged (no valid 'state'); train the run again")
    return status


def write_status(run_dir, state: str, **info) -> None:
    """Record the run's state: 'running', 'finished' or 'failed' (with ``info``: the reason)."""
    write_json(os.path.join(run_dir, STATUS), {"state": state, **info})


def read_json_file(path):
    """A JSON file of a run folder; RunFolderError naming the file and the position of the
    damage when it does not parse."""
    try:
        return read_json(path)
    except json.JSONDecodeError as exc:
        raise RunFolderError(
            f"{path} is damaged: not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); train the run again (glassnet train ... --overwrite)"
        ) from None
    except UnicodeDecodeError:
        raise RunFolderError(f"{path} is damaged: not UTF-8 text; train the run again") from None


def _entries(run_dir):
    return [e for e in os.listdir(run_dir) if not e.startswith(TEMP_PREFIX)]


def folder_state(run_dir) -> str:
    """'missing', 'empty', 'unfinished' (killed, or still running), 'finished', 'failed', or
    'foreign' (it holds files, but no glassnet run)."""
    if not os.path.exists(run_dir):
        return "missing"
    if not os.path.isdir(run_dir):
        return "foreign"
    entries = _entries(run_dir)
    if not entries:
        return "empty"
    if not set(entries) & {*RUN_FILES, CHECKPOINT_DIR}:
        return "foreign"
    try:
        status = read_status(run_dir)
    except RunFolderError:
        return "unfinished"
    if status is None:
        # A run written before status.json existed: finished when it has its weights.
        return "finished" if MODEL in entries and METRICS in entries else "unfinished"
    return {"running": "unfinished"}.get(status["state"], status["state"])


def remove_temporaries(folder) -> None:
    """Delete the temporary files a killed atomic write left in ``folder``."""
    if not os.path.isdir(folder):
        return
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if entry.startswith(TEMP_PREFIX) and os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)


def remove_run(run_dir) -> None:
    """Delete the files a run wrote (and only those: other files in the folder stay)."""
    for name in RUN_FILES:
        path = os.path.join(run_dir, name)
        if os.path.isfile(path):
            os.unlink(path)
    checkpoints = os.path.join(run_dir, CHECKPOINT_DIR)
    if os.path.isdir(checkpoints):
        for name in CHECKPOINT_FILES:
            path = os.path.join(checkpoints, name)
            if os.path.isfile(path):
                os.unlink(path)
        remove_temporaries(checkpoints)
        if not os.listdir(checkpoints):
            os.rmdir(checkpoints)
    remove_temporaries(run_dir)


_DESCRIBE = {
    "unfinished": "an unfinished run (killed, or still running in another process)",
    "finished": "a finished run",
    "failed": "a failed run",
}


def claim(run_dir, *, overwrite: bool = False, resume: bool = False) -> str:
    """Decide what training into ``run_dir`` does: 'new' (an empty or missing folder, or one
    cleared by ``overwrite``), 'resume' (an unfinished run, with ``resume``) or 'finished'
    (a finished run, with ``resume``: nothing left to train). Anything else is refused with a
    RunFolderError that names the folder and the options."""
    run_dir = os.fspath(run_dir)
    if overwrite and resume:
        raise RunFolderError(
            "give either --overwrite (delete the run and train again) or --resume (continue "
            "it), not both"
        )
    state = folder_state(run_dir)
    if state == "foreign":
        what = (
            "is a file"
            if os.path.exists(run_dir) and not os.path.isdir(run_dir)
            else ("holds files but no glassnet run")
        )
        raise RunFolderError(
            f"{run_dir} {what}; give a new or empty folder to --out (glassnet deletes only "
            "the files it wrote itself)"
        )
    if state in ("missing", "empty"):
        if state == "empty":
            remove_temporaries(run_dir)
        return "new"
    if overwrite:
        remove_run(run_dir)
        return "new"
    if resume and state == "unfinished":
        remove_temporaries(run_dir)
        remove_temporaries(os.path.join(run_dir, CHECKPOINT_DIR))
        return "resume"
    if resume and state == "finished":
        return "finished"
    if resume:  # failed
        status = read_status(run_dir) or {}
        raise RunFolderError(
            f"{run_dir} holds a failed run ({status.get('message', 'training failed')}); "
            "resuming it would fail the same way: change the recipe and give --overwrite to "
            "train it again"
        )
    if state in ("finished", "failed"):
        raise RunFolderError(
            f"{run_dir} already holds {_DESCRIBE[state]}; give --overwrite to delete it and "
            "train again, or choose another --out (--resume continues only an unfinished run)"
        )
    raise RunFolderError(
        f"{run_dir} already holds {_DESCRIBE[state]}; give --resume to continue it from its "
        "last checkpoint, or --overwrite to delete it and train again (or choose another --out)"
    )
