"""GELU (exact) with its slope in one compiled pass: ``x * Phi(x)`` and ``Phi(x) + x * phi(x)``.

The same arithmetic as the NumPy path in :mod:`glassnet.ops.erf` (the lower tail
``Phi(-|x|) = t * exp(-x^2 / 2) * Q(t)``, ``t = 1 / (1 + p |x|)``, phi's exponential shared by
both results), done per cache-sized block in two loops instead of about twenty array passes;
the exponential is :mod:`glassnet.kernels.exp32`'s, so its error (1.35 ulp) is inside the error
bound the tests hold both paths to.

>>> import numpy as np
>>> from glassnet.ops.erf import _TAIL_P, _TAIL_Q
>>> x = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
>>> out, slope = np.empty_like(x), np.empty_like(x)
>>> gelu_and_slope_into(x, out, slope, np.float32(_TAIL_P), tuple(np.float32(c) for c in _TAIL_Q))
>>> bool(np.allclose(out, [-0.1586553, 0.0, 1.9544997], atol=1e-6))
True
"""

from __future__ import annotations

import math

import numba
import numpy as np

from glassnet.kernels.exp32 import BLOCK, exp_into

_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_MINUS_HALF = np.float32(-0.5)
_INV_SQRT_2PI = np.float32(1 / math.sqrt(2 * math.pi))


@numba.njit(cache=True, error_model="numpy", nogil=True)
def gelu_and_slope_into(x, out, slope, tail_p, tail_q):
    """Fill 1-D float32 ``out`` with GELU(x) and ``slope`` with its derivative; ``tail_p`` and
    ``tail_q`` are the tail fit's constants (float32; ``tail_q`` a tuple of the nine coefficients
    of the degree-8 fit, highest power first: a tuple, so that Horner's rule unrolls at compile
    time and the loop vectorises)."""
    size = x.shape[0]
    high_bits = np.empty(BLOCK, np.int32)
    low_bits = np.empty(BLOCK, np.int32)
    exponent = np.empty(BLOCK, np.float32)
    gauss = np.empty(BLOCK, np.float32)
    q8, q7, q6, q5, q4, q3, q2, q1, q0 = tail_q
    for start in range(0, size, BLOCK):
        stop = min(start + BLOCK, size)
        # slices, not out[start + i]: an index that might be negative makes numba wrap it, and the
        # wrap keeps LLVM from vectorising the loop (4x slower)
        block, block_out, block_slope = x[start:stop], out[start:stop], slope[start:stop]
        n = stop - start
        e, g = exponent[:n], gauss[:n]
        for i in range(n):
            e[i] = block[i] * block[i] * _MINUS_HALF
        exp_into(e, g, high_bits, low_bits)  # exp(-x^2 / 2) = phi * sqrt(2 pi)
        for i in range(n):
            v = block[i]
            t = _ONE / (_ONE + abs(v) * tail_p)
            q = (((((((q8 * t + q7) * t + q6) * t + q5) * t + q4) * t + q3) * t + q2) * t + q1) * t
            q = (q + q0) * t
            tail = q * g[i]  # Phi(-|x|)
            cdf = _ONE - tail if v > _ZERO else tail
            block_out[i] = v * cdf
            block_slope[i] = g[i] * v * _INV_SQRT_2PI + cdf
