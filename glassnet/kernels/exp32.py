"""exp in float32, written out so that LLVM vectorises it inside other kernels.

numba's own ``math.exp`` on float32 calls the C library's scalar ``expf`` once per element,
slower than NumPy's SIMD exp; this one is Cephes' expf written without branches:
``exp(x) = 2^n * p(r)`` with ``n = round(x / ln 2)``, ``r = x - n ln 2`` (ln 2 split in two so
that ``n * ln2_high`` is exact) and ``p`` a degree-7 polynomial, and ``2^n`` built from its
bits. ``2^n`` is applied as two factors ``2^(n - n//2) * 2^(n//2)``, each a normal float32, so
that results in the subnormal range round once and overflow gives inf. Measured against float64:
at most 1.35 ulp (tests/test_kernels.py).

>>> import numpy as np
>>> x = np.array([-1.0, 0.0, 1.0, 100.0, -110.0], dtype=np.float32)
>>> exp32(x)
array([0.36787945, 1.        , 2.7182817 ,        inf, 0.        ], dtype=float32)
"""

from __future__ import annotations

import numba
import numpy as np

_LOG2E = np.float32(1.44269504088896341)
_LN2_HIGH = np.float32(0.693359375)  # 8 significant bits: n * _LN2_HIGH is exact for |n| < 2^16
_LN2_LOW = np.float32(-2.12194440e-4)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
# Inputs clamped to where exp is neither exactly inf nor exactly 0 in float32 (x = 89 overflows,
# x = -104 rounds to 0), which keeps n in [-150, 129] and the float-to-int conversion defined.
_HIGHEST = np.float32(89.0)
_LOWEST = np.float32(-104.0)
# Cephes expf's polynomial, highest power first: exp(r) ~ 1 + r + r^2 * P(r) on |r| <= ln2 / 2.
_P0 = np.float32(1.9875691500e-4)
_P1 = np.float32(1.3981999507e-3)
_P2 = np.float32(8.3334519073e-3)
_P3 = np.float32(4.1665795894e-2)
_P4 = np.float32(1.6666665459e-1)
_P5 = np.float32(5.0000001201e-1)

# Elements per block: the block's scratch (two int32 arrays) stays in the L1 cache.
BLOCK = 2048


@numba.njit(cache=True, error_model="numpy", nogil=True)
def exp_into(x, out, high_bits, low_bits):
    """``out[:] = exp(x)`` for 1-D float32 ``x`` and ``out`` of at most the scratch int32 arrays'
    length. NaN passes through; +inf gives inf, -inf 0. ``out`` should not be ``x``: the loop is
    still right in place, but LLVM's overlap check then takes its scalar version (4x slower)."""
    n_elements = x.shape[0]
    for i in range(n_elements):
        v = x[i]
        clamped = _HIGHEST if v > _HIGHEST else v  # selects, not branches: LLVM vectorises them
        clamped = _LOWEST if clamped < _LOWEST else clamped
        n = np.floor(clamped * _LOG2E + _HALF)
        r = clamped - n * _LN2_HIGH
        r = r - n * _LN2_LOW
        p = _P0 * r + _P1
        p = p * r + _P2
        p = p * r + _P3
        p = p * r + _P4
        p = p * r + _P5
        p = p * (r * r) + r + _ONE
        whole = np.int32(n)
        low = whole >> 1
        high = whole - low
        high_bits[i] = (high + 127) << 23
        low_bits[i] = (low + 127) << 23
        out[i] = p if v == v else v  # NaN (the only value unequal to itself) passes through
    high_scale = high_bits.view(np.float32)
    low_scale = low_bits.view(np.float32)
    for i in range(n_elements):
        out[i] = out[i] * high_scale[i] * low_scale[i]


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _exp_blocks(flat, out):
    high_bits = np.empty(BLOCK, np.int32)
    low_bits = np.empty(BLOCK, np.int32)
    for start in range(0, flat.shape[0], BLOCK):
        stop = min(start + BLOCK, flat.shape[0])
        exp_into(flat[start:stop], out[start:stop], high_bits, low_bits)


def exp32(x):
    """exp of a float32 NumPy array of any shape, as a new array (see the module docstring)."""
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise TypeError(f"exp32 takes float32 arrays, got {x.dtype}; cast with .astype(np.float32)")
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _exp_blocks(flat, out)
    return out.reshape(x.shape)
