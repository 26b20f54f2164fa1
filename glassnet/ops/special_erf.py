"""The error-function family, NumPy only: erfc, erfcx, erfinv, ndtr, log_ndtr, ndtri, with
their derivatives.

Everything is computed in float64 (float32 inputs are rounded back at the end):
- erf for |x| < 1.5 by its Taylor series (32 terms: truncation below 1e-17, so the error is
  rounding, a few ulps); erfc for x >= 1.5 by the continued fraction of the incomplete gamma
  function Gamma(1/2, x^2) (modified Lentz, 50 steps: converged to 3e-15 relative at x = 1.5,
  faster beyond), scaled by exp(-x^2) with x^2 split so the exponent is exact. Relative error:
  about 1e-15 for erf, up to 2e-14 for erfc below 1.5 (where 1 - erf loses the digits erfc
  lacks), about 5e-15 above; erfcx = exp(x^2) erfc(x) directly from the fraction, so it does
  not underflow.
- erfinv starts from M. Giles' single-precision approximation ("Approximating the erfinv
  function", GPU Computing Gems, 2010; beyond its float32 range, from the asymptotic form of
  erfc) and takes Newton steps: on erf(y) = x for |x| < 0.5, and on log erfc(y) = log(1 - |x|)
  otherwise (1 - |x| is exact there), written through erfcx so nothing overflows even for
  1 - |x| near the smallest double. Each step squares the relative error, so the result is as
  accurate as erf/erfc themselves.
- ndtr(x) = erfc(-x / sqrt 2) / 2; log_ndtr uses erfcx for x < -1 (no underflow) and log1p
  above; ndtri(p) = -sqrt(2) erfcinv(2p), from 2(1 - p) for p > 1/2.

>>> import glassnet
>>> glassnet.erfinv(glassnet.tensor([0.0, 0.5, -0.9]))
tensor([ 0.0000,  0.4769, -1.1631])
>>> glassnet.special.log_ndtr(glassnet.tensor([-40.0], dtype=glassnet.float64))
tensor([-804.6084], dtype=glassnet.float64)
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import float_tensor, inplace_method
from glassnet.ops.operands import _quiet

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SQRT2 = math.sqrt(2.0)
_CF_FROM = 1.5


def _erf_taylor(xp, x):
    """erf(x) = 2/sqrt(pi) sum (-1)^k x^(2k+1) / (k! (2k+1)), for |x| < 1.5."""
    z = x * x
    term = x.copy()
    total = x.copy()
    for k in range(1, 32):
        term = term * (-z / k)
        total = total + term / (2 * k + 1)
    return total * _TWO_OVER_SQRT_PI


def _erfcx_fraction(xp, x):
    """exp(x^2) erfc(x) for x >= 1.5, from Gamma(1/2, x^2) by the modified Lentz algorithm."""
    huge = x > 1e8  # there x^2 overflows; the asymptotic series is exact to double precision
    x = xp.where(huge, _CF_FROM, x)
    z = x * x
    tiny = 1e-300
    b = z + 0.5
    c = xp.full(x.shape, 1 / tiny)
    d = 1 / b
    h = d
    for i in range(1, 51):
        an = -i * (i - 0.5)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1 / d
        h = h * (d * c)
    return xp.where(huge, 0.0, x * h / _SQRT_PI), huge


def _exp_minus_square(xp, x):
    """exp(-x^2) with x^2 split as xh^2 + (x - xh)(x + xh), xh = x rounded to 1/16: xh^2 is
    exact, so the exponent carries no rounding error of order x^2 eps."""
    xh = xp.floor(x * 16) / 16
    return xp.exp(-xh * xh) * xp.exp(-(x - xh) * (x + xh))


def erfcx_array(x):
    """exp(x^2) erfc(x) in float64."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    ax = xp.abs(x)
    big = ax >= _CF_FROM
    fraction, huge = _erfcx_fraction(xp, xp.where(big, ax, _CF_FROM))
    safe = xp.where(huge, ax, 1.0)
    fraction = xp.where(huge, 1 / (safe * _SQRT_PI) * (1 - 0.5 / (safe * safe)), fraction)
    with _quiet(xp):
        small = xp.exp(x * x) * (1 - _erf_taylor(xp, xp.where(big, 0.0, x)))
        positive = xp.where(big, fraction, small)
        # erfcx(-a) = 2 exp(a^2) - erfcx(a)
        negative = 2 * xp.exp(x * x) - fraction
    return xp.where(x >= 0, positive, xp.where(big, negative, small))


