"""Putting preprocessing steps together, with scikit-learn's names: ``Pipeline`` (steps one
after the other) and ``ColumnTransformer`` (different steps for different columns, side by
side). Both save their fitted steps as JSON (``to_json``/``from_json``), so a run folder
holds exactly what training fitted.

>>> import numpy as np
>>> from glassnet.data.preprocessing import SimpleImputer, StandardScaler
>>> pipe = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
>>> pipe.fit_transform(np.array([[1.0], [np.nan], [3.0]])).ravel().tolist()
[-1.224744871391589, 0.0, 1.224744871391589]
>>> Pipeline.from_json(pipe.to_json()).transform(np.array([[2.0]])).tolist()
[[0.0]]
"""

from __future__ import annotations

import json

import numpy as np


def step_classes() -> dict:
    """Every step class that ``from_json`` can rebuild, by class name."""
    from glassnet.data import preprocessing as p

    names = (
        "SimpleImputer MissingIndicator StandardScaler MinMaxScaler RobustScaler "
        "OutlierClipper OneHotEncoder OrdinalEncoder RareCategoryGrouper ToNumeric Pipeline "
        "ColumnTransformer"
    )
    return {name: getattr(p, name) for name in names.split()}


def step_to_dict(step) -> dict | str:
    """``{'class': name, 'state': state_dict}``, or the strings 'passthrough' / 'drop'."""
    if isinstance(step, str):
        return step
    return {"class": type(step).__name__, "state": step.state_dict()}


def step_from_dict(entry):
    """The fitted step ``step_to_dict`` described."""
    if isinstance(entry, str):
        return entry
    classes = step_classes()
    if entry.get("class") not in classes:
        raise ValueError(
            f"preprocessing: unknown step class {entry.get('class')!r}; known: "
            f"{', '.join(sorted(classes))}"
        )
    return classes[entry["class"]]().load_state_dict(entry["state"])


class _Composite:
    def to_json(self) -> str:
        """The fitted composition as a JSON string."""
        return json.dumps(self.state_dict())

    @classmethod
    def from_json(cls, text: str):
        """Rebuild a fitted composition from ``to_json`` output."""
        return cls().load_state_dict(json.loads(text))

    def fit_transform(self, x, y=None):
        return self.fit(x, y).transform(x)


def _apply(step, x, fit, y=None):
    if step == "passthrough" or step is None:
        return x
    if fit:
        return (
            step.fit_transform(x, y)
            if hasattr(step, "fit_transform")
            else step.fit(x, y).transform(x)
        )
    return step.transform(x)


class Pipeline(_Composite):
    """Steps ``[(name, step), ...]`` applied in order: ``fit`` fits each on the output of the
    ones before; ``transform`` runs them all. ``named_steps[name]`` reaches a step; a step may
    be 'passthrough'."""

    def __init__(self, steps=None):
        self.steps = list(steps or [])
        names = [n for n, _ in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"Pipeline: step names must be unique, got {names}")

    @property
    def named_steps(self) -> dict:
        return dict(self.steps)

    def fit(self, x, y=None):
        for i, (_, step) in enumerate(self.steps):
            if i == len(self.steps) - 1:
                if step not in ("passthrough", None):
                    step.fit(x, y)
            else:
                x = _apply(step, x, True, y)
        return self

    def fit_transform(self, x, y=None):
        for _, step in self.steps:
            x = _apply(step, x, True, y)
        return x

    def transform(self, x):
        for _, step in self.steps:
            x = _apply(step, x, False)
        return x

    def __getitem__(self, index):
        return self.steps[index][1] if isinstance(index, int) else self.named_steps[index]

    def __len__(self):
        return len(self.steps)

    def state_dict(self) -> dict:
        return {"steps": [[name, step_to_dict(step)] for name, step in self.steps]}

    def load_state_dict(self, state: dict):
        self.steps = [(name, step_from_dict(entry)) for name, entry in state["steps"]]
        return self

    def __repr__(self):
        return f"Pipeline({self.steps!r})"


