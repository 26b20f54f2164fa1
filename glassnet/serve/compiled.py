"""Compiled inference for the server and the playground: a gradient-free forward recorded once
per input signature (``glassnet.compile``) and replayed afterwards, eager where it cannot be.

``CompiledInference(fn)`` calls ``fn(*tensors)`` under ``no_grad``. The first call with a new
signature (shapes, dtypes, the modules' train/eval mode) records a plan; later calls replay it.
A function that cannot be recorded (``CompileError``: it reads a tensor's value in Python, say)
runs eagerly from then on, and the reason is logged once on the ``glassnet.compile`` logger
and kept in ``fallback``. A lock keeps one call at a time: a recording listens to every op the
process runs, so another thread's ops must not run into it.

>>> import glassnet
>>> from glassnet import nn
>>> _ = glassnet.manual_seed(0)
>>> model = nn.Linear(3, 2).eval()
>>> infer = CompiledInference(model)
>>> x = glassnet.ones(4, 3)
>>> bool((infer(x) == model(x)).all()), bool((infer(x) == model(x)).all())
(True, True)
>>> infer.compiled.recordings, infer.compiled.replays, infer.fallback
(1, 1, None)
"""

from __future__ import annotations

import logging
import threading

from glassnet.compile import CompileError
from glassnet.compile import compile as compile_fn
from glassnet.grad_mode import no_grad

log = logging.getLogger("glassnet.compile")


class CompiledInference:
    """``fn`` compiled for gradient-free calls, with an eager fallback that says why."""

    def __init__(self, fn, name=None, cache_size=32):
        # a server sees a few batch sizes again and again (one plan each): keep more than 8
        self.fn = fn
        self.name = name or getattr(fn, "__qualname__", None) or type(fn).__name__
        self.compiled = compile_fn(fn, cache_size=cache_size)
        self.fallback = None  # the reason this runs eagerly, once it does
        self._lock = threading.Lock()

    def __call__(self, *args):
        with self._lock, no_grad():
            if self.fallback is None:
                try:
                    return self.compiled(*args)
                except CompileError as exc:
                    self.fallback = str(exc)
                    log.warning("%s runs eagerly (not compiled): %s", self.name, exc)
            return self.fn(*args)
