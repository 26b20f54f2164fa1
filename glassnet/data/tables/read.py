"""Reading a table file: CSV or TSV (the delimiter sniffed from the first lines) or Parquet
(through pyarrow, imported only for a Parquet file). A file that cannot be read raises
TableError with one line naming the file, the row and the column.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "bad.csv")
>>> _ = open(path, "w").write("a,b\\n1,2\\n3\\n")
>>> try:
...     read_table(path)
... except TableError as exc:
...     print(str(exc).replace(path, "bad.csv"))
bad.csv: row 3 has 1 value, the header has 2 (a, b); every row needs one value per column
"""

from __future__ import annotations

import csv
import os

import numpy as np

from glassnet.data.preprocessing.cleaning import coerce_numeric
from glassnet.data.tables.table import Table
from glassnet.data.tables.types import FALSE, TRUE, infer_kind, is_missing_cell

DELIMITERS = ",;\t|"
TABLE_EXTENSIONS = (".csv", ".tsv", ".txt", ".parquet", ".pq")


class DataFileError(ValueError):
    """A data file (or folder) that cannot be used, with the file, row and column it is about;
    the command line shows its message as the whole story and exits with code 2."""

    def __init__(self, message, *, path=None, row=None, column=None):
        super().__init__(message)
        self.path, self.row, self.column = path, row, column


TableError = DataFileError  # the name used for table files


def _sniff(path, sample: str) -> str:
    if path.lower().endswith(".tsv"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_rows(path, delimiter):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", path=path
        ) from None
    if not text.strip():
        raise TableError(f"{path} is empty: no header and no rows", path=path)
    delimiter = delimiter or _sniff(path, text[:8192])
    rows = []
    for line_no, row in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        if row and any(c.strip() for c in row):
            rows.append((line_no, row))
    return rows, delimiter


def _looks_like_header(row) -> bool:
    numbers, report = coerce_numeric(row)
    return report["n_failed"] + report["missing"] == len(row) and all(c.strip() for c in row)


def _unique_names(names, path):
    seen, out = {}, []
    for i, name in enumerate(names):
        name = name.strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        out.append(name)
    return out


def read_table(path, delimiter=None, header="auto", kinds=None) -> Table:
    """The file at ``path`` as a Table of typed columns (see types.infer_kind): numeric and
    boolean columns as float64 (NaN where missing), the others as text (None where missing).
    ``header``: 'auto' (a first row of non-numbers is the header), True or False.
    ``kinds``: column name -> kind, to read a file the way an earlier one was read."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise TableError(f"data file {path} does not exist", path=path)
    if path.lower().endswith((".parquet", ".pq")):
        names, columns = _read_parquet(path)
        first_row = 2
    else:
        rows, delimiter = _read_rows(path, delimiter)
        has_header = _looks_like_header(rows[0][1]) if header == "auto" else bool(header)
        if has_header:
            names = _unique_names(rows[0][1], path)
            rows = rows[1:]
        else:
            names = [f"column_{i + 1}" for i in range(len(rows[0][1]))]
        if not rows:
            raise TableError(f"{path} has a header but no data rows", path=path, row=2)
        width = len(names)
        for line_no, row in rows:
            if len(row) != width:
                what = "the header has" if has_header else "the first row has"
                raise TableError(
                    f"{path}: row {line_no} has {len(row)} value{'s' * (len(row) != 1)}, "
                    f"{what} {width} ({', '.join(names[:8])}{', ...' if width > 8 else ''}); "
                    "every row needs one value per column",
                    path=path,
                    row=line_no,
                )
        columns = [[row[j] for _, row in rows] for j in range(width)]
        first_row = rows[0][0]
    table = _typed(path, names, columns, first_row, kinds or {})
    table.delimiter = delimiter
    return table


def _read_parquet(path):
    from glassnet._optional import require

    pq = require("pyarrow.parquet", "data")
    t = pq.read_table(path)
    return list(t.column_names), [t.column(c).to_pylist() for c in t.column_names]


def _typed(path, names, columns, first_row, forced) -> Table:
    data, kinds, notes, labels = {}, {}, [], {}
    for name, cells in zip(names, columns):
        kind = forced.get(name) or infer_kind(cells, name)
        kinds[name] = kind
        if kind == "numeric" or (kind == "id" and _all_numbers(cells)):
            values, report = coerce_numeric(cells)
            if report["cleaned"]:
                notes.append(
                    f"column {name!r}: {report['cleaned']} numbers stored as text with signs or "
                    "separators were read as numbers"
                )
            if report["n_failed"]:
                rows = ", ".join(
                    f"row {first_row + r} ({c!r})" for r, c in list(report["failed"].items())[:3]
                )
                notes.append(
                    f"column {name!r}: {report['n_failed']} cells are not numbers and became "
                    f"missing: {rows}"
                )
            data[name] = values
        elif kind == "boolean":
            spelled = {}
            for c in cells:
                if not is_missing_cell(c):
                    t = str(c).strip()
                    spelled.setdefault("1" if t.lower() in TRUE else "0", t)
            labels[name] = spelled
            data[name] = np.array(
                [
                    np.nan if is_missing_cell(c) else float(str(c).strip().lower() in TRUE)
                    for c in cells
                ]
            )
        else:
            data[name] = np.array(
                [None if is_missing_cell(c) else str(c).strip() for c in cells], dtype=object
            )
    table = Table(data, kinds, source=path)
    table.notes = notes
    table.labels = labels
    table.first_row = first_row
    return table


def _all_numbers(cells) -> bool:
    _, report = coerce_numeric(cells)
    return report["n_failed"] < len(cells)


assert set(FALSE).isdisjoint(TRUE)
