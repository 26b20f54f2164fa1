"""The plain files of a run directory: config.json, metrics.json and history.csv.

JSON files are written atomically (glassnet.serialization.atomic_write), so a crash never
leaves a half-written config behind.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> write_json(os.path.join(folder, "m.json"), {"accuracy": 0.5})
>>> read_json(os.path.join(folder, "m.json"))
{'accuracy': 0.5}
>>> write_history_csv(os.path.join(folder, "h.csv"), [0, 1], {"loss": [1.0, 0.5]})
>>> open(os.path.join(folder, "h.csv")).read().splitlines()
['epoch,loss', '1,1.0', '2,0.5']
"""

from __future__ import annotations

import csv
import io
import json
import math

from glassnet.serialization import atomic_write


def _clean(value):
    # NaN and infinity are not JSON; null says "no value" to every JSON reader.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _clean(value.item())
    return value


def write_json(path, obj) -> None:
    """Write ``obj`` as indented JSON (NaN becomes null), atomically."""
    text = json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n"
    atomic_write(path, [text.encode("utf-8")])


def write_text(path, text: str) -> None:
    """Write a text file (UTF-8), atomically."""
    atomic_write(path, [text.encode("utf-8")])


def read_json(path):
    """Read a JSON file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_history_csv(path, epochs, history: dict) -> None:
    """One row per epoch (counting from 1) and one column per logged quantity."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = list(history)
    writer.writerow(["epoch", *names])
    for i, epoch in enumerate(epochs):
        writer.writerow([epoch + 1, *(repr(float(history[n][i])) for n in names)])
    atomic_write(path, [buf.getvalue().encode("utf-8")])
