"""Checks of the settings of windowed ops (convolution, pooling, unfold/fold), where they enter.

Every check names the op or layer, the argument, the value it got and what is allowed. The
exception classes follow PyTorch: a value of the wrong type (``stride=1.5``) is a TypeError; a
value out of range (``stride=0``, negative padding, ``groups`` that do not divide the channels)
is an ``InvalidArgumentError``, both a ValueError (what a Python user guesses) and a RuntimeError
(what PyTorch raises from its kernels), so either ``except`` clause catches it.

>>> int_tuple(2, 3, "stride", "conv3d")
(2, 2, 2)
>>> check_positive((1, 0), "stride", "conv2d")
Traceback (most recent call last):
...
glassnet.nn._arguments.InvalidArgumentError: conv2d: stride must be positive in \
every dim, got stride=(1, 0); 1 visits every position, 2 every other one.
"""

from __future__ import annotations

import numbers

from glassnet.nn._arguments import InvalidArgumentError

__all__: list = []

_HINTS = {
    "stride": "1 visits every position, 2 every other one",
    "dilation": "1 is a dense kernel, 2 skips every other input",
    "kernel_size": "the window must cover at least one input",
    "padding": "0 adds nothing; to crop, slice the input or use F.pad with negative amounts",
    "output_padding": "it adds that many rows/columns at the end of the output",
}


def where(op):
    """The message prefix naming the caller (a layer passes None: Module adds its path)."""
    return f"{op}: " if op else ""


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_tuple(value, n, name, op):
    """``value`` (an int, or a sequence of 1 or ``n`` ints) as a tuple of ``n`` ints.

    A bool, a float or a string is a TypeError (PyTorch refuses them too, rather than truncate
    ``stride=1.5`` to 1); a sequence of another length is an InvalidArgumentError.
    """
    # Layers pass tuples of ints already: the common case returns at once (it runs per call).
    if value.__class__ is tuple and len(value) == n and all(v.__class__ is int for v in value):
        return value
    if _is_int(value):
        return (int(value),) * n
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise TypeError(
            f"{where(op)}{name} must be an int or a tuple of {n} ints, got {value!r}"
            + (f" of type {type(value).__name__}" if not isinstance(value, (tuple, list)) else "")
        )
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise InvalidArgumentError(
            f"{where(op)}expected {name} to be a single int or a tuple of {n} ints (one per "
            f"spatial dim), got {name}={value}"
        )
    return value


def check_positive(values, name, op):
    """Raise unless every entry of ``values`` is at least 1."""
    if min(values, default=1) < 1:
        hint = _HINTS.get(name, "")
        raise InvalidArgumentError(
            f"{where(op)}{name} must be positive in every dim, got {name}={values}"
            + (f"; {hint}." if hint else ".")
        )
    return values


def check_non_negative(values, name, op):
    """Raise unless every entry of ``values`` is at least 0."""
    if min(values, default=0) < 0:
        hint = _HINTS.get(name, "")
        raise InvalidArgumentError(
            f"{where(op)}{name} must be non-negative in every dim, got {name}={values}"
            + (f"; {hint}." if hint else ".")
        )
    return values


def check_int(value, name, op, minimum):
    """An int at least ``minimum`` (None: any int); a non-integer is a TypeError."""
    if not _is_int(value):
        raise TypeError(
            f"{where(op)}{name} must be an int, got {value!r} of type {type(value).__name__}"
        )
    if minimum is not None and value < minimum:
        what = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise InvalidArgumentError(f"{where(op)}{name} must be {what}, got {name}={value}")
    return int(value)


def window_args(op, nd, kernel_size, stride, padding, dilation, *, stride_default=None):
    """Kernel, stride, padding and dilation of a sliding-window op as checked n-tuples:
    positive kernel, stride and dilation, non-negative padding. ``stride`` None (or empty)
    takes ``stride_default`` (pooling: the kernel size)."""
    kernel = check_positive(int_tuple(kernel_size, nd, "kernel_size", op), "kernel_size", op)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel if stride_default is None else stride_default
    stride = check_positive(int_tuple(stride, nd, "stride", op), "stride", op)
    padding = check_non_negative(int_tuple(padding, nd, "padding", op), "padding", op)
    dilation = check_positive(int_tuple(dilation, nd, "dilation", op), "dilation", op)
    return kernel, stride, padding, dilation


def check_choice(value, allowed, name, op):
    """One of the strings in ``allowed`` (a ValueError otherwise, as PyTorch's layers)."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{where(op)}{name} must be one of {options}, got {name}={value!r}")
    return value
