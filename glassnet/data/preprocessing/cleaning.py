"""Cleaning a table before it is split: numbers stored as text made numbers again (with a
report of what changed), duplicate rows removed.

>>> values, report = coerce_numeric(["1", " 2.5", "1,200", "$3", "n/a", "abc"])
>>> values.tolist()
[1.0, 2.5, 1200.0, 3.0, nan, nan]
>>> report["converted"], report["missing"], report["failed"]
(4, 1, {5: 'abc'})
>>> drop_duplicates([[1, "a"], [2, "b"], [1, "a"]])[1].tolist()
[2]
"""

from __future__ import annotations

import math
import re

import numpy as np

MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", "?", "-", "--")
_CURRENCY = re.compile(r"^[\$€£¥]\s*|\s*[\$€£¥]$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _to_number(cell):
    """``(float, how)``: how is 'number', 'missing', 'text-number' or 'failed'."""
    if cell is None:
        return math.nan, "missing"
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        value = float(cell)
        return value, "missing" if math.isnan(value) else "number"
    text = str(cell).strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan, "missing"
    try:
        return float(text), "text-number"
    except ValueError:
        pass
    cleaned = _CURRENCY.sub("", text)
    percent = cleaned.endswith("%")
    cleaned = cleaned.rstrip("%").strip()
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return math.nan, "failed"
    return (value / 100 if percent else value), "cleaned"


def coerce_numeric(column):
    """A column of numbers stored as text (``' 2.5'``, ``'1,200'``, ``'$3'``, ``'45%'``, missing
    markers such as ``'n/a'``) as float64, and a report of what changed: ``converted`` (cells
    read from text), ``missing`` (missing markers), ``failed`` ({row: cell} that are not numbers,
    now NaN, at most 20 listed), ``n_failed`` and ``cleaned`` (how many converted cells needed
    more than reading: currency signs, thousands separators, percentages)."""
    values, failed, converted, missing, n_failed, cleaned = [], {}, 0, 0, 0, 0
    for i, cell in enumerate(column):
        value, how = _to_number(cell)
        values.append(value)
        if how in ("text-number", "cleaned"):
            converted += 1
            cleaned += how == "cleaned"
        elif how == "missing":
            missing += 1
        elif how == "failed":
            n_failed += 1
            if len(failed) < 20:
                failed[i] = cell
    report = {
        "converted": converted,
        "missing": missing,
        "failed": failed,
        "n_failed": n_failed,
        "cleaned": cleaned,
    }
    return np.array(values, dtype=np.float64), report


def _row_key(row):
    return tuple("\0nan" if isinstance(v, float) and math.isnan(v) else v for v in row)


def duplicate_rows(rows) -> np.ndarray:
    """Indices of the rows that repeat an earlier row exactly (NaN equals NaN here)."""
    seen, dups = set(), []
    for i, row in enumerate(rows):
        key = _row_key(list(row))
        if key in seen:
            dups.append(i)
        else:
            seen.add(key)
    return np.array(dups, dtype=np.int64)


def drop_duplicates(rows, *others):
    """``(rows without repeats, removed indices)`` keeping each row's first occurrence;
    arrays in ``others`` lose the same rows and come after."""
    rows = np.asarray(rows, dtype=object)
    removed = duplicate_rows(rows)
    keep = np.ones(len(rows), dtype=bool)
    keep[removed] = False
    return (rows[keep], removed, *(np.asarray(o)[keep] for o in others))


class ToNumeric:
    """A pipeline step that makes every column a float64 number column with coerce_numeric;
    ``report_`` holds the report per column of the last ``transform`` (nothing to fit).

    >>> ToNumeric().fit_transform([["1", "2%"], ["x", "3"]]).tolist()
    [[1.0, 0.02], [nan, 3.0]]
    """

    def __init__(self):
        self.report_ = None

    def fit(self, x, y=None):
        return self

    def transform(self, x):
        a = np.asarray(x, dtype=object)
        if a.ndim != 2:
            raise ValueError(f"ToNumeric.transform: expected 2-d data, got shape {a.shape}")
        cols, self.report_ = [], []
        for j in range(a.shape[1]):
            values, report = coerce_numeric(a[:, j])
            cols.append(values)
            self.report_.append(report)
        return np.stack(cols, axis=1) if cols else np.zeros((len(a), 0))

    def fit_transform(self, x, y=None):
        return self.transform(x)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict):
        return self
