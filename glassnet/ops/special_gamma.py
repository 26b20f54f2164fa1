"""The gamma-function family, NumPy only: lgamma, digamma, polygamma, mvlgamma and the Hurwitz
zeta function, with their derivatives (lgamma' = digamma, digamma' = polygamma(1),
polygamma(n)' = polygamma(n + 1), d/dq zeta(s, q) = -s zeta(s + 1, q); as in PyTorch, zeta
has no derivative in s). The incomplete gamma functions are in special_incomplete_gamma.py.

All computed in float64 (float32 inputs are rounded back):
- lgamma: Lanczos' approximation (g = 7, 9 terms; relative error of Gamma below 2e-15) for
  x >= 0.5, the reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below (sin(pi x) from an
  exactly reduced argument). Near its zeros x = 1 and x = 2, where an absolute error of a few
  ulps would be a large relative one, the Taylor series lgamma(1 + z) = -gamma z +
  sum_k (-1)^k zeta(k) z^k / k (|z| < 1/4, 30 terms, truncation below 1e-19).
- digamma: psi(x) = psi(x + 10) - sum_{k<10} 1/(x + k) for x < 10, then the asymptotic
  series log x - 1/(2x) - sum B_2k / (2k x^2k) to B_14 (truncation below 1e-16 for x >= 10);
  psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0. Near its root x0 = 1.4616 the error is a
  few ulps of psi(x0 + 10) ~ 2.4 in absolute terms, as PyTorch's (Cephes') algorithm.
- zeta(s, q): Euler-Maclaurin summation (Cephes' method): the first terms summed until
  q + N > 9, then the integral, the half term and 12 Bernoulli corrections; a few ulps.
  polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1.

>>> import glassnet
>>> glassnet.lgamma(glassnet.tensor([0.5, 1.0, 10.0]))
tensor([ 0.5724,  0.0000, 12.8018])
>>> glassnet.digamma(glassnet.tensor([1.0]))
tensor([-0.5772])
>>> glassnet.polygamma(1, glassnet.tensor([1.0]))  # pi^2 / 6
tensor([1.6449])
"""

from __future__ import annotations

import math
from fractions import Fraction

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import AutogradError
from glassnet.ops._pointwise import float_operands, float_tensor, inplace_method
from glassnet.ops.operands import _quiet

_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
_EULER = 0.57721566490153286061
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as exact fractions (the Akiyama-Tanigawa algorithm)."""
    n_max = 2 * count
    a = [Fraction(0)] * (n_max + 1)
    out = []
    for m in range(n_max + 1):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        if m >= 2 and m % 2 == 0:
            out.append(a[0])
    return out


_B2K = _bernoulli_even(12)
# Euler-Maclaurin's correction coefficients B_2j / (2j)!
_EM = [float(b / math.factorial(2 * j)) for j, b in enumerate(_B2K, start=1)]
# digamma's asymptotic coefficients B_2k / (2k), to B_14
_PSI = [float(b / (2 * k)) for k, b in enumerate(_B2K[:7], start=1)]


def _sinpi(xp, x):
    """sin(pi x) with the argument reduced exactly: r = x - 2 round(x / 2) in [-1, 1]."""
    r = x - 2 * xp.round(x / 2)
    a = xp.abs(r)
    return xp.sign(r) * xp.sin(math.pi * xp.minimum(a, 1 - a))


def _cospi(xp, x):
    r = xp.abs(x - 2 * xp.round(x / 2))  # in [0, 1]; cos(pi r) = -sin(pi (r - 1/2))
    return -xp.sin(math.pi * (r - 0.5))


def zeta_array(s, q):
    """The Hurwitz zeta function sum_k (q + k)^-s, for s > 1 (and integer s with q < 0)."""
    xp = get_array_module(s, q)
    s, q = xp.broadcast_arrays(xp.asarray(s, dtype="float64"), xp.asarray(q, dtype="float64"))
    finite_q = xp.where(xp.isfinite(q), q, 1.0)
    low = float(finite_q.min()) if finite_q.size else 1.0
    n = max(10, int(math.ceil(10 - low)))  # direct terms until q + n > 9
    with _quiet(xp):
        total = xp.zeros(s.shape)
        for k in range(n):
            total = total + (q + k) ** -s
        w = q + n
        b = w**-s
        total = total + w * b / (s - 1) + 0.5 * b
        rising = xp.ones(s.shape)  # s (s+1) ... (s+k)
        k = 0
        for coefficient in _EM:
            rising = rising * (s + k)
            b = b / w
            total = total + coefficient * rising * b
            rising = rising * (s + k + 1)
            b = b / w
            k += 2
    integer_s = s == xp.floor(s)
    pole = (q <= 0) & (q == xp.floor(q))
    out = xp.where(pole, xp.inf, total)
    out = xp.where((q < 0) & ~integer_s, xp.nan, out)
    out = xp.where(s == 1, xp.inf, out)
    out = xp.where(s < 1, xp.nan, out)
    return xp.where(xp.isnan(s) | xp.isnan(q), xp.nan, out)


_ZETA_INT = None


def _zeta_integers():
    """zeta(2), ..., zeta(31), for lgamma's Taylor series near 1 and 2."""
    global _ZETA_INT
    if _ZETA_INT is None:
        host = get_array_module()
        k = host.arange(2, 32, dtype="float64")
        _ZETA_INT = [float(v) for v in zeta_array(k, host.ones_like(k))]
    return _ZETA_INT


