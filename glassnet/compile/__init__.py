"""``glassnet.compile``: trace a function of tensors once, then replay its plan of array calls.

The first call with a given signature (input shapes, dtypes, devices, requires_grad, grad mode,
and the train/eval mode of the modules it calls) runs eagerly while recording every op's
forward, the backward the engine runs, dropout masks and optimizer steps. Later calls replay
that flat plan: no graph is built, no Tensor or Function objects are made for intermediate
values, nothing is sorted. ``compiled.explain()`` prints the plan. See docs/compile.md.

>>> import glassnet
>>> f = glassnet.compile(lambda x: (x * 2).sum())
>>> f(glassnet.ones(3)), f(glassnet.ones(3))
(tensor(6.), tensor(6.))
"""

from __future__ import annotations

import sys
import types

from glassnet.compile.compiled import Compiled, compile  # noqa: A004 - as torch.compile
from glassnet.compile.errors import CompileError

__all__ = ["compile", "Compiled", "CompileError"]


class _CallableModule(types.ModuleType):
    """The package itself is callable, so ``glassnet.compile(fn)`` works whether the name
    resolves to this package or to the function."""

    def __call__(self, fn=None, **kwargs):
        return compile(fn, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
