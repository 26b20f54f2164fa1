"""Reading data files for ``glassnet predict`` and ``glassnet evaluate``: CSV tables, NumPy
``.npy``/``.npz`` arrays and image files (PNG, JPEG, ...).

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
>>> _ = open(path, "w").write("a,b\\n1,2\\n3,\\n")
>>> read_table(path).tolist()
[[1.0, 2.0], [3.0, nan]]
"""

from __future__ import annotations

import csv
import os

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _cell(text: str) -> float:
    text = text.strip()
    if text == "" or text.lower() in ("nan", "na", "n/a", "null", "none", "?"):
        return float("nan")
    return float(text)


def _is_number(text: str) -> bool:
    try:
        _cell(text)
        return True
    except ValueError:
        return False


def read_table(path, return_header=False):
    """A CSV file as a float64 array, one row per sample; a first row that is not all numbers
    is taken as the header. Empty cells become NaN."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f) if row and any(c.strip() for c in row)]
    header = None
    if rows and not all(_is_number(c) for c in rows[0]):
        header, rows = rows[0], rows[1:]
    if not rows:
        raise ValueError(f"{path}: no data rows")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(
                f"{path}: row {i + 1 + (header is not None)} has {len(row)} values, "
                f"the first row has {width}"
            )
    try:
        table = np.array([[_cell(c) for c in row] for row in rows], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: every cell must be a number ({exc})") from None
    return (table, header) if return_header else table


def read_image(path, shape):
    """An image file as one sample of ``shape`` (channels, height, width): grey or RGB by the
    channel count, resized, scaled to [0, 1]. Light backgrounds are inverted, because the
    digits data sets draw light strokes on a dark background."""
    from glassnet._optional import require

    image_module = require("PIL.Image", "data")
    if len(shape) != 3:
        raise ValueError(
            f"{path}: an image was given, but this model reads samples shaped "
            f"{tuple(shape)}, not images; give a CSV or .npy file"
        )
    channels, height, width = shape
    with image_module.open(path) as img:
        img = img.convert("L" if channels == 1 else "RGB").resize(
            (width, height), image_module.BILINEAR
        )
        a = np.asarray(img, dtype=np.float32) / 255.0
    a = a[None] if channels == 1 else a.transpose(2, 0, 1)
    if a.mean() > 0.5:
        a = 1.0 - a
    return a[None]


def read_inputs(path, shape):
    """Model inputs from a file: rows of a CSV, a ``.npy`` array (one sample or many), the
    ``x`` array of a ``.npz``, or an image. ``shape`` is one sample's shape."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"input file {path} does not exist")
    ext = os.path.splitext(path)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return read_image(path, shape)
    if ext == ".npy":
        x = np.load(path, allow_pickle=False)
    elif ext == ".npz":
        x = read_npz(path)[0]
    elif ext in (".csv", ".txt", ".tsv"):
        x = read_table(path)
    else:
        raise ValueError(
            f"{path}: unknown input type {ext!r}; give a .csv, .npy, .npz or an "
            f"image ({', '.join(IMAGE_EXTENSIONS)})"
        )
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        x = x.reshape(1, 1)
    size = int(np.prod(shape))
    if x.size == size and x.shape[0] != 1:
        x = x.reshape(1, *shape)  # one sample given on its own
    elif x.ndim == 1:
        x = x.reshape(1, -1)
    return x


def read_npz(path):
    """``(x, y)`` from a ``.npz`` file with arrays named ``x`` and ``y`` (``y`` may be absent)."""
    with np.load(path, allow_pickle=False) as f:
        if "x" not in f:
            raise ValueError(
                f"{path}: expected arrays named 'x' (inputs) and 'y' (targets), "
                f"found {sorted(f.files)}"
            )
        return f["x"], (f["y"] if "y" in f else None)


def read_labelled(path, target=None):
    """``(x, y)`` for evaluation: a ``.npz`` with ``x`` and ``y``, or a CSV whose ``target``
    column (a header name or an index; the last column by default) holds the targets."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file {path} does not exist")
    if path.endswith(".npz"):
        x, y = read_npz(path)
        if y is None:
            raise ValueError(f"{path}: evaluation needs targets: an array named 'y'")
        return x, y
    table, header = read_table(path, return_header=True)
    column = table.shape[1] - 1
    if target is not None:
        if header is not None and target in header:
            column = header.index(target)
        else:
            try:
                column = int(target) % table.shape[1]
            except ValueError:
                raise ValueError(f"{path}: no column {target!r}; columns: {header}") from None
    y = table[:, column]
    x = np.delete(table, column, axis=1)
    return x, y
