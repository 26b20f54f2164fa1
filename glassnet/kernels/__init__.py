"""Compiled elementwise kernels: the optional ``[jit]`` extra (numba).

Some elementwise work costs NumPy a dozen whole-array passes, each reading and writing memory
(GELU with its slope: about twenty). A numba kernel does the same arithmetic in one loop per
cache-sized block, vectorised by LLVM. The ops use a kernel only where it pays and can be told
not to: an array of at least :data:`MIN_SIZE` elements on the CPU, numba installed, and kernels
not switched off (``GLASSNET_KERNELS=0`` in the environment, or :func:`disabled`). Every op
keeps its NumPy path, and the tests run both against the same oracle.

The first call of a kernel in a new environment compiles it (a second or two); the machine code
is cached beside the sources, so later processes load it.

>>> import glassnet.kernels as kernels
>>> with kernels.disabled():
...     kernels.enabled()
False
"""

from __future__ import annotations

import contextlib
import importlib.util
import os

import numpy as np

# Below this many elements a kernel's call overhead (about 1 µs) is more than it saves.
MIN_SIZE = 4096

_ENVIRONMENT_SWITCH = "GLASSNET_KERNELS"
_switched_on = [os.environ.get(_ENVIRONMENT_SWITCH, "1").strip() not in ("0", "false", "off")]
_numba_found: list[bool] = []


def numba_installed() -> bool:
    """Whether numba can be imported (looked up once, without importing it)."""
    if not _numba_found:
        _numba_found.append(importlib.util.find_spec("numba") is not None)
    return _numba_found[0]


def enabled() -> bool:
    """Whether the ops may use compiled kernels now."""
    return _switched_on[0] and numba_installed()


@contextlib.contextmanager
def disabled():
    """Run a block on the NumPy paths only (to compare, or to time them)."""
    before = _switched_on[0]
    _switched_on[0] = False
    try:
        yield
    finally:
        _switched_on[0] = before


def wanted(a) -> bool:
    """Whether an op should hand array ``a`` to a kernel: a NumPy array big enough to pay."""
    return isinstance(a, np.ndarray) and a.size >= MIN_SIZE and enabled()
