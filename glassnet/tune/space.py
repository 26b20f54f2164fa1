"""A search space written as text: ``name=low..high`` (a float range, integers if both ends
are integers), ``:log`` for a log scale, ``name=a|b|c`` for choices; entries separated by
commas.

>>> s = parse_space("lr=1e-4..1e-1:log,hidden=32|64|128,dropout=0..0.5,layers=1..3")
>>> s["lr"]
Param(name='lr', kind='float', low=0.0001, high=0.1, log=True, choices=None)
>>> s["layers"].kind, s["hidden"].choices, s["dropout"].high
('int', [32, 64, 128], 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Param:
    """One dimension: ``kind`` 'float', 'int' or 'choice'."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list | None = None

    def suggest(self, trial):
        """The trial's value for this parameter (Optuna's suggest_*)."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, self.choices)
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def grid(self, points=3):
        """Values for grid search: the choices, or ``points`` values spread over the range
        (geometrically on a log scale)."""
        import numpy as np

        if self.kind == "choice":
            return list(self.choices)
        if self.log:
            values = np.geomspace(self.low, self.high, points)
        else:
            values = np.linspace(self.low, self.high, points)
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [float(v) for v in values]


def _number(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_space(text: str) -> dict:
    """``{name: Param}`` from ``text`` (see the module docstring)."""
    space = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, sep, spec = entry.partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not name or not spec:
            raise ValueError(
                f"--space: {entry!r} is not name=low..high, name=low..high:log or name=a|b|c"
            )
        log = spec.endswith(":log")
        if log:
            spec = spec[: -len(":log")]
        if ".." in spec:
            lo_text, _, hi_text = spec.partition("..")
            lo, hi = _number(lo_text.strip()), _number(hi_text.strip())
            if isinstance(lo, str) or isinstance(hi, str) or not lo < hi:
                raise ValueError(f"--space: {entry!r}: the range needs two numbers, low < high")
            if log and lo <= 0:
                raise ValueError(f"--space: {entry!r}: a log range needs low > 0")
            kind = "int" if isinstance(lo, int) and isinstance(hi, int) else "float"
            space[name] = Param(
                name,
                kind,
                float(lo) if kind == "float" else lo,
                float(hi) if kind == "float" else hi,
                log,
            )
        else:
            choices = [_number(c.strip()) for c in spec.split("|")]
            space[name] = Param(name, "choice", choices=choices)
    if not space:
        raise ValueError("--space: empty; e.g. --space lr=1e-4..1e-1:log,hidden=32|64|128")
    return space
