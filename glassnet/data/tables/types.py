"""What kind of data a column holds, and what task a target column asks for.

Kinds: 'numeric' (numbers, also numbers stored as text), 'boolean' (true/false, yes/no),
'categorical' (a few repeated labels), 'date', 'text' (free text: many distinct values with
spaces), 'id' (a distinct value per row: a row number or a key, nothing to learn from), and
'empty' (no value at all).

>>> infer_kind(["2024-01-02", "2024-03-04", None])
'date'
>>> infer_kind(["yes", "no", "yes"])
'boolean'
>>> infer_kind([str(i) for i in range(30)], name="customer_id")
'id'
"""

from __future__ import annotations

import re

import numpy as np

from glassnet.data.preprocessing.cleaning import MISSING_MARKERS, coerce_numeric

KINDS = ("numeric", "boolean", "categorical", "date", "text", "id", "empty")
TRUE = ("true", "yes", "y", "t")
FALSE = ("false", "no", "n", "f")
_DATE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2})?.*)?$"
)
_ID_NAME = re.compile(r"(^|[_\s-])(id|uuid|guid|key)$|^(id|uuid)([_\s-]|$)", re.IGNORECASE)
MAX_CLASSES = 20  # integer targets with at most this many values are classes


def is_missing_cell(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return str(value).strip().lower() in MISSING_MARKERS


def infer_kind(values, name: str = "") -> str:
    """The kind of the column ``values`` (raw cells: text, numbers or None)."""
    present = [v for v in values if not is_missing_cell(v)]
    if not present:
        return "empty"
    n = len(present)
    texts = [str(v).strip() for v in present]
    distinct = len(set(texts))
    lowered = {t.lower() for t in texts}
    if lowered <= set(TRUE + FALSE) and len(lowered) <= 4:
        return "boolean"
    numbers, report = coerce_numeric(present)
    if report["n_failed"] <= 0.05 * n and report["n_failed"] < n:
        finite = numbers[np.isfinite(numbers)]
        whole = finite.size and np.all(finite == np.round(finite))
        if whole and distinct == n and n >= 10 and (_ID_NAME.search(name) or _consecutive(finite)):
            return "id"
        return "numeric"
    if sum(bool(_DATE.match(t)) for t in texts) >= 0.9 * n:
        return "date"
    if distinct == n and n >= 10 and (_ID_NAME.search(name) or not any(" " in t for t in texts)):
        return "id"
    spaced = sum(len(t.split()) >= 3 for t in texts)
    if spaced >= 0.5 * n and distinct > 0.5 * n:
        return "text"
    return "categorical"


def _consecutive(values) -> bool:
    v = np.sort(values)
    return bool(len(v) > 1 and np.all(np.diff(v) == 1))


def infer_task(table, target: str) -> str:
    """'classification' when ``target`` is categorical or boolean or a few whole numbers
    (at most MAX_CLASSES distinct, each seen twice on average), else 'regression'."""
    kind = table.kinds.get(target)
    if kind in ("categorical", "boolean", "text", "id"):
        return "classification"
    values = np.asarray(table[target], dtype=np.float64)
    finite = values[np.isfinite(values)]
    whole = finite.size and np.all(finite == np.round(finite))
    distinct = len(np.unique(finite))
    if whole and distinct <= MAX_CLASSES and distinct <= finite.size / 2:
        return "classification"
    return "regression"