def _select(x, columns):
    """Columns of ``x`` by position (a 2-d array) or by name (a table or DataFrame)."""
    if columns and all(isinstance(c, str) for c in columns):
        if not hasattr(x, "columns"):
            raise ValueError(
                f"ColumnTransformer: columns {columns} are names, but the data is a plain "
                "array; give column positions or a table with named columns"
            )
        missing = [c for c in columns if c not in list(x.columns)]
        if missing:
            raise KeyError(f"ColumnTransformer: no column {missing[0]!r} in the data")
        return np.asarray(x[list(columns)])
    a = np.asarray(x)
    return a[:, list(columns)]


def _width(x):
    return len(x.columns) if hasattr(x, "columns") else np.asarray(x).shape[1]


def _names(x):
    return [str(c) for c in x.columns] if hasattr(x, "columns") else None


class ColumnTransformer(_Composite):
    """Transformers ``[(name, transformer, columns), ...]``, each fitted on its own columns
    (positions, or names for a table), outputs placed side by side in that order.
    ``remainder``: 'drop' (the default, as scikit-learn) or 'passthrough' for the columns no
    transformer named; a transformer may be 'drop' or 'passthrough'."""

    def __init__(self, transformers=None, remainder="drop"):
        if remainder not in ("drop", "passthrough"):
            raise ValueError("ColumnTransformer: remainder must be 'drop' or 'passthrough'")
        self.transformers = list(transformers or [])
        self.remainder = remainder
        self.n_features_in_ = None
        self._remainder_columns = []

    @property
    def named_transformers_(self) -> dict:
        return {name: t for name, t, _ in self.transformers}

    def _resolve_remainder(self, x):
        used = set()
        names = _names(x)
        for _, _, cols in self.transformers:
            for c in cols:
                used.add(names.index(c) if isinstance(c, str) else int(c))
        rest = [j for j in range(_width(x)) if j not in used]
        return [names[j] for j in rest] if names else rest

    def _blocks(self, x, fit, y=None):
        blocks = []
        for _, step, cols in self.transformers:
            if step == "drop" or not len(cols):
                continue
            blocks.append(_apply(step, _select(x, list(cols)), fit, y))
        if self.remainder == "passthrough" and self._remainder_columns:
            blocks.append(_select(x, self._remainder_columns))
        return _stack(blocks, len(x) if not hasattr(x, "shape") else x.shape[0])

    def fit(self, x, y=None):
        self.fit_transform(x, y)
        return self

    def fit_transform(self, x, y=None):
        self.n_features_in_ = _width(x)
        self._remainder_columns = self._resolve_remainder(x)
        return self._blocks(x, True, y)

    def transform(self, x):
        if self.n_features_in_ is None:
            raise RuntimeError("ColumnTransformer.transform: call fit(train_data) first")
        if _width(x) != self.n_features_in_:
            raise ValueError(
                f"ColumnTransformer.transform: fitted on {self.n_features_in_} columns, got "
                f"{_width(x)}"
            )
        return self._blocks(x, False)

    def state_dict(self) -> dict:
        return {
            "transformers": [
                [name, step_to_dict(step), list(cols)] for name, step, cols in self.transformers
            ],
            "remainder": self.remainder,
            "n_features_in_": self.n_features_in_,
            "remainder_columns": list(self._remainder_columns),
        }

    def load_state_dict(self, state: dict):
        self.transformers = [
            (name, step_from_dict(entry), list(cols)) for name, entry, cols in state["transformers"]
        ]
        self.remainder = state["remainder"]
        self.n_features_in_ = state["n_features_in_"]
        self._remainder_columns = list(state["remainder_columns"])
        return self

    def __repr__(self):
        return f"ColumnTransformer({self.transformers!r}, remainder={self.remainder!r})"


def _stack(blocks, n):
    if not blocks:
        return np.zeros((n, 0))
    blocks = [np.asarray(b).reshape(n, -1) for b in blocks]
    if all(b.dtype.kind in "biuf" for b in blocks):
        return np.concatenate([b.astype(np.float64) for b in blocks], axis=1)
    return np.concatenate([b.astype(object) for b in blocks], axis=1)
