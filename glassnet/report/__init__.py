"""glassnet.report: the run directory, everything a training run leaves behind.

::

    RUN_DIR/
      config.json        the recipe, the model's input/output sizes, the preprocessing state
      model.safetensors  the trained weights (glassnet.save of the state_dict)
      checkpoint/        the Trainer's full training checkpoint (resumable)
      history.csv        loss and metrics per epoch
      metrics.json       the test metrics
      curves.png         loss and metrics per epoch, train against validation
      confusion.png      the test confusion matrix (classifiers)
      report.md          what was trained, on what data, the test metrics, the pictures
      status.json        running, finished or failed: written first and, at the end, last

>>> import os, tempfile, glassnet
>>> from glassnet.train import History
>>> h = History(); h.append(0, {"loss": 0.9, "val_loss": 1.0})
>>> folder = tempfile.mkdtemp()
>>> notes = write_run(folder, config={"recipe": {"name": "demo"}}, model=glassnet.nn.Linear(2, 1),
...                   history=h, metrics={"loss": 0.8})
>>> sorted(os.listdir(folder))
['config.json', 'curves.png', 'history.csv', 'metrics.json', 'model.safetensors',
 'report.md', 'status.json']
>>> folder_state(folder)
'finished'
"""

from __future__ import annotations

import os

from glassnet.report.files import read_json, write_history_csv, write_json, write_text
from glassnet.report.folder import (
    CHECKPOINT_DIR,
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    REPORT,
    STATUS,
    RunFolderError,
    claim,
    folder_state,
    read_json_file,
    read_status,
    write_status,
)
from glassnet.report.markdown import render_report
from glassnet.report.plots import PNG_SIGNATURE, plot_confusion, plot_curves

__all__ = [
    "write_run",
    "write_config",
    "read_config",
    "render_report",
    "plot_confusion",
    "plot_curves",
    "write_json",
    "read_json",
    "write_history_csv",
    "PNG_SIGNATURE",
    "CONFIG",
    "MODEL",
    "CHECKPOINT_DIR",
    "REPORT",
    "STATUS",
    "RunFolderError",
    "claim",
    "folder_state",
    "read_status",
    "write_status",
    "write_failed_run",
]


def write_config(run_dir, config: dict) -> str:
    """Write ``config.json`` (first thing in a run, so even a crashed run says what it was)."""
    path = os.path.join(run_dir, CONFIG)
    write_json(path, config)
    return path


def read_config(run_dir) -> dict:
    """Read a run directory's ``config.json``, with a clear error when it is not a run dir."""
    path = os.path.join(run_dir, CONFIG)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{run_dir} is not a glassnet run directory (no {CONFIG}); give "
            f"the folder that 'glassnet train' wrote"
        )
    config = read_json_file(path)
    if not isinstance(config, dict):
        raise RunFolderError(f"{path} is damaged (not a JSON object); train the run again")
    return config


def write_run(
    run_dir,
    *,
    config,
    model,
    history,
    metrics,
    confusion=None,
    class_names=None,
    sizes=None,
    data_text="",
    model_text="",
    wall_time=None,
) -> list:
    """Write every file of a finished run into ``run_dir``, each atomically: the weights and
    then ``status.json`` ('finished') last, so a run cut short never looks finished. Returns
    notes about anything left out (pictures need matplotlib: ``pip install 'glassnet[viz]'``).
    """
    from glassnet.serialization import save

    os.makedirs(run_dir, exist_ok=True)
    write_config(run_dir, config)
    write_history_csv(os.path.join(run_dir, HISTORY), history.epoch, history.history)
    write_json(os.path.join(run_dir, METRICS), metrics)
    pictures, notes = [], []
    drawings = [("curves.png", lambda p: plot_curves(history, p))]
    if confusion is not None:
        drawings.append(("confusion.png", lambda p: plot_confusion(confusion, class_names, p)))
    for name, draw in drawings:
        try:
            draw(os.path.join(run_dir, name))
            pictures.append(name)
        except ImportError as exc:
            notes.append(f"{name} was not drawn: {exc}")
    recipe = config.get("recipe", config)
    text = render_report(
        recipe,
        metrics,
        pictures=pictures,
        sizes=sizes,
        data_text=data_text,
        model_text=model_text,
        wall_time=wall_time,
        history=history.history,
        notes=notes,
    )
    write_text(os.path.join(run_dir, REPORT), text)
    save(model.state_dict(), os.path.join(run_dir, MODEL))
    write_status(run_dir, "finished")
    return notes


def write_failed_run(
    run_dir, *, config, message, history=None, checkpoint_kept=False, **info
) -> None:
    """Mark ``run_dir`` as failed: ``status.json`` says why (``message`` and ``info``, such as
    the epoch and batch where training diverged) and ``report.md`` says so; no weights are
    written. ``checkpoint_kept``: the Trainer kept the last good state in ``checkpoint/``."""
    os.makedirs(run_dir, exist_ok=True)
    if history is not None and history.epoch:
        write_history_csv(os.path.join(run_dir, HISTORY), history.epoch, history.history)
    recipe = config.get("recipe", config)
    lines = [
        f"# Run report: {recipe.get('name', 'run')} (FAILED)",
        "",
        f"Training failed: {message}",
        "",
        "No trained weights were written."
        + (
            " `checkpoint/` holds the last good state, from before the failure."
            if checkpoint_kept
            else ""
        ),
        "",
    ]
    write_text(os.path.join(run_dir, REPORT), "\n".join(lines))
    write_status(run_dir, "failed", message=message, **info)
