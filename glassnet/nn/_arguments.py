"""Checks of the settings a layer is made with, so an impossible one fails where it enters.

Each check names the layer, the argument, the value it got and what is allowed. The exception
classes follow PyTorch: a wrong type is a TypeError; a value out of range a ValueError; where
PyTorch raises RuntimeError for the same setting (a negative size reaching ``torch.empty``, an
unknown activation name, a setting its kernel refuses on the first call), or either class
depending on the value, ``InvalidArgumentError``, which is both a ValueError and a
RuntimeError, so either ``except`` clause catches it.

>>> check_size("Linear", "in_features", -1)
Traceback (most recent call last):
...
glassnet.nn._arguments.InvalidArgumentError: Linear: in_features must be a non-negative int, got -1
"""

from __future__ import annotations

import math
import numbers

from glassnet.errors import GlassnetError

__all__: list = []


class InvalidArgumentError(GlassnetError, ValueError, RuntimeError):
    """A layer setting out of range where PyTorch raises RuntimeError (a ValueError too)."""


def _is_int(value):
    return isinstance(value, numbers.Integral)  # bool too, as PyTorch takes True for 1


def check_int(layer, name, value, *, minimum=0, error=InvalidArgumentError):
    """``value`` as an int, at least ``minimum`` (None: any); a non-integer is a TypeError."""
    if not _is_int(value):
        raise TypeError(
            f"{layer}: {name} must be an int, got {value!r} of type {type(value).__name__}"
        )
    if minimum is not None and value < minimum:
        what = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise error(f"{layer}: {name} must be {what}, got {value!r}")
    return int(value)


def check_size(layer, name, value, *, positive=False, error=InvalidArgumentError):
    """A dimension of a weight: an int >= 0 (>= 1 with ``positive``)."""
    return check_int(layer, name, value, minimum=1 if positive else 0, error=error)


def check_shape(layer, name, shape):
    """A shape given as an int or a sequence of ints, each >= 0; returned as a tuple."""
    if _is_int(shape):
        return (check_size(layer, name, shape),)
    if not isinstance(shape, (tuple, list)) and not hasattr(shape, "__iter__"):
        raise TypeError(f"{layer}: {name} must be an int or a sequence of ints, got {shape!r}")
    dims = tuple(shape)
    for d in dims:
        if not _is_int(d):
            raise TypeError(f"{layer}: {name} must hold ints, got {shape!r}")
        if d < 0:
            raise InvalidArgumentError(
                f"{layer}: {name} must hold non-negative sizes, got {tuple(int(x) for x in dims)}"
            )
    return tuple(int(d) for d in dims)


def check_number(layer, name, value):
    """A real number (not a string, not None): a TypeError otherwise."""
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"{layer}: {name} must be a number, got {value!r} of type {type(value).__name__}"
        )
    return value


def check_probability(layer, name, value, error=InvalidArgumentError):
    """A probability in [0, 1] (NaN is refused). PyTorch raises ValueError for a dropout
    probability out of range when the layer is made, RuntimeError for NaN on the first call:
    InvalidArgumentError is both."""
    check_number(layer, name, value)
    if not 0.0 <= value <= 1.0:
        raise error(f"{layer}: {name} (a probability) has to be between 0 and 1, but got {value}")
    return value


def check_at_least(layer, name, value, minimum, *, strict=False, error=InvalidArgumentError):
    """A finite number >= ``minimum`` (> with ``strict``), such as an eps or a margin."""
    check_number(layer, name, value)
    bad = not math.isfinite(value) or (value <= minimum if strict else value < minimum)
    if bad:
        relation = ">" if strict else ">="
        raise error(f"{layer}: {name} must be a finite number {relation} {minimum}, got {value}")
    return value


def check_choice(layer, name, value, allowed, *, error=ValueError):
    """One of the strings in ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise error(f"{layer}: {name} must be one of {options}, got {value!r}")
    return value
