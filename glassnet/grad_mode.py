"""Whether operations record a graph for autograd: no_grad, enable_grad, set_grad_enabled.

Each works as a context manager and as a decorator, as in PyTorch.

>>> import glassnet
>>> x = glassnet.ones(2, requires_grad=True)
>>> with glassnet.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


class _GradModeContext:
    """Sets grad mode on entry and restores the previous mode on exit; usable as a decorator."""

    mode: bool

    def __enter__(self):
        global _enabled
        self._previous = _enabled
        _enabled = self.mode
        return self

    def __exit__(self, exc_type, exc, tb):
        global _enabled
        _enabled = self._previous
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            # A new context per call, so recursion and threads each restore their own mode.
            with _Switch(mode):
                return func(*args, **kwargs)

        return wrapper


class _Switch(_GradModeContext):
    def __init__(self, mode: bool):
        self.mode = mode


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Run without recording a graph: faster, less memory; for evaluation and optimizer steps."""

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Record a graph again inside a no_grad block."""

    mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Switch grad mode on or off; takes effect at once, and as a context it restores on exit."""

    def __init__(self, mode: bool):
        global _enabled
        self.mode = bool(mode)
        self._previous = _enabled
        # PyTorch applies the mode immediately, so a bare call also works.
        _enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        global _enabled
        _enabled = self._previous
        return False

    def __call__(self, func):
        global _enabled
        # Used as a decorator: undo the immediate switch, apply the mode only inside calls.
        _enabled = self._previous
        return super().__call__(func)
