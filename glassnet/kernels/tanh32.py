"""tanh in float32, written out so that it vectorises inside other kernels (the LSTM cell's).

Below |x| = 0.625 Cephes' odd polynomial ``x + x^3 P(x^2)`` (no cancellation near 0); above,
``1 - 2 / (exp(2|x|) + 1)`` with :mod:`glassnet.kernels.exp32`'s exp, and x's sign. Both are
computed and one is selected, since branches keep LLVM from vectorising. At most 2 ulp against
float64 (tests/test_kernels.py); NaN passes through, +-inf give +-1, -0.0 stays -0.0.

>>> import numpy as np
>>> tanh32(np.array([-2.0, -0.0, 0.5, 30.0], dtype=np.float32)).tolist()
[-0.9640275835990906, -0.0, 0.46211716532707214, 1.0]
"""

from __future__ import annotations

import numba
import numpy as np

from glassnet.kernels.exp32 import BLOCK, exp_into

_ONE = np.float32(1.0)
_TWO = np.float32(2.0)
_ZERO = np.float32(0.0)
_SMALL = np.float32(0.625)
# Cephes tanhf on |x| < 0.625, highest power first: tanh(x) ~ x + x^3 * P(x^2).
_T0 = np.float32(-5.70498872745e-3)
_T1 = np.float32(2.06390887954e-2)
_T2 = np.float32(-5.37397155531e-2)
_T3 = np.float32(1.33314422036e-1)
_T4 = np.float32(-3.33332819422e-1)


@numba.njit(cache=True, error_model="numpy", nogil=True, inline="always")
def tanh_from_exp(v, exp_of_twice_abs):
    """tanh(v) given ``exp(2 |v|)`` (computed by the caller, vectorised)."""
    z = v * v
    small = ((((_T0 * z + _T1) * z + _T2) * z + _T3) * z + _T4) * z * v + v
    large = _ONE - _TWO / (exp_of_twice_abs + _ONE)
    large = large if v >= _ZERO else -large
    large = large if v == v else v  # NaN
    small = small if v != _ZERO else v  # -0.0 + +0.0 would round to +0.0
    return small if abs(v) < _SMALL else large


@numba.njit(cache=True, error_model="numpy", nogil=True)
def tanh_into(x, out, twice, high_bits, low_bits):
    """``out[:] = tanh(x)`` for 1-D float32 ``x`` and ``out`` (not the same array), ``twice`` a
    float32 scratch array and the int32 scratch of :func:`exp_into`, all of x's length."""
    n = x.shape[0]
    for i in range(n):
        twice[i] = _TWO * abs(x[i])
    exp_into(twice, out, high_bits, low_bits)
    for i in range(n):
        out[i] = tanh_from_exp(x[i], out[i])


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _tanh_blocks(flat, out):
    twice = np.empty(BLOCK, np.float32)
    high_bits = np.empty(BLOCK, np.int32)
    low_bits = np.empty(BLOCK, np.int32)
    for start in range(0, flat.shape[0], BLOCK):
        stop = min(start + BLOCK, flat.shape[0])
        n = stop - start
        tanh_into(flat[start:stop], out[start:stop], twice[:n], high_bits[:n], low_bits[:n])


def tanh32(x):
    """tanh of a float32 NumPy array of any shape, as a new array (see the module docstring)."""
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise TypeError(
            f"tanh32 takes float32 arrays, got {x.dtype}; cast with .astype(np.float32)"
        )
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _tanh_blocks(flat, out)
    return out.reshape(x.shape)
