"""Checks for optimizer and scheduler settings, so a bad value fails where it is given.

A rule says what one setting may be; ``validate`` applies it and, on a bad value, raises the
exception PyTorch raises there (ValueError for a value out of range, TypeError for something that
is not a number at all) with a message naming the owner, the setting, the value and what is
allowed. Where PyTorch lets a value through that can only make the run silently wrong (a NaN or
infinite learning rate, a period of zero steps), glassnet still refuses it; docs/optim.md lists
these differences.

>>> validate("Adam", "lr", 1e-3, NON_NEGATIVE)
0.001
>>> validate("Adam", "eps", float("nan"), NON_NEGATIVE)
Traceback (most recent call last):
    ...
ValueError: Adam: invalid eps=nan; expected a finite number >= 0
>>> validate("Adam", "betas", (0.9, 1.0), BETAS)
Traceback (most recent call last):
    ...
ValueError: Adam: invalid betas[1]=1.0 in betas=(0.9, 1.0); expected a finite number in [0, 1)
"""

from __future__ import annotations

import math
import numbers


class _RuleError(Exception):
    """Raised inside a rule: the exception class to raise and what the rule allows."""

    def __init__(self, error: type[Exception], allowed: str, detail: str = "", index=None):
        super().__init__(allowed)
        self.error, self.allowed, self.detail, self.index = error, allowed, detail, index


def _as_number(value, allowed):
    """A Python number from an int, a float, a NumPy scalar or a one-element array or Tensor
    (PyTorch takes a Tensor ``lr``); bools and strings are not numbers here."""
    if isinstance(value, bool):
        raise _RuleError(TypeError, allowed, "a bool")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, numbers.Real):  # NumPy scalars
        return float(value) if not isinstance(value, numbers.Integral) else int(value)
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "item"):
        size = math.prod(shape)
        if size != 1:
            raise _RuleError(
                ValueError, allowed, f"a Tensor of shape {tuple(shape)}, not 1-element"
            )
        return _as_number(value.item(), allowed)
    raise _RuleError(TypeError, allowed, f"a {type(value).__name__}")


class Real:
    """A finite real number in a range: ``Real(0)`` is >= 0, ``Real(0, 1, high_open=True)`` is
    [0, 1), ``Real(0, low_open=True)`` is > 0."""

    def __init__(self, low=None, high=None, *, low_open=False, high_open=False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    @property
    def allowed(self):
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a finite number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"a finite number {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"a finite number {'<' if self.high_open else '<='} {self.high:g}"
        return "a finite number"

    def __call__(self, value):
        number = _as_number(value, self.allowed)
        # NaN fails every comparison, so it is caught by the finiteness test, not the range.
        if not math.isfinite(number) or not self._in_range(number):
            raise _RuleError(ValueError, self.allowed)
        return number

    def _in_range(self, x):
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return self.high is None or (x < self.high if self.high_open else x <= self.high)


class Integer:
    """A Python (or NumPy) integer, at least ``low``; not a bool and not a float like 2.0."""

    def __init__(self, low=None):
        self.low = low
        self.allowed = "an integer" + (f" >= {self.low}" if self.low is not None else "")

    def __call__(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
            kind = ValueError if is_number else TypeError
            raise _RuleError(kind, self.allowed, f"a {type(value).__name__}")
        if self.low is not None and value < self.low:
            raise _RuleError(ValueError, self.allowed)
        return int(value)


class OneOf:
    """One of a few fixed values (a mode string, or None)."""

    def __init__(self, *choices):
        self.choices = choices
        self.allowed = "one of " + ", ".join(repr(c) for c in choices)

    def __call__(self, value):
        if not any(value is c or (isinstance(value, str) and value == c) for c in self.choices):
            raise _RuleError(ValueError, self.allowed)
        return value


class Pair:
    """Two values, each checked by ``rule`` (Adam's ``betas``); given as a tuple or a list."""

    def __init__(self, rule):
        self.rule = rule
        self.allowed = f"a pair of numbers, each {rule.allowed}"

    def __call__(self, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise _RuleError(TypeError, self.allowed, f"a {type(value).__name__}")
        if len(value) != 2:
            raise _RuleError(ValueError, self.allowed, f"{len(value)} values")
        checked = []
        for i, item in enumerate(value):
            try:
                checked.append(self.rule(item))
            except _RuleError as bad:
                raise _RuleError(bad.error, bad.allowed, bad.detail, index=(i, item)) from None
        return tuple(checked)


def validate(owner: str, name: str, value, rule):
    """Check ``value`` of the setting ``name`` of ``owner`` (an optimizer's or scheduler's name)
    against ``rule``; return it as a plain number (or tuple), or raise with a clear message."""
    try:
        return rule(value)
    except _RuleError as bad:
        if bad.index is not None:
            i, item = bad.index
            what = f"{name}[{i}]={item!r} in {name}={value!r}"
        else:
            what = f"{name}={value!r}"
        if bad.detail:
            what += f" ({bad.detail})"
        raise bad.error(f"{owner}: invalid {what}; expected {bad.allowed}") from None


def per_group(owner: str, name: str, value, groups: list, rule):
    """One checked value per parameter group: ``value`` itself for every group, or a list or
    tuple with one entry per group (OneCycleLR's ``max_lr``, ReduceLROnPlateau's ``min_lr``)."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(
                f"{owner}: {name} has {len(value)} values but the optimizer has {len(groups)} "
                f"parameter groups; give one value, or one per group"
            )
        return [validate(owner, f"{name}[{i}]", v, rule) for i, v in enumerate(value)]
    return [validate(owner, name, value, rule)] * len(groups)


NON_NEGATIVE = Real(0)
POSITIVE = Real(0, low_open=True)
UNIT_INTERVAL = Real(0, 1)
BETAS = Pair(Real(0, 1, high_open=True))
POSITIVE_INT = Integer(1)
NON_NEGATIVE_INT = Integer(0)

__all__ = [
    "validate",
    "per_group",
    "Real",
    "Integer",
    "OneOf",
    "Pair",
    "NON_NEGATIVE",
    "POSITIVE",
    "UNIT_INTERVAL",
    "BETAS",
    "POSITIVE_INT",
    "NON_NEGATIVE_INT",
]
