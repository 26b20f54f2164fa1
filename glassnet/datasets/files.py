"""Your own data as a DatasetBundle: from a CSV file or from arrays already in memory.

>>> import numpy as np
>>> from glassnet import datasets
>>> b = datasets.from_numpy(np.random.default_rng(0).normal(size=(50, 3)), np.arange(50) % 2)
>>> b.x_train.dtype, b.task, len(b.train), len(b.test)
(dtype('float32'), 'classification', 40, 10)
"""

from __future__ import annotations

import csv
import os

import numpy as np

from glassnet.datasets.bundle import DatasetBundle, from_arrays
from glassnet.errors import ShapeError

MISSING = ("", "na", "n/a", "nan", "null", "none", "?")


def _number(cell: str):
    """The cell as a float, nan when it is a missing-value marker, None when it is text."""
    s = cell.strip()
    if s.lower() in MISSING:
        return float("nan")
    try:
        return float(s)
    except ValueError:
        return None


def _looks_like_header(row) -> bool:
    return all(c.strip() and _number(c) is None for c in row)


def _column(cells):
    """``(float64 values, categories or None)``; a text column becomes sorted integer codes."""
    nums = [_number(c) for c in cells]
    if all(v is not None for v in nums):
        return np.array(nums, dtype=np.float64), None
    cats = sorted({c.strip() for c in cells if c.strip().lower() not in MISSING})
    code = {c: float(i) for i, c in enumerate(cats)}
    return np.array([code.get(c.strip(), np.nan) for c in cells], dtype=np.float64), cats


def _infer_task(y: np.ndarray, categories) -> str:
    if categories is not None:
        return "classification"
    finite = y[np.isfinite(y)]
    integral = finite.size and np.all(finite == np.round(finite)) and finite.min() >= 0
    return "classification" if integral and len(np.unique(finite)) <= 20 else "regression"


def from_csv(
    path, target=-1, header="auto", delimiter=",", test_size=0.2, seed=0, task=None, name=None
) -> DatasetBundle:
    """Read a CSV file of numbers into a bundle; ``target`` is the column (name or index)
    holding the labels or values to predict, the others are the features.

    ``header``: True, False or ``'auto'`` (the first row is a header when none of its cells is
    a number). Empty cells and NA/NaN/null/? become ``nan`` in the features; rows with a
    missing target are dropped. A text column is turned into integer codes (sorted order;
    kept in ``bundle.categories``). ``task`` is inferred when not given: text or small
    non-negative integer targets (at most 20 values) mean classification.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"from_csv: {path} has no rows")
    if header == "auto":
        header = _looks_like_header(rows[0])
    names = [c.strip() for c in rows[0]] if header else [f"col{i}" for i in range(len(rows[0]))]
    body = rows[1:] if header else rows
    for line, r in enumerate(body, start=2 if header else 1):
        if len(r) != len(names):
            raise ShapeError(
                f"from_csv: row {line} of {path} has {len(r)} cells but the file "
                f"has {len(names)} columns"
            )
    if not body:
        raise ValueError(f"from_csv: {path} has a header but no data rows")
    if isinstance(target, str):
        if target not in names:
            raise ValueError(f"from_csv: no column named {target!r}; the columns are {names}")
        t_index = names.index(target)
    else:
        try:
            t_index = range(len(names))[target]
        except (IndexError, TypeError):
            raise ValueError(
                f"from_csv: target={target!r} is not a column of {path} (it has "
                f"{len(names)} columns: {names})"
            ) from None
    columns = [_column([r[j] for r in body]) for j in range(len(names))]
    y, y_cats = columns[t_index]
    keep = np.isfinite(y)
    task = task or _infer_task(y, y_cats)
    feature_idx = [j for j in range(len(names)) if j != t_index]
    x = np.stack([columns[j][0] for j in feature_idx], axis=1)[keep].astype(np.float32)
    y = y[keep]
    y = y.astype(np.int64) if task == "classification" else y.astype(np.float32)[:, None]
    categories = {names[j]: columns[j][1] for j in feature_idx if columns[j][1] is not None}
    dropped = int((~keep).sum())
    return from_arrays(
        x,
        y,
        test_size=test_size,
        seed=seed,
        name=name or os.path.basename(str(path)),
        task=task,
        feature_names=[names[j] for j in feature_idx],
        class_names=y_cats,
        description=f"{len(y)} rows from {os.path.basename(str(path))}, target "
        f"{names[t_index]!r}" + (f" ({dropped} rows without a target dropped)" if dropped else ""),
        extra={"categories": categories},
    )


def from_numpy(
    x,
    y,
    test_size=0.2,
    seed=0,
    task=None,
    name="numpy",
    feature_names=None,
    class_names=None,
    dtype=np.float32,
) -> DatasetBundle:
    """A bundle from in-memory inputs and targets (NumPy arrays, lists or CPU tensors), split
    with a fixed seed. Floating inputs are cast to ``dtype`` (float32, what layers expect;
    None keeps them); integer targets mean classification unless ``task`` says otherwise."""
    x, y = np.asarray(x), np.asarray(y)
    if dtype is not None and x.dtype.kind == "f":
        x = x.astype(dtype, copy=False)
    task = task or ("classification" if y.dtype.kind in "iub" else "regression")
    if task == "regression" and y.dtype.kind == "f" and dtype is not None:
        y = y.astype(dtype, copy=False)
    return from_arrays(
        x,
        y,
        test_size=test_size,
        seed=seed,
        name=name,
        task=task,
        feature_names=feature_names,
        class_names=class_names,
    )
