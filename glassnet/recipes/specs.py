"""The types of recipe fields: each spec checks a value (from a file or from Python) or parses
a command-line option's text, and says in words what it allows.

A spec's ``check`` returns the normalised value or raises ``SpecError``; the schema then adds the
field's name and where the value came from.

>>> Integer(1, 10).check(3), Number(0.0, low_open=True).check(2)
(3, 2.0)
>>> try:
...     Integer(1, 10).check(True)
... except SpecError as bad:
...     print(bad.note)
 (a boolean)
>>> Choice(("sgd", "adam")).check("Adam"), Choice(("sgd", "adam")).allowed
('adam', 'one of adam, sgd')
"""

from __future__ import annotations

import math
import numbers
import re


class SpecError(Exception):
    """A value a spec does not allow; ``note`` adds why (its type, which item)."""

    def __init__(self, note=""):
        super().__init__(note)
        self.note = note


def kind(value) -> str:
    """' (a float)': the type of a value in words, for errors about a wrong type."""
    if isinstance(value, bool):
        return " (a boolean)"
    if isinstance(value, numbers.Integral):
        return " (an integer)"
    if isinstance(value, numbers.Real):
        return " (a float)"
    if isinstance(value, str):
        return " (a string)"
    if isinstance(value, (list, tuple)):
        return " (a list)"
    if isinstance(value, dict):
        return " (a table)"
    if value is None:
        return ""
    return f" (a {type(value).__name__})"


def show(value) -> str:
    """A value as a recipe file would write it: true/false, quoted strings, none."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Spec:
    """The base: ``allowed`` in words, ``optional`` allows None, ``parse`` reads option text."""

    allowed = "a value"
    optional = False

    def check(self, value):
        if value is None and self.optional:
            return None
        return self._check(value)

    def _check(self, value):  # pragma: no cover - every spec defines it
        raise NotImplementedError

    def parse(self, text: str):
        if self.optional and text.strip().lower() in ("none", "null", ""):
            return None
        return text


class Integer(Spec):
    """A whole number in [low, high]; not a bool, not a float (not even 3.0)."""

    def __init__(self, low: int, high: int, optional: bool = False):
        self.low, self.high, self.optional = low, high, optional
        self.allowed = f"an integer from {low} to {high}" + (", or none" if optional else "")

    def _check(self, value):
        if not _is_int(value):
            raise SpecError(kind(value))
        if not self.low <= value <= self.high:
            raise SpecError()
        return int(value)

    def parse(self, text):
        text = super().parse(text)
        if text is None:
            return None
        try:
            return int(text.strip())
        except ValueError:
            raise SpecError() from None


class Number(Spec):
    """A finite real number between ``low`` and ``high`` (ends included unless open); ints are
    taken as floats, bools are not numbers."""

    def __init__(
        self,
        low=-math.inf,
        high=math.inf,
        *,
        low_open=False,
        high_open=False,
        optional=False,
        allowed=None,
    ):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.optional = optional
        self.allowed = allowed or f"a finite number from {low} to {high}"

    def _check(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SpecError(kind(value))
        value = float(value)
        if not math.isfinite(value):
            raise SpecError()
        if value < self.low or (self.low_open and value == self.low):
            raise SpecError()
        if value > self.high or (self.high_open and value == self.high):
            raise SpecError()
        return value

    def parse(self, text):
        text = super().parse(text)
        if text is None:
            return None
        try:
            return float(text.strip())
        except ValueError:
            raise SpecError() from None


class Boolean(Spec):
    """true or false (not 0/1 in a file; an option may say yes/no, on/off, 1/0)."""

    allowed = "true or false"

    def _check(self, value):
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise SpecError(kind(value))
        return bool(value)

    def parse(self, text):
        words = {"true": True, "yes": True, "on": True, "1": True}
        words.update({"false": False, "no": False, "off": False, "0": False})
        try:
            return words[text.strip().lower()]
        except KeyError:
            raise SpecError() from None


class Text(Spec):
    """A string (``nonempty``: with something in it)."""

    def __init__(self, nonempty: bool = False):
        self.nonempty = nonempty
        self.allowed = "a non-empty string" if nonempty else "a string"

    def _check(self, value):
        if not isinstance(value, str):
            raise SpecError(kind(value))
        if self.nonempty and not value.strip():
            raise SpecError()
        return value


class Choice(Spec):
    """One of a set of names (given, or a function giving them, looked up when first needed);
    case and '-' for '_' do not matter, the canonical name is kept."""

    def __init__(self, names, optional: bool = False):
        self._names, self.optional = names, optional

    @property
    def names(self):
        names = self._names() if callable(self._names) else self._names
        return sorted(names)

    @property
    def allowed(self):
        return f"one of {', '.join(self.names)}" + (", or none" if self.optional else "")

    def _check(self, value):
        if not isinstance(value, str):
            raise SpecError(kind(value))
        key = value.strip().lower().replace("-", "_")
        if key not in self.names:
            raise SpecError()
        return key


class Table(Spec):
    """A table (dict) with string keys; its values are checked by whoever reads them."""

    allowed = "a table of name = value pairs"

    def _check(self, value):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise SpecError(kind(value))
        return dict(value)


class TextList(Spec):
    """A list of strings (metric names)."""

    allowed = "a list of names"

    def _check(self, value):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise SpecError(kind(value))
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise SpecError(f" (item {i} is {show(item)})")
        return tuple(value)


class IntegerList(Spec):
    """A list of up to ``max_len`` integers, each in [low, high] (hidden layer widths)."""

    def __init__(self, low: int, high: int, max_len: int):
        self.low, self.high, self.max_len = low, high, max_len
        self.allowed = f"a list of at most {max_len} integers from {low} to {high}"

    def _check(self, value):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise SpecError(kind(value))
        if len(value) > self.max_len:
            raise SpecError(f" ({len(value)} items)")
        for i, item in enumerate(value):
            if not _is_int(item) or not self.low <= item <= self.high:
                raise SpecError(f" (item {i} is {show(item)})")
        return [int(v) for v in value]


class Device(Spec):
    """'cpu', 'cuda' or 'cuda:N'."""

    allowed = "cpu, cuda or cuda:N"
    optional = True

    def _check(self, value):
        if not isinstance(value, str):
            raise SpecError(kind(value))
        text = value.strip().lower()
        if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
            raise SpecError()
        return text
