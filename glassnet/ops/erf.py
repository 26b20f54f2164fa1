"""The error function on arrays, and GELU's normal CDF built on it (forward and backward).

erf in float32 is an odd rational approximation evaluated in float32 with no ``exp`` (several
times faster than SciPy's erf, max abs error 4.5e-7). GELU's normal CDF is not built on that erf:
``0.5 * (1 + erf(x / sqrt(2)))`` cancels for negative x (near x = -4 the CDF is 3e-5, so an
absolute error of 4e-7 in erf is a 1% relative error in GELU, and PyTorch's float32 1 + erf
rounds to 0 below about -5.5). Phi is computed from the lower tail instead,
``Phi(-|x|) = 0.5 * erfc(|x| / sqrt(2))``, whose relative error is small at every x, and
``Phi(x) = 1 - Phi(-x)`` on the positive side. float64 uses SciPy's erf/erfc when installed,
else a series with 1.2e-7 relative error; CuPy arrays use CuPy's.

>>> import numpy as np
>>> x = np.array([-1.0, 0.0, 0.5], dtype=np.float32)
>>> bool(np.allclose(erf_array(x), [-0.8427008, 0.0, 0.5204999], atol=1e-6))
True
>>> out, slope = gelu_and_slope_array(x)
>>> bool(np.allclose(out, [-0.1586553, 0.0, 0.3457312], atol=1e-6))
True
>>> float(gelu_and_slope_array(np.array([-8.0], dtype=np.float32))[0][0])  # PyTorch's gives 0
-4.9...e-15
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import kernels
from glassnet.backend import get_array_module


def erf_array(a):
    """erf on an array. float32 (and float16): a rational approximation computed in float32,
    several times faster than SciPy's; float64: SciPy's when installed, else a 1.2e-7 accurate
    series; on the GPU: CuPy's."""
    xp = get_array_module(a)
    if xp.__name__ == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(a)
    if a.dtype == xp.float32 or a.dtype == xp.float16:
        return _odd_rational(a, 4.0, _ERF_P, _ERF_Q).astype(a.dtype, copy=False)
    try:
        from scipy.special import erf

        return erf(a).astype(a.dtype, copy=False)
    except ImportError:
        a64 = a.astype(xp.float64)
        return (xp.sign(a64) * (1.0 - _erfc_float64(xp.abs(a64)))).astype(a.dtype)


def normal_cdf_array(a):
    """Phi(x), the standard normal CDF, with a small relative error also far in the lower tail.

    float32 (and float16) on the CPU: the lower-tail form of :func:`_gelu_slope_float32`;
    otherwise ``0.5 * erfc(-x / sqrt(2))`` with SciPy's or CuPy's erfc (the series below without
    SciPy).
    """
    xp = get_array_module(a)
    if xp.__name__ == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special.erfc(a * a.dtype.type(-1 / math.sqrt(2))) * 0.5
    if a.dtype == xp.float32 or a.dtype == xp.float16:
        return _float32_blocks(a, cdf_only=True)[0]
    try:
        from scipy.special import erfc

        return (erfc(a * (-1 / math.sqrt(2))) * 0.5).astype(a.dtype, copy=False)
    except ImportError:
        a64 = a.astype(xp.float64)
        tail = 0.5 * _erfc_float64(xp.abs(a64) * (1 / math.sqrt(2)))
        return xp.where(a64 > 0, 1.0 - tail, tail).astype(a.dtype)


