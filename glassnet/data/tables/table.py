"""Table: named columns of equal length, each a NumPy array (float64 for numeric and boolean
columns, object for the rest) with its inferred kind.

>>> import numpy as np
>>> t = Table({"a": np.array([1.0, 2.0]), "b": np.array(["x", "y"], dtype=object)})
>>> t[["a", "b"]].tolist()
[[1.0, 'x'], [2.0, 'y']]
>>> t.take([1]).rows()
[[2.0, 'y']]
"""

from __future__ import annotations

import numpy as np


class Table:
    """Columns by name (``table['price']``), several as a 2-d array (``table[['a', 'b']]``),
    rows by index (``take``). ``kinds[name]`` is the column's kind (see types.KINDS);
    ``source`` names the file it came from, for error messages."""

    def __init__(self, data: dict, kinds: dict | None = None, source: str = "table"):
        lengths = {len(v) for v in data.values()}
        if len(lengths) > 1:
            raise ValueError(f"{source}: columns have different lengths {sorted(lengths)}")
        self._data = {str(k): np.asarray(v) for k, v in data.items()}
        self.kinds = dict(kinds or {})
        self.source = source
        self.notes: list[str] = []  # what reading changed (numbers stored as text, ...)
        self.labels: dict = {}  # boolean column -> {"0": spelling of false, "1": of true}

    @property
    def columns(self) -> list:
        return list(self._data)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self._data.values()))) if self._data else 0

    def __len__(self):
        return self.n_rows

    @property
    def shape(self):
        return (self.n_rows, len(self._data))

    def __contains__(self, name):
        return name in self._data

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._data[key]
        cols = [self._data[k] for k in key]
        if not cols:
            return np.zeros((self.n_rows, 0))
        if all(c.dtype.kind in "biuf" for c in cols):
            return np.stack([c.astype(np.float64) for c in cols], axis=1)
        return np.stack([c.astype(object) for c in cols], axis=1)

    def take(self, indices) -> Table:
        """The rows at ``indices`` as a new Table."""
        idx = np.asarray(indices, dtype=np.int64)
        out = Table({k: v[idx] for k, v in self._data.items()}, self.kinds, self.source)
        out.labels = dict(self.labels)
        return out

    def drop(self, *names) -> Table:
        """A Table without the named columns."""
        kept = {k: v for k, v in self._data.items() if k not in names}
        out = Table(kept, {k: self.kinds.get(k) for k in kept}, self.source)
        out.labels = {k: v for k, v in self.labels.items() if k in kept}
        return out

    def rows(self) -> list:
        """The rows as lists of Python values."""
        cols = list(self._data.values())
        return [
            [c[i].item() if hasattr(c[i], "item") else c[i] for c in cols]
            for i in range(self.n_rows)
        ]

    def __repr__(self):
        kinds = ", ".join(f"{c}: {self.kinds.get(c, '?')}" for c in self.columns)
        return f"Table({self.n_rows} rows; {kinds})"