def erfc_array(x):
    """erfc(x) = 1 - erf(x) in float64, accurate also where it is tiny."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    ax = xp.abs(x)
    big = ax >= _CF_FROM
    fraction, huge = _erfcx_fraction(xp, xp.where(big, ax, _CF_FROM))
    with _quiet(xp):
        tail = xp.where(huge, 0.0, _exp_minus_square(xp, ax) * fraction)
    small = 1 - _erf_taylor(xp, xp.where(big, 0.0, x))
    return xp.where(big, xp.where(x > 0, tail, 2 - tail), small)


def erf64_array(x):
    """erf(x) in float64 to a few ulps (NumPy only)."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    big = xp.abs(x) >= _CF_FROM
    taylor = _erf_taylor(xp, xp.where(big, 0.0, x))
    return xp.where(big, xp.sign(x) * (1 - erfc_array(xp.abs(x))), taylor)


_GILES_CENTRAL = (
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _giles(xp, x, one_minus_x=None):
    """Giles' single-precision erfinv, the starting point of the Newton steps (``one_minus_x``
    given exactly when x is near 1, where 1 - x would lose it)."""
    if one_minus_x is None:
        one_minus_x = 1 - x
    with _quiet(xp):
        w = -xp.log(one_minus_x * (1 + x))
    central = w < 5
    wc = w - 2.5
    p = 2.81022636e-08
    for c in _GILES_CENTRAL:
        p = c + p * wc
    wt = xp.sqrt(xp.where(central, 5.0, w)) - 3
    q = -0.000200214257
    for c in _GILES_TAIL:
        q = c + q * wt
    return xp.where(central, p, q) * x


def erfcinv_array(c):
    """y with erfc(y) = c, for c in [0, 2], in float64."""
    xp = get_array_module(c)
    c = xp.asarray(c, dtype="float64")
    upper = c > 1  # erfcinv(c) = -erfcinv(2 - c)
    t = xp.where(upper, 2 - c, c)  # in [0, 1]
    central = t > 0.5  # there 1 - t is exact and small: Newton on erf
    x = xp.where(central, 1 - t, 0.5)
    y_central = _newton_erf(xp, x)
    tail_c = xp.where(central | (t <= 0), 0.25, t)
    with _quiet(xp):
        log_c = xp.log(tail_c)
        # Giles' guess is made for float32's range (w below ~16); further out, two rounds of
        # the asymptotic erfc(y) ~ exp(-y^2) / (y sqrt(pi)), y^2 = -log c - log(y sqrt(pi)).
        w = -xp.log(tail_c * (2 - tail_c))
        y = xp.sqrt(-log_c)
        for _ in range(2):
            y = xp.sqrt(xp.maximum(-log_c - xp.log(_SQRT_PI * y), 0.25))
        y = xp.where(w < 16, _giles(xp, 1 - tail_c, tail_c), y)
        # Newton on log(erfc(y)) = log(c), through erfcx: g = log(erfcx(y)) - y^2 - log(c),
        # g' = -2 / (sqrt(pi) erfcx(y)); nothing over- or underflows, even for c ~ 1e-308.
        for _ in range(4):
            ex = erfcx_array(y)
            y = y + (xp.log(ex) - y * y - log_c) * (_SQRT_PI / 2) * ex
    y = xp.where(central, y_central, y)
    y = xp.where(t <= 0, xp.inf, y)
    y = xp.where(upper, -y, y)
    return xp.where((c < 0) | (c > 2) | xp.isnan(c), xp.nan, y)


def _newton_erf(xp, x):
    y = _giles(xp, x)
    for _ in range(3):
        y = y - (erf64_array(y) - x) * (_SQRT_PI / 2) * xp.exp(y * y)
    return y


def erfinv_array(x):
    """y with erf(y) = x, for x in [-1, 1] (nan outside), in float64."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    ax = xp.abs(x)
    central = ax < 0.5
    y_central = _newton_erf(xp, xp.where(central, x, 0.0))
    y_tail = xp.sign(x) * erfcinv_array(xp.where(central, 1.0, 1 - ax))
    y = xp.where(central, y_central, y_tail)
    return xp.where(ax > 1, xp.nan, y)


def ndtr_array(x):
    xp = get_array_module(x)
    return 0.5 * erfc_array(-xp.asarray(x, dtype="float64") / _SQRT2)


def log_ndtr_array(x):
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    low = x < -1
    t = xp.where(low, -x, 1.0) / _SQRT2
    with _quiet(xp):
        left = xp.log(0.5 * erfcx_array(t)) - t * t
        right = xp.log1p(-0.5 * erfc_array(xp.where(low, 0.0, x) / _SQRT2))
    return xp.where(low, left, right)


def ndtri_array(p):
    xp = get_array_module(p)
    p = xp.asarray(p, dtype="float64")
    upper = p > 0.5
    c = xp.where(upper, 2 * (1 - p), 2 * p)
    y = _SQRT2 * erfcinv_array(c)
    return xp.where(upper, y, -y)


class _Special(Function):
    """A float64 special function of one tensor; the result in the input's dtype."""

    array = None
    saves_output = True

    def forward(self, a):
        self.a = a
        self.out = type(self).array(a).astype(a.dtype, copy=False)
        return self.out


class Erfc(_Special):
    array = staticmethod(erfc_array)

    def backward(self, grad):
        xp = get_array_module(grad)
        return (-grad * _TWO_OVER_SQRT_PI * _exp_minus_square(xp, xp.abs(self.a)),)


class Erfcx(_Special):
    array = staticmethod(erfcx_array)

    def backward(self, grad):
        return (grad * (2 * self.a * self.out - _TWO_OVER_SQRT_PI),)


class Erfinv(_Special):
    array = staticmethod(erfinv_array)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            return (grad * (_SQRT_PI / 2) * xp.exp(self.out * self.out),)


class Ndtr(_Special):
    array = staticmethod(ndtr_array)

    def backward(self, grad):
        xp = get_array_module(grad)
        return (grad * xp.exp(-0.5 * self.a * self.a) / math.sqrt(2 * math.pi),)


class LogNdtr(_Special):
    array = staticmethod(log_ndtr_array)

    def backward(self, grad):
        # phi(x) / Phi(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi): no 0/0 far in the tail
        xp = get_array_module(grad)
        with _quiet(xp):
            ratio = xp.exp(-0.5 * self.a * self.a - self.out) / math.sqrt(2 * math.pi)
        return (grad * ratio,)


class Ndtri(_Special):
    array = staticmethod(ndtri_array)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            return (grad * math.sqrt(2 * math.pi) * xp.exp(0.5 * self.out * self.out),)


def _op(cls, name, doc):
    def op(input):
        return cls.apply(float_tensor(name, input))

    op.__name__ = name
    op.__doc__ = doc
    return op


erfc = _op(Erfc, "erfc", "1 - erf(x), accurate where it is tiny (x large).")
erfcx = _op(Erfcx, "erfcx", "The scaled complementary error function exp(x^2) erfc(x).")
erfinv = _op(Erfinv, "erfinv", "The inverse error function: y with erf(y) = x, for -1 <= x <= 1.")
ndtr = _op(Ndtr, "ndtr", "The standard normal CDF: the area under the Gaussian left of x.")
log_ndtr = _op(LogNdtr, "log_ndtr", "log(ndtr(x)), finite far into the left tail.")
ndtri = _op(Ndtri, "ndtri", "The inverse of ndtr: the x with ndtr(x) = p (-inf at 0, inf at 1).")

SPECIAL = {f.__name__: f for f in (erfc, erfcx, erfinv, ndtr, log_ndtr, ndtri)}
__all__ = ["erfc", "erfinv"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({name + "_": inplace_method(globals()[name]) for name in __all__})
