"""PyTorch's global numerics switches: ``set_float32_matmul_precision`` and
``use_deterministic_algorithms``, recorded and readable.

glassnet always multiplies float32 in full float32 and its kernels are deterministic, so
neither changes a result; a program that sets them runs unchanged. As in PyTorch, a precision
other than 'highest' also turns on ``backends.cuda.matmul.allow_tf32``.

>>> import glassnet
>>> glassnet.set_float32_matmul_precision("high")
>>> glassnet.get_float32_matmul_precision(), glassnet.backends.cuda.matmul.allow_tf32
('high', True)
>>> glassnet.set_float32_matmul_precision("highest")
"""

from __future__ import annotations

import warnings

from glassnet.backends import cuda

_PRECISIONS = ("highest", "high", "medium")
_precision = "highest"
_deterministic = False
_warn_only = False


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' (the default), 'high' or 'medium'."""
    global _precision
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """The precision last set ('high' once ``cuda.matmul.allow_tf32`` is set, as in PyTorch)."""
    if not cuda.matmul.allow_tf32:
        return "highest"
    return _precision if _precision != "highest" else "high"


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic kernels: glassnet's already are."""
    global _deterministic, _warn_only
    if not isinstance(mode, bool):
        raise TypeError(
            f"use_deterministic_algorithms(): argument 'mode' must be bool, not "
            f"{type(mode).__name__}"
        )
    _deterministic, _warn_only = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _warn_only
