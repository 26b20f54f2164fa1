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


def preload() -> bool:
    """Compile every kernel now (or load it from numba's cache), instead of at the first op
    that needs it: for a server's start-up, or a measurement that should not count numba's
    one-time start (its runtime and the kernels' code take about 100 MiB). Each kernel is run
    once on tiny arrays of the types the ops pass. False, doing nothing, without numba.

    >>> import glassnet.kernels as kernels
    >>> kernels.preload() == kernels.numba_installed()
    True
    """
    if not numba_installed():
        return False
    from glassnet.kernels import batch_norm, gelu, layer_norm, lstm_cell, softmax

    f32 = np.float32
    row, rows2, rows3 = np.ones(4, f32), np.ones((2, 4), f32), np.ones((2, 4, 3), f32)
    gelu.gelu_and_slope_into(row, row.copy(), row.copy(), f32(0.5), tuple(f32(1) for _ in range(9)))
    stats = np.ones(2, f32)
    layer_norm.layer_norm_forward(rows2, row, row, f32(1e-5), rows2.copy(), rows2.copy(), stats)
    layer_norm.layer_norm_backward(rows2, rows2, stats, row, rows2.copy(), np.zeros(4), np.zeros(4))
    per_channel, totals = np.ones(4, f32), np.zeros(4)
    batch_norm.rows_moments(rows2, totals, totals.copy())
    batch_norm.rows_affine(rows2, per_channel, per_channel, per_channel, rows2.copy())
    batch_norm.rows_grad_sums(rows2, rows2, per_channel, totals, totals.copy())
    args = (per_channel, per_channel, per_channel, per_channel)
    batch_norm.rows_input_grad(rows2, rows2, *args, rows2.copy())
    planes, channels = np.ones((2, 3, 4), f32), np.ones(3, f32)
    batch_norm.planes_moments(planes, np.zeros(3), np.zeros(3))
    batch_norm.planes_affine(planes, channels, channels, channels, planes.copy())
    batch_norm.planes_grad_sums(planes, planes, channels, np.zeros(3), np.zeros(3))
    batch_norm.planes_input_grad(
        planes, planes, channels, channels, channels, channels, planes.copy()
    )
    softmax.softmax_rows_grad(rows3, rows3, rows3.copy())
    gates, state, cells = np.zeros((4, 2, 3), f32), np.zeros((3, 3), f32), np.zeros((2, 3), f32)
    lstm_cell.lstm_step_forward(
        gates, 0, np.zeros((4, 1, 3), f32), state, state.copy(), 0, 1, 0, cells
    )
    lstm_cell.lstm_step_backward(
        gates, 0, 1, cells, state.copy(), state.copy(), state, 0, 1, 0, np.zeros((2, 12), f32)
    )
    return True