def _lgamma_near_one(xp, z):
    """lgamma(1 + z) for |z| < 1/4."""
    total = -_EULER * z
    power = -z
    for k, zeta_k in enumerate(_zeta_integers(), start=2):
        power = power * -z  # (-z)^k
        total = total + zeta_k * power / k
    return total


def _lanczos(xp, x):
    """lgamma(x) for x >= 0.5."""
    z = x - 1
    series = xp.full(x.shape, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        series = series + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(series)


def lgamma_array(x):
    """log |Gamma(x)| in float64."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    with _quiet(xp):
        reflect = x < 0.5
        right = xp.where(reflect, 1 - x, x)  # >= 0.5 either way
        right = xp.where(xp.isfinite(right), right, 1.0)
        value = _lanczos(xp, right)
        near1, near2 = xp.abs(right - 1) < 0.25, xp.abs(right - 2) < 0.25
        value = xp.where(near1, _lgamma_near_one(xp, xp.where(near1, right - 1, 0.0)), value)
        z2 = xp.where(near2, right - 2, 0.0)
        value = xp.where(near2, _lgamma_near_one(xp, z2) + xp.log1p(z2), value)
        reflected = xp.log(math.pi / xp.abs(_sinpi(xp, x))) - value
        out = xp.where(reflect, reflected, value)
    pole = (x <= 0) & (x == xp.floor(x))
    out = xp.where(pole | xp.isinf(x), xp.inf, out)
    return xp.where(xp.isnan(x), xp.nan, out)


def digamma_array(x):
    """psi(x) = Gamma'(x) / Gamma(x) in float64 (PyTorch's values at the poles: -inf at +0,
    inf at -0, nan at negative integers and -inf)."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    with _quiet(xp):
        reflect = x < 0
        y = xp.where(reflect, 1 - x, x)
        y = xp.where(xp.isfinite(y) & (y > 0), y, 1.0)
        shift = y < 10
        offset = xp.zeros(x.shape)
        for k in range(10):
            offset = offset + xp.where(shift, 1 / (y + k), 0.0)
        u = xp.where(shift, y + 10, y)
        inv2 = 1 / (u * u)
        series = xp.zeros(x.shape)
        for c in reversed(_PSI):
            series = (series + c) * inv2
        value = xp.log(u) - 0.5 / u - series - offset
        cot = math.pi * _cospi(xp, x) / _sinpi(xp, x)
        out = xp.where(reflect, value - cot, value)
    out = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), out)
    out = xp.where(reflect & (x == xp.floor(x)), xp.nan, out)
    out = xp.where(x == xp.inf, xp.inf, out)
    return xp.where(xp.isnan(x) | (x == -xp.inf), xp.nan, out)


