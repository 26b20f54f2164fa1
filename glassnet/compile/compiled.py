"""``glassnet.compile``: the wrapper that records a plan per call signature and replays it."""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

from glassnet import backend, grad_mode
from glassnet.compile import effects
from glassnet.compile.errors import CompileError
from glassnet.compile.recorder import Recorder
from glassnet.tensor import Tensor

_active = []  # the recorders running now: a compiled function called inside one runs eagerly


def _flatten(value, tensors):
    """The structure of the arguments with tensors replaced by their signature; the tensors
    themselves are appended to ``tensors`` in order."""
    if isinstance(value, Tensor):
        tensors.append(value)
        data = value._data
        return ("T", data.shape, data.dtype.str, backend.device_of(data), value.requires_grad)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_flatten(v, tensors) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _flatten(v, tensors)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        raise CompileError(
            f"glassnet.compile: an argument of type {type(value).__name__} is neither a tensor "
            "nor a hashable constant; pass tensors, numbers, strings or tuples of them."
        ) from None
    return ("C", value)


def _np_free(args):
    """Whether some array is not a NumPy one (then its device joins the key)."""
    return any(a._data.__class__ is not np.ndarray for a in args)


class Compiled:
    """A function traced once per call signature and replayed from its plan afterwards.

    ``cache_size`` bounds how many plans are kept (the least recently used one is dropped).
    """

    def __init__(self, fn, cache_size=8):
        if not callable(fn):
            raise TypeError(f"glassnet.compile: expected a function, got {type(fn).__name__}")
        if cache_size < 1:
            raise ValueError(f"glassnet.compile: cache_size must be >= 1, got {cache_size}")
        self.fn = fn
        self.cache_size = int(cache_size)
        self.plans = OrderedDict()  # signature -> [plans, one per module train/eval guard]
        self.recordings = 0  # how many plans were recorded (a test and a learner can look)
        self.replays = 0
        self.last_plan = None
        call = fn.forward if hasattr(fn, "forward") and hasattr(fn, "training") else fn
        self.name = getattr(call, "__qualname__", None) or type(fn).__name__
        self._code = getattr(getattr(call, "__func__", call), "__code__", None)
        functools.update_wrapper(self, call, updated=())

    def __call__(self, *args, **kwargs):
        if _active:  # inside another recording: be part of it
            return self.fn(*args, **kwargs)
        n = len(args)
        if n == 1 and not kwargs and args[0].__class__ is Tensor:
            # f(x), the commonest call (a model's forward): its key without the loops
            tensors = args
            a = args[0]
            d = a._data
            key = (grad_mode._enabled, d.shape, d.dtype, d.__class__, a.requires_grad)
            if d.__class__ is not np.ndarray:
                key += (backend.device_of(d),)
        elif n == 2 and not kwargs and args[0].__class__ is Tensor is args[1].__class__:
            # step(x, y), a training step: the same, for two tensors
            tensors = args
            a, b = args
            d, e = a._data, b._data
            key = (grad_mode._enabled, d.shape, d.dtype, a.requires_grad)
            key += (e.shape, e.dtype, b.requires_grad, d.__class__, e.__class__)
            if d.__class__ is not np.ndarray or e.__class__ is not np.ndarray:
                key += (backend.device_of(d), backend.device_of(e))
        elif not kwargs and all(a.__class__ is Tensor for a in args):
            # the usual call, f(x) or f(x, y): a flat key without the general walk
            tensors = args
            key = (grad_mode._enabled,) + tuple(
                (d.shape, d.dtype, d.__class__, a.requires_grad) for a in args for d in (a._data,)
            )
            if _np_free(args):
                key += tuple(backend.device_of(a._data) for a in args)
        else:
            tensors = []
            key = (_flatten(args, tensors), _flatten(kwargs, tensors), grad_mode._enabled)
        plans = self.plans.get(key)
        if plans is not None:
            for plan in plans:
                if plan.matches():
                    self.plans.move_to_end(key)
                    self.replays += 1
                    self.last_plan = plan
                    return plan.replay(tensors)
        plan, result = self._record(args, kwargs, tensors)
        if plans is None:
            plans = self.plans[key] = []
            if len(self.plans) > self.cache_size:
                self.plans.popitem(last=False)
        plans.append(plan)
        del plans[: -self.cache_size]
        self.last_plan = plan
        return result

    def _record(self, args, kwargs, tensors):
        rec = Recorder(self.name)
        for t in tensors:
            rec.bind_input(t)
        rec.current_inputs = tensors
        _active.append(rec)
        try:
            with effects.recording(rec, self._code):
                result = self.fn(*args, **kwargs)
            plan = rec.build(result)
        finally:
            _active.pop()
        self.recordings += 1
        return plan, result

    def explain(self, print_=True):
        """Print (and return) the most recent plan: one line per array call, with shapes."""
        if self.last_plan is None:
            text = f"{self.name}: not called yet, so no plan is recorded"
        else:
            text = self.last_plan.explain()
        if print_:
            print(text)
        return text

    def reset(self):
        """Forget every plan (the next call records again)."""
        self.plans.clear()
        self.last_plan = None

    def __repr__(self):
        return f"<compiled {self.name}: {sum(len(p) for p in self.plans.values())} plan(s)>"


def compile(fn=None, *, cache_size=8):  # noqa: A001 - glassnet.compile, as torch.compile
    """Trace ``fn`` once per signature and replay its plan of array calls afterwards.

    Usable as ``glassnet.compile(fn)``, ``@glassnet.compile`` or
    ``@glassnet.compile(cache_size=4)``; a Module compiles its forward call.

    >>> import glassnet
    >>> from glassnet import nn
    >>> _ = glassnet.manual_seed(0)
    >>> model = nn.Linear(2, 1)
    >>> @glassnet.compile
    ... def predict(x):
    ...     return model(x)
    >>> x = glassnet.ones(3, 2)
    >>> bool((predict(x) == model(x)).all()), bool((predict(x) == model(x)).all())
    (True, True)
    >>> predict.recordings, predict.replays
    (1, 1)
    """
    if fn is None:
        return lambda f: Compiled(f, cache_size=cache_size)
    return Compiled(fn, cache_size=cache_size)