def gelu_and_slope_array(a):
    """GELU's forward on an array with its derivative: ``(x * Phi(x), Phi(x) + x * phi(x))``,
    phi the normal density. Kept by the forward, the slope makes the backward one multiply.

    float32 and float16 on the CPU: both in one blocked pass, compiled
    (:mod:`glassnet.kernels.gelu`) where :func:`glassnet.kernels.wanted`, else
    :func:`_float32_blocks`; otherwise from :func:`normal_cdf_array`.

    >>> import numpy as np
    >>> out, slope = gelu_and_slope_array(np.array([-1.0, 0.0, 2.0], dtype=np.float32))
    >>> bool(np.allclose(slope, [-0.0833155, 0.5, 1.0852318], atol=1e-6))
    True
    """
    xp = get_array_module(a)
    if (a.dtype == xp.float32 or a.dtype == xp.float16) and xp.__name__ != "cupy":
        return _gelu_kernel(a) if kernels.wanted(a) else _float32_blocks(a)
    cdf = normal_cdf_array(a)
    slope = xp.exp(a * a * a.dtype.type(-0.5))
    slope *= a
    slope *= a.dtype.type(1 / math.sqrt(2 * math.pi))
    slope += cdf
    return a * cdf, slope


# erf(x) ~ x * P(x^2) / Q(x^2) on [-4, 4] (erf is 1 in float32 beyond): the rational
# approximation of Eigen's and XLA's float32 erf. Max abs error 4.5e-7 (a few float32 ulps of
# 1; measured against float64 erf on a grid over [-12, 12]); relative error 4.5e-7 for normal
# (non-subnormal) x.
_ERF_P = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_Q = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)

# erfc(z) = t * exp(-z^2 + R(t)), t = 1 / (1 + z / 2), z >= 0, R a degree-9 polynomial (highest
# power first): the Chebyshev fit of Numerical Recipes' erfcc, relative error below 1.2e-7 for
# every z >= 0 when evaluated exactly.
_ERFC_R = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


# Elements per block of the float32 lower tail: its float32 buffers of this size stay in
# a core's L2 cache through the dozen passes of Horner's rule, which makes it about twice as fast
# as whole-array passes on activations of a few MiB.
_BLOCK = 65536


# Phi(-u) = t * exp(-u^2 / 2) * Q(t) with t = 1 / (1 + u * _TAIL_P), u >= 0: Q (highest power
# first, 1 / sqrt(2 pi) folded in) is a degree-8 weighted Chebyshev fit over t in [0, 1] (all of
# u >= 0) of the Mills ratio times (1 + u * _TAIL_P), max relative error 1.4e-7 against float64
# erfcx. Unlike Numerical Recipes' t * exp(-z^2 + R(t)), the exponential here is phi's own, so
# GELU's derivative Phi + x * phi reuses it.
_TAIL_P = 0.282
_TAIL_Q = (
    0.0249971412,
    -0.0920389727,
    0.0867713124,
    -0.0037787237,
    0.0712826818,
    0.0840937366,
    0.103672675,
    0.112498386,
    0.112501738,
)
# The kernel takes the fit as a tuple of float32 scalars: numba unrolls Horner's rule over it
# and keeps the arithmetic in float32.
_TAIL_Q_FLOAT32 = tuple(np.float32(c) for c in _TAIL_Q)


def _float32_blocks(a, cdf_only=False):
    """``(x * Phi(x), Phi(x) + x * phi(x))``, or ``(Phi(x),)`` with ``cdf_only``, computed in
    float32 block by block (:data:`_BLOCK`) so that every pass after the first read works in
    cache; float16 input is widened and each result rounded once to it.

    Phi's relative error (measured against float64 over float32's range): about 10 ulp
    (2^-24) for |x| < 4, growing with the rounding of x^2 / 2 in the exponent (x^2 / 2 ulps) to
    about 70 ulp at x = -13, where Phi reaches float32's smallest normal numbers. NaN passes
    through; x = -inf gives NaN (-inf * 0), as PyTorch.
    """
    xp = get_array_module(a)
    f32 = xp.float32
    flat = xp.ascontiguousarray(a, dtype=f32).reshape(-1)
    results = [xp.empty(flat.shape, dtype=f32) for _ in range(1 if cdf_only else 2)]
    size = min(_BLOCK, flat.size)
    t_buf, spare_buf = xp.empty(size, dtype=f32), xp.empty(size, dtype=f32)
    with xp.errstate(over="ignore"):  # x^2 overflows to inf for |x| > 1.8e19: exp gives 0
        for start in range(0, flat.size, _BLOCK):
            x = flat[start : start + _BLOCK]
            t, spare = t_buf[: x.size], spare_buf[: x.size]
            blocks = [result[start : start + _BLOCK] for result in results]
            if cdf_only:  # Phi is built in its output; exp(-x^2 / 2) in the spare buffer
                _normal_tail_block(xp, x, t, blocks[0], spare, None, None)
            else:  # the slope is built in its output, Phi in the spare buffer
                _normal_tail_block(xp, x, t, spare, blocks[1], blocks[0], blocks[1])
    return tuple(r.reshape(a.shape).astype(a.dtype, copy=False) for r in results)


