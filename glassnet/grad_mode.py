"""Whether operations record a graph for autograd: no_grad, enable_grad, set_grad_enabled,
inference_mode.

Each works as a context manager and as a decorator (with or without parentheses for the ones
that take no argument, and on generator functions), as in PyTorch.

>>> import glassnet
>>> x = glassnet.ones(2, requires_grad=True)
>>> with glassnet.no_grad():
...     y = x * 2
>>> y.requires_grad
False
>>> @glassnet.inference_mode()
... def predict(x):
...     return x * 2
>>> predict(x).requires_grad, glassnet.is_grad_enabled()
(False, True)
"""

from __future__ import annotations

import functools
import inspect

_enabled = True
_inference = False


def is_grad_enabled() -> bool:
    """Whether ops record a graph now (False inside ``no_grad``)."""
    return _enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return _inference


class _GradModeContext:
    """Sets grad mode on entry and restores the previous mode on exit; usable as a decorator.

    Subclasses set ``mode`` (grad mode inside) and may set ``inference`` (None leaves the
    inference flag as it is).
    """

    mode: bool
    inference = None

    def __enter__(self):
        global _enabled, _inference
        self._previous = (_enabled, _inference)
        _enabled = self.mode
        if self.inference is not None:
            _inference = self.inference

    def __exit__(self, exc_type, exc, tb):
        global _enabled, _inference
        _enabled, _inference = self._previous
        return False

    def clone(self):
        """A new context with the same mode (each call of a decorated function gets one)."""
        return _Switch(self.mode, self.inference)

    def __call__(self, func):
        if inspect.isclass(func) or not callable(func):
            raise TypeError(
                f"{type(self).__name__} decorates functions; got {func!r}. Use it as "
                f"`@{type(self).__name__}()` above a def, or `with {type(self).__name__}():`."
            )
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(self, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            # A new context per call, so recursion and threads each restore their own mode.
            with self.clone():
                return func(*args, **kwargs)

        return wrapper


class _Switch(_GradModeContext):
    def __init__(self, mode, inference=None):
        self.mode, self.inference = mode, inference


class _NoArgument(_GradModeContext):
    """A context that takes no argument, so ``@no_grad`` works without parentheses too."""

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return cls()(func)


def _wrap_generator(context, func):
    """Run each step of the generator inside the context, outside it between steps."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context.clone():
            gen = func(*args, **kwargs)
            try:
                response = gen.send(None)
            except StopIteration as stop:
                return stop.value
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with context.clone():
                    gen.close()
                raise
            except BaseException as exc:  # thrown into us: pass it on, inside the mode
                with context.clone():
                    try:
                        response = gen.throw(exc)
                    except StopIteration as stop:
                        return stop.value
            else:
                with context.clone():
                    try:
                        response = gen.send(request)
                    except StopIteration as stop:
                        return stop.value

    return wrapper


class no_grad(_NoArgument):  # noqa: N801 - PyTorch's name
    """Run without recording a graph: faster, less memory; for evaluation and optimizer steps."""

    mode = False


class enable_grad(_NoArgument):  # noqa: N801
    """Record a graph again inside a no_grad block."""

    mode = True


class inference_mode(_GradModeContext):  # noqa: N801
    """``no_grad`` for inference, PyTorch's faster variant of it; glassnet's no_grad is
    already as fast, so it is the same switch. ``inference_mode(False)`` records a graph again,
    as PyTorch's does.

    Tensors made inside are ordinary tensors without a graph (PyTorch's inference tensors
    also refuse later use in autograd; glassnet does not track that).
    """

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # @inference_mode without ()
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = not bool(mode)
        self.inference = bool(mode)

    def clone(self):
        return _Switch(self.mode, self.inference)


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Switch grad mode on or off; takes effect at once, and as a context it restores on exit."""

    def __init__(self, mode: bool):
        global _enabled
        self.mode = bool(mode)
        self._previous = (_enabled, _inference)
        # PyTorch applies the mode immediately, so a bare call also works.
        _enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, func):
        global _enabled
        # Used as a decorator: undo the immediate switch, apply the mode only inside calls.
        _enabled = self._previous[0]
        return super().__call__(func)
