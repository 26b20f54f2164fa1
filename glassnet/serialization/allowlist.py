"""``safe_globals`` and ``add_safe_globals``: PyTorch's names, kept so PyTorch code runs.

In PyTorch, ``torch.load(f, weights_only=True)`` unpickles with an allowlist of classes and
functions, and these calls extend that allowlist. glassnet never unpickles anything: a file is
JSON plus raw tensor bytes, and only tensors, arrays, numbers, strings, None, lists, tuples and
dicts come out of it. So there is no allowlist to extend. The names are accepted, remembered
(``get_safe_globals`` returns them, as in PyTorch) and have no effect on what ``load`` returns.

>>> import glassnet
>>> from glassnet.serialization import safe_globals, get_safe_globals
>>> class Config:
...     pass
>>> with safe_globals([Config]):
...     Config in get_safe_globals()
True
>>> Config in get_safe_globals()
False
"""

from __future__ import annotations

_allowed: list = []


def _check(safe_globals):
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(
            f"safe_globals must be a list of classes/functions (or (obj, name) tuples), got "
            f"{type(safe_globals).__name__}"
        )
    return list(safe_globals)


def add_safe_globals(safe_globals) -> None:
    """Accepted for PyTorch compatibility; no effect, since glassnet never unpickles."""
    _allowed.extend(g for g in _check(safe_globals) if g not in _allowed)


def get_safe_globals() -> list:
    """What ``add_safe_globals`` was given (which glassnet never needs)."""
    return list(_allowed)


def clear_safe_globals() -> None:
    """Forget the names given to ``add_safe_globals``."""
    _allowed.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """Context manager form of ``add_safe_globals``; restores the list on exit. No effect on
    loading: glassnet never unpickles."""

    def __init__(self, safe_globals):
        self.safe_globals = _check(safe_globals)
        self._saved = None

    def __enter__(self):
        self._saved = list(_allowed)
        add_safe_globals(self.safe_globals)
        return self

    def __exit__(self, *exc):
        _allowed[:] = self._saved
        return False
