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
>>> out, cdf = gelu_array(x)
>>> bool(np.allclose(cdf, [0.1586553, 0.5, 0.6914625], atol=1e-6))
True
>>> float(gelu_array(np.array([-8.0], dtype=np.float32))[0][0])  # PyTorch's float32 gives 0
-4.9...e-15
"""

from __future__ import annotations

import math

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

    float32 (and float16) on the CPU: :func:`_normal_cdf_float32` in float32; otherwise
    ``0.5 * erfc(-x / sqrt(2))`` with SciPy's or CuPy's erfc (the series above without SciPy).
    """
    xp = get_array_module(a)
    if xp.__name__ == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special.erfc(a * a.dtype.type(-1 / math.sqrt(2))) * 0.5
    if a.dtype == xp.float32 or a.dtype == xp.float16:
        return _normal_cdf_float32(a).astype(a.dtype, copy=False)
    try:
        from scipy.special import erfc

        return (erfc(a * (-1 / math.sqrt(2))) * 0.5).astype(a.dtype, copy=False)
    except ImportError:
        a64 = a.astype(xp.float64)
        tail = 0.5 * _erfc_float64(xp.abs(a64) * (1 / math.sqrt(2)))
        return xp.where(a64 > 0, 1.0 - tail, tail).astype(a.dtype)


def gelu_array(a):
    """GELU's forward on an array: ``(x * Phi(x), Phi(x))`` (its backward needs Phi too)."""
    xp = get_array_module(a)
    if a.dtype == xp.float32 and xp.__name__ != "cupy" and a.ndim and a.flags.c_contiguous:
        out = xp.empty(a.shape, dtype=a.dtype)  # x * Phi(x) block by block, Phi in cache
        return out, _normal_cdf_float32(a, product=out)
    cdf = normal_cdf_array(a)
    return a * cdf, cdf


def gelu_grad_array(grad, a, cdf):
    """GELU's backward: ``grad * (Phi(x) + x * phi(x))``, phi the normal density, in one
    buffer."""
    xp = get_array_module(grad)
    d = xp.multiply(a, a)
    if d.ndim == 0:
        return grad * (cdf + a * xp.exp(-0.5 * d) * (1 / math.sqrt(2 * math.pi)))
    d *= d.dtype.type(-0.5)
    xp.exp(d, out=d)
    d *= a
    d *= d.dtype.type(1 / math.sqrt(2 * math.pi))
    d += cdf
    d *= grad
    return d


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


# Elements per block of the float32 lower tail: its three float32 buffers of this size stay in
# a core's L2 cache through the dozen passes of Horner's rule, which makes it about twice as fast
# as whole-array passes on activations of a few MiB.
_BLOCK = 65536


def _normal_cdf_float32(a, lower_only=False, product=None):
    """Phi(x) in float32 (``Phi(-|x|)`` with ``lower_only``) block by block, from the lower tail
    ``Phi(-|x|) = 0.5 * erfc(|x| / sqrt(2))`` and :data:`_ERFC_R`.

    With z = |x| / sqrt(2) the exponent is ``-x^2 / 2 + R(t) + log(1/2)`` (the 1/2 folded into
    R's constant), so no rounded z is squared. Relative error: the fit's 1.2e-7, plus the
    exponent's float32 rounding, about (x^2 / 2 + 4) * 2^-23 (x^2 / 2 is rounded once, R's
    Horner steps a few times at magnitude below 4): 5e-7 at x = -1, 2e-6 at x = -4, 1e-5 at
    x = -13, where Phi reaches float32's smallest normal numbers. NaN passes through.
    ``product``: a float32 array of a's shape that receives ``a * Phi(a)`` (GELU), each block
    while its Phi is still in cache.
    """
    xp = get_array_module(a)
    f32 = xp.float32
    flat = a.reshape(-1)
    out = xp.empty(flat.shape, dtype=f32)
    size = min(_BLOCK, flat.size)
    u_buf, t_buf = xp.empty(size, dtype=f32), xp.empty(size, dtype=f32)
    products = None if product is None else product.reshape(-1)
    for start in range(0, flat.size, _BLOCK):
        x = flat[start : start + _BLOCK]
        u, t, r = u_buf[: x.size], t_buf[: x.size], out[start : start + _BLOCK]
        xp.abs(x, out=u, dtype=f32)
        xp.multiply(u, f32(0.5 / math.sqrt(2)), out=t)
        t += f32(1)
        xp.reciprocal(t, out=t)
        xp.multiply(t, f32(_ERFC_R[0]), out=r)
        for c in _ERFC_R[1:-1]:
            r += f32(c)
            r *= t
        r += f32(_ERFC_R[-1] - math.log(2.0))
        u *= u
        u *= f32(-0.5)
        r += u
        xp.exp(r, out=r)
        r *= t
        if not lower_only:  # Phi(x) = |[x > 0] - Phi(-|x|)|: 1 - Phi(-x) (one rounding) where
            # x > 0, exact elsewhere (Phi(-|x|) <= 1/2); three branch-free passes
            xp.greater(x, f32(0), out=u, casting="unsafe")  # 1.0 where x > 0
            xp.subtract(u, r, out=r)
            xp.abs(r, out=r)
        if products is not None:
            xp.multiply(x, r, out=products[start : start + _BLOCK])
    return out.reshape(a.shape)


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