def polygamma_array(n, x):
    """The n-th derivative of digamma."""
    xp = get_array_module(x)
    if n == 0:
        return digamma_array(x)
    sign = 1.0 if n % 2 == 1 else -1.0
    return sign * math.factorial(n) * zeta_array(xp.full(x.shape, n + 1.0), x)


# ---- Functions -------------------------------------------------------------------------
class Lgamma(Function):
    def forward(self, a):
        self.a = a
        return lgamma_array(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        return (grad * digamma_array(self.a).astype(grad.dtype, copy=False),)


class Polygamma(Function):
    """polygamma(n, x); n = 0 is digamma."""

    def forward(self, a, n):
        self.a, self.n = a, n
        return polygamma_array(n, a).astype(a.dtype, copy=False)

    def backward(self, grad):
        return grad * polygamma_array(self.n + 1, self.a).astype(grad.dtype, copy=False), None


class Zeta(Function):
    broadcasts, error_name = True, "zeta"

    def forward(self, s, q):
        self.s, self.q = s, q
        return zeta_array(s, q).astype(s.dtype, copy=False)

    def backward(self, grad):
        if self._next[0] is not None:
            raise AutogradError(
                "the derivative for 'zeta' with respect to its first argument (s) is not "
                "implemented (nor in PyTorch); detach it with .detach()."
            )
        d = -self.s * zeta_array(self.s + 1, self.q)
        return None, grad * d.astype(grad.dtype, copy=False)


def lgamma(input):
    """log |Gamma(x)| (inf at 0 and the negative integers).

    >>> import glassnet
    >>> glassnet.tensor([3.0, -0.5]).lgamma()
    tensor([0.6931, 1.2655])
    """
    return Lgamma.apply(float_tensor("lgamma", input))


def digamma(input):
    """psi(x), the derivative of lgamma.

    >>> import glassnet
    >>> glassnet.tensor([2.0]).digamma()
    tensor([0.4228])
    """
    return Polygamma.apply(float_tensor("digamma", input), 0)


def polygamma(n, input):
    """The n-th derivative of digamma (n = 0: digamma itself).

    >>> import glassnet
    >>> glassnet.polygamma(2, glassnet.tensor([1.0]))  # -2 zeta(3)
    tensor([-2.4041])
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"polygamma(n, x) does not support negative n, got n={n}")
    return Polygamma.apply(float_tensor("polygamma", input), n)


def _polygamma_method(self, n):
    return polygamma(n, self)


def mvlgamma(input, p):
    """The log of the multivariate gamma function of dimension ``p``:
    p (p - 1) / 4 log(pi) + sum_j lgamma(x - j / 2), j = 0 .. p-1; needs x > (p - 1) / 2.

    >>> import glassnet
    >>> glassnet.mvlgamma(glassnet.tensor([2.5]), 2)
    tensor([0.8570])
    """
    input = float_tensor("mvlgamma", input)
    if p < 1:
        raise ValueError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    if bool((input._data <= (p - 1) / 2).any()):
        raise ValueError(f"mvlgamma: All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    total = lgamma(input)
    for j in range(1, p):
        total = total + lgamma(input - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def zeta(input, other):
    """The Hurwitz zeta function sum_k (other + k)^-input (the Riemann zeta for other = 1).

    >>> import glassnet
    >>> glassnet.special.zeta(glassnet.tensor([2.0]), glassnet.tensor([1.0]))
    tensor([1.6449])
    """
    s, q = float_operands("zeta", input, other)
    from glassnet.ops._pointwise import as_tensor_like

    return Zeta.apply(as_tensor_like(s, q), as_tensor_like(q, s))


SPECIAL = {
    "gammaln": lgamma,
    "digamma": digamma,
    "psi": digamma,
    "polygamma": polygamma,
    "multigammaln": mvlgamma,
    "zeta": zeta,
}
__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma"]
TENSOR_METHODS = {
    "lgamma": lgamma,
    "digamma": digamma,
    "polygamma": _polygamma_method,
    "mvlgamma": mvlgamma,
}
TENSOR_METHODS.update({name + "_": inplace_method(TENSOR_METHODS[name]) for name in TENSOR_METHODS})