def _gelu_kernel(a):
    """:func:`gelu_and_slope_array` by the compiled kernel (same fit, same error bound)."""
    from glassnet.kernels.gelu import gelu_and_slope_into

    xp = get_array_module(a)
    flat = xp.ascontiguousarray(a, dtype=xp.float32).reshape(-1)
    out, slope = xp.empty_like(flat), xp.empty_like(flat)
    gelu_and_slope_into(flat, out, slope, xp.float32(_TAIL_P), _TAIL_Q_FLOAT32)
    return tuple(r.reshape(a.shape).astype(a.dtype, copy=False) for r in (out, slope))


def _normal_tail_block(xp, x, t, r, s, product, slope):
    """One block: Phi(x) into ``r``; with ``product`` and ``slope`` (``slope`` may be ``s``) also
    x * Phi(x) and Phi(x) + x * phi(x). ``t`` and ``s`` are scratch of x's size."""
    f32 = xp.float32
    xp.abs(x, out=s)
    xp.multiply(s, f32(_TAIL_P), out=t)
    t += f32(1)
    xp.reciprocal(t, out=t)
    xp.multiply(t, f32(_TAIL_Q[0]), out=r)
    for c in _TAIL_Q[1:-1]:
        r += f32(c)
        r *= t
    r += f32(_TAIL_Q[-1])
    r *= t
    s *= s
    s *= f32(-0.5)
    xp.exp(s, out=s)  # exp(-x^2 / 2) = phi * sqrt(2 pi)
    r *= s  # Phi(-|x|)
    if slope is not None:
        xp.multiply(s, x, out=slope)
        slope *= f32(1 / math.sqrt(2 * math.pi))  # x * phi
    # Phi(x) = |[x > 0] - Phi(-|x|)|: 1 - Phi(-x) (one rounding) where x > 0, exact elsewhere
    xp.greater(x, f32(0), out=t, casting="unsafe")
    xp.subtract(t, r, out=r)
    xp.abs(r, out=r)
    if slope is not None:
        slope += r
        xp.multiply(x, r, out=product)


def _odd_rational(a, limit, num, den):
    """``x * num(x^2) / den(x^2)`` in float32 with x = a clamped to +-limit (coefficients highest
    power first), by Horner's rule in place: four buffers, no exp. NaN passes through."""
    xp = get_array_module(a)
    f32 = xp.float32
    flat = a.reshape(-1)
    x = xp.minimum(flat, f32(limit), dtype=f32)
    xp.maximum(x, f32(-limit), out=x)
    x2 = x * x
    p = x2 * f32(num[0])
    for c in num[1:-1]:
        p += f32(c)
        p *= x2
    p += f32(num[-1])
    p *= x
    q = xp.multiply(x2, f32(den[0]), out=x)  # x is no longer needed: reuse its buffer
    for c in den[1:-1]:
        q += f32(c)
        q *= x2
    q += f32(den[-1])
    p /= q
    return p.reshape(a.shape)


def _erfc_float64(z):
    """erfc(z) for float64 z >= 0 from :data:`_ERFC_R` (relative error below 1.2e-7)."""
    xp = get_array_module(z)
    t = 1.0 / (1.0 + 0.5 * z)
    r = xp.full_like(z, _ERFC_R[0])
    for c in _ERFC_R[1:]:
        r *= t
        r += c
    return t * xp.exp(r - z * z)
