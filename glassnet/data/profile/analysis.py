"""The numbers of a data report: size, kinds, missing values, constant and duplicate columns,
duplicate rows, outliers, class balance, association with the target, and leakage checks.

>>> import numpy as np
>>> from glassnet.data.tables import Table
>>> t = Table({"x": np.array([1.0, 2.0, 2.0, np.nan]), "y": np.array(["a", "b", "b", "a"], object)},
...           {"x": "numeric", "y": "categorical"})
>>> p = profile_table(t, target="y")
>>> p["missing"]["x"], p["duplicate_rows"], p["class_balance"]
(1, 1, {'a': 2, 'b': 2})
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data.preprocessing.cleaning import duplicate_rows
from glassnet.data.preprocessing.outliers import robust_zscore
from glassnet.data.tables.types import infer_task

Z_THRESHOLD = 3.5  # Iglewicz and Hoaglin's cut for the robust z-score


def _missing(column) -> np.ndarray:
    if column.dtype.kind == "f":
        return np.isnan(column)
    return np.array([v is None for v in column], dtype=bool)


def _keys(column):
    """Hashable values (NaN and None as one marker), for equality checks."""
    return [
        None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
        for v in column.tolist()
    ]


def pearson(a, b) -> float | None:
    """Pearson's r over the rows where both are present (None when either is constant)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3:
        return None
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    denom = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return None if denom == 0 else float((a * b).sum() / denom)


def correlation_ratio(categories, values) -> float | None:
    """η: how much of the spread of numeric ``values`` the categories explain (0..1)."""
    values = np.asarray(values, dtype=np.float64)
    keys = _keys(np.asarray(categories, dtype=object))
    ok = [k is not None and not math.isnan(v) for k, v in zip(keys, values)]
    groups = {}
    for k, v, good in zip(keys, values, ok):
        if good:
            groups.setdefault(k, []).append(v)
    allv = values[np.array(ok, dtype=bool)]
    total = float(((allv - allv.mean()) ** 2).sum()) if allv.size else 0.0
    if total == 0 or len(groups) < 2:
        return None
    between = sum(len(g) * (np.mean(g) - allv.mean()) ** 2 for g in groups.values())
    return float(math.sqrt(between / total))


def cramers_v(a, b) -> float | None:
    """Cramér's V between two categorical columns (0: unrelated, 1: one decides the other)."""
    pairs = [
        (x, y)
        for x, y in zip(_keys(np.asarray(a, object)), _keys(np.asarray(b, object)))
        if x is not None and y is not None
    ]
    if not pairs:
        return None
    rows = sorted({p[0] for p in pairs}, key=str)
    cols = sorted({p[1] for p in pairs}, key=str)
    if len(rows) < 2 or len(cols) < 2:
        return None
    ri, ci = {r: i for i, r in enumerate(rows)}, {c: i for i, c in enumerate(cols)}
    table = np.zeros((len(rows), len(cols)))
    for x, y in pairs:
        table[ri[x], ci[y]] += 1
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(math.sqrt(chi2 / (n * (min(table.shape) - 1))))


def _association(table, name, target, task):
    f_kind = table.kinds.get(name)
    f, t = table[name], table[target]
    f_num = f_kind in ("numeric", "boolean")
    if task == "regression":
        if f_num:
            return "pearson", pearson(f, t)
        if f_kind == "categorical":
            return "eta", correlation_ratio(f, t)
        return None, None
    if f_num:
        if table.kinds.get(target) in ("numeric", "boolean") and len(set(_keys(t)) - {None}) == 2:
            return "pearson", pearson(f, t)
        return "eta", correlation_ratio(t, f)
    if f_kind == "categorical":
        return "cramers_v", cramers_v(f, t)
    return None, None


def profile_table(table, target=None, test=None, task=None) -> dict:
    """The report's numbers for ``table`` (a glassnet.data.tables.Table). With ``target``:
    class balance (classification) and each feature's association with the target
    (Pearson's r for numbers, η for numbers against classes, Cramér's V for categories); with
    ``test`` (another Table with the same columns): test rows that also appear in ``table``."""
    cols = table.columns
    n = table.n_rows
    missing = {c: int(_missing(table[c]).sum()) for c in cols}
    constant = [c for c in cols if len(set(_keys(table[c])) - {None}) <= 1]
    duplicate_columns = []
    seen = {}
    for c in cols:
        key = tuple(_keys(table[c]))
        if key in seen:
            duplicate_columns.append((seen[key], c))
        else:
            seen[key] = c
    rows = table.rows()
    dups = duplicate_rows(rows)
    outliers = {}
    for c in cols:
        if table.kinds.get(c) == "numeric" and c != target:
            z = robust_zscore(np.asarray(table[c], dtype=np.float64).reshape(-1, 1)).ravel()
            outliers[c] = int((np.abs(z) > Z_THRESHOLD).sum())
    out = {
        "rows": n,
        "columns": len(cols),
        "kinds": dict(table.kinds),
        "missing": missing,
        "all_missing": [c for c in cols if missing[c] == n],
        "constant": constant,
        "duplicate_columns": duplicate_columns,
        "duplicate_rows": int(len(dups)),
        "outliers": outliers,
        "id_columns": [c for c in cols if table.kinds.get(c) == "id"],
        "notes": list(getattr(table, "notes", [])),
        "target": target,
    }
    if target is not None:
        task = task or infer_task(table, target)
        out["task"] = task
        if task == "classification":
            counts = {}
            spelled = getattr(table, "labels", {}).get(target, {})
            for v in _keys(table[target]):
                if v is not None:
                    label = spelled.get(_label(v), _label(v))
                    counts[label] = counts.get(label, 0) + 1
            out["class_balance"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        assoc = {}
        for c in cols:
            if c == target:
                continue
            method, value = _association(table, c, target, task)
            if value is not None:
                assoc[c] = {"method": method, "value": value}
        out["association"] = assoc
        t_keys = _keys(table[target])
        out["equals_target"] = [c for c in cols if c != target and _same(_keys(table[c]), t_keys)]
    if test is not None:
        train_rows = {tuple(_keys(np.asarray(r, dtype=object))) for r in rows}
        out["test_rows_in_train"] = int(
            sum(tuple(_keys(np.asarray(r, dtype=object))) in train_rows for r in test.rows())
        )
    return out


def _label(v):
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def _same(a, b) -> bool:
    """True when column ``a`` is the target ``b`` under another name (equal values, or one
    value of ``a`` per target value and back: a relabelling)."""
    pairs = [(x, y) for x, y in zip(a, b) if y is not None]
    if not pairs or any(x is None for x, _ in pairs):
        return False
    if all(x == y for x, y in pairs):
        return True
    forward, backward = {}, {}
    for x, y in pairs:
        if forward.setdefault(x, y) != y or backward.setdefault(y, x) != x:
            return False
    return len(forward) < len(pairs)  # a relabelling that repeats (not a row id)
