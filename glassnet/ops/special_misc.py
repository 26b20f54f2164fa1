"""More special functions: xlogy, xlog1py, entr, sinc, logit, the modified Bessel functions
i0, i0e, i1, i1e, spherical_bessel_j0, and the classical orthogonal polynomials (Chebyshev,
Hermite, Laguerre, Legendre).

The Bessel functions are computed in float64: the power series sum (x/2)^(2k+nu) / (k! (k+nu)!)
for |x| < 20 (80 terms, truncation far below 1e-17) and the asymptotic expansion
e^x / sqrt(2 pi x) sum_k (-1)^k prod_j (4 nu^2 - (2j-1)^2) / (k! (8x)^k) beyond (25 terms,
measured within 1e-15 of the exact values over [20, 1000]); the scaled forms i0e, i1e come
straight from the expansion, so they do not overflow. Their derivatives: i0' = i1,
i1' = i0 - i1 / x, and the scaled ones follow. The polynomials (evaluated by their
three-term recurrences) have no derivative in PyTorch and none here.

>>> import glassnet
>>> glassnet.xlogy(glassnet.tensor([0.0, 2.0]), glassnet.tensor([0.0, 3.0]))
tensor([0.0000, 2.1972])
>>> glassnet.special.i0(glassnet.tensor([0.0, 1.0]))
tensor([1.0000, 1.2661])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import (
    as_tensor_like,
    float_operands,
    float_tensor,
    inplace_method,
    without_derivative,
)
from glassnet.ops.operands import _quiet
from glassnet.ops.special_gamma import _sinpi
from glassnet.tensor import Tensor

_BESSEL_SWITCH = 20.0


def _bessel_series(xp, x, nu):
    h = x / 2
    z = h * h
    term = xp.ones(x.shape) if nu == 0 else h
    total = term
    for k in range(1, 80):
        term = term * z / (k * (k + nu))
        total = total + term
    return total


def _bessel_scaled_asymptotic(xp, x, nu):
    """e^-x I_nu(x) for x >= 20."""
    mu = 4 * nu * nu
    term = xp.ones(x.shape)
    total = term
    for k in range(1, 25):
        term = term * (-(mu - (2 * k - 1) ** 2) / (k * 8 * x))
        total = total + term
    return total / xp.sqrt(2 * math.pi * x)


def bessel_i_array(x, nu, scaled):
    """I_nu(x) (or e^-|x| I_nu(x) with ``scaled``) for nu in (0, 1), in float64."""
    xp = get_array_module(x)
    x = xp.asarray(x, dtype="float64")
    ax = xp.abs(x)
    large = ax >= _BESSEL_SWITCH
    small_x = xp.where(large, 0.0, ax)
    series = _bessel_series(xp, small_x, nu)
    big_x = xp.where(large, ax, _BESSEL_SWITCH)
    with _quiet(xp):
        expansion = _bessel_scaled_asymptotic(xp, big_x, nu)
        if scaled:
            out = xp.where(large, expansion, series * xp.exp(-small_x))
        else:
            out = xp.where(large, expansion * xp.exp(big_x), series)
    out = xp.where(ax == xp.inf, 0.0 if scaled else xp.inf, out)
    if nu == 1:  # I_1 is odd
        out = xp.where(x < 0, -out, out)
    return xp.where(xp.isnan(x), xp.nan, out)


class BesselI(Function):
    """i0, i0e, i1, i1e."""

    saves_output = True

    def forward(self, a, nu, scaled):
        self.a, self.nu, self.scaled = a, nu, scaled
        self.out = bessel_i_array(a, nu, scaled).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        a = xp.asarray(self.a, dtype="float64")
        if self.nu == 0:
            d = bessel_i_array(a, 1, self.scaled)
            if self.scaled:
                d = d - xp.sign(a) * bessel_i_array(a, 0, True)
        else:
            i0 = bessel_i_array(a, 0, self.scaled)
            i1 = bessel_i_array(a, 1, self.scaled)
            with _quiet(xp):
                over_x = xp.where(a == 0, 0.5, i1 / xp.where(a == 0, 1.0, a))
            d = i0 - over_x - (xp.sign(a) * i1 if self.scaled else 0)
            d = xp.where(a == 0, 0.5, d)
        return grad * d.astype(grad.dtype, copy=False), None, None


def _bessel(name, nu, scaled, doc):
    def op(input):
        return BesselI.apply(float_tensor(name, input), nu, scaled)

    op.__name__, op.__doc__ = name, doc
    return op


i0 = _bessel("i0", 0, False, "The modified Bessel function of the first kind, order 0.")
i0e = _bessel("i0e", 0, True, "exp(-|x|) i0(x), without overflow.")
i1 = _bessel("i1", 1, False, "The modified Bessel function of the first kind, order 1.")
i1e = _bessel("i1e", 1, True, "exp(-|x|) i1(x), without overflow.")


class XLogY(Function):
    """x log(y) (x log1p(y) with ``one_plus``), 0 where x == 0 unless y is nan."""

    broadcasts, error_name = True, "xlogy"

    def forward(self, x, y, one_plus):
        xp = get_array_module(x, y)
        self.x, self.y, self.one_plus = x, y, one_plus
        with _quiet(xp):
            log_y = xp.log1p(y) if one_plus else xp.log(y)
            return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), dtype=log_y.dtype), x * log_y)

    def backward(self, grad):
        xp = get_array_module(grad)
        need_x, need_y = self._next[:2]
        gx = gy = None
        with _quiet(xp):
            if need_x is not None:
                log_y = xp.log1p(self.y) if self.one_plus else xp.log(self.y)
                zero = xp.zeros((), dtype=grad.dtype)
                gx = grad * xp.where((self.x == 0) & ~xp.isnan(self.y), zero, log_y)
            if need_y is not None:
                gy = grad * self.x / ((self.y + 1) if self.one_plus else self.y)
        return gx, gy, None


def _xlog(name, one_plus, input, other):
    a, b = float_operands(name, input, other)
    return XLogY.apply(as_tensor_like(a, b), as_tensor_like(b, a), one_plus)


def xlogy(input, other):
    """input * log(other), and 0 where input is 0 (even when other is 0 or inf).

    >>> import glassnet
    >>> glassnet.tensor([0.0, 1.0]).xlogy(0.0)
    tensor([0., -inf])
    """
    return _xlog("xlogy", False, input, other)


def xlog1py(input, other):
    """input * log1p(other), and 0 where input is 0.

    >>> import glassnet
    >>> glassnet.special.xlog1py(glassnet.tensor([0.0, 2.0]), glassnet.tensor([-1.0, 0.0]))
    tensor([0., 0.])
    """
    return _xlog("xlog1py", True, input, other)


class Entr(Function):
    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        with _quiet(xp):
            out = -a * xp.log(a)
        out = xp.where(a == 0, xp.zeros((), dtype=a.dtype), out)
        return xp.where(a < 0, -xp.inf, out).astype(a.dtype, copy=False)

    def backward(self, grad):
        xp = get_array_module(grad)
        with _quiet(xp):
            return (-grad * (1 + xp.log(self.a)),)


def entr(input):
    """-x log(x) elementwise: 0 at 0, -inf for x < 0.

    >>> import glassnet
    >>> glassnet.special.entr(glassnet.tensor([0.0, 0.5, -1.0]))
    tensor([0.0000, 0.3466,   -inf])
    """
    return Entr.apply(float_tensor("entr", input))


class Sinc(Function):
    saves_output = True

    def forward(self, a):
        xp = get_array_module(a)
        self.a = a
        x = xp.asarray(a, dtype="float64")
        with _quiet(xp):
            out = _sinpi(xp, x) / (math.pi * x)
        self.out = xp.where(x == 0, 1.0, out).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        a = self.a
        with _quiet(xp):
            d = (xp.cos(math.pi * a) - self.out) / a
        return (grad * xp.where(a == 0, xp.zeros((), dtype=grad.dtype), d),)


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0 (the normalized sinc).

    >>> import glassnet
    >>> glassnet.sinc(glassnet.tensor([0.0, 0.5, 1.0]))
    tensor([1.0000, 0.6366, 0.0000])
    """
    return Sinc.apply(float_tensor("sinc", input))


class Logit(Function):
    def forward(self, a, eps):
        xp = get_array_module(a)
        self.a, self.eps = a, eps
        x = a if eps is None else xp.clip(a, eps, 1 - eps)
        with _quiet(xp):
            return xp.log(x / (1 - x))

    def backward(self, grad):
        xp = get_array_module(grad)
        a = self.a
        with _quiet(xp):
            d = grad / (a * (1 - a))
        if self.eps is not None:  # the clamped part is flat
            d = xp.where((a < self.eps) | (a > 1 - self.eps), xp.zeros((), dtype=d.dtype), d)
        return d, None


def logit(input, eps=None):
    """log(p / (1 - p)), the inverse of sigmoid; ``eps`` clamps p to [eps, 1 - eps] first.

    >>> import glassnet
    >>> glassnet.logit(glassnet.tensor([0.5, 0.0]), eps=1e-6)
    tensor([  0.0000, -13.8155])
    """
    return Logit.apply(float_tensor("logit", input), eps)


def spherical_bessel_j0(input):
    """sin(x) / x, 1 at 0 (no derivative, as in PyTorch).

    >>> import glassnet
    >>> glassnet.special.spherical_bessel_j0(glassnet.tensor([0.0, 1.5707964]))
    tensor([1.0000, 0.6366])
    """
    input = float_tensor("spherical_bessel_j0", input)
    a = input._data
    xp = get_array_module(a)
    with _quiet(xp):
        out = xp.where(a == 0, 1.0, xp.sin(a) / a).astype(a.dtype, copy=False)
    return without_derivative("spherical_bessel_j0", out, input)


# ---- orthogonal polynomials (three-term recurrences, no derivative) --------------------
def _polynomial(name, step, first):
    """p_n(x) by p_{k+1} = step(k, x, p_k, p_{k-1}) from p_0 = 1 and p_1 = first(x)."""

    def op(input, n):
        if not isinstance(input, Tensor):  # a number x with a tensor of degrees
            input = as_tensor_like(float(input), n.float())
        input = float_tensor(name, input)
        x = input._data
        xp = get_array_module(x)
        degree = n._data if isinstance(n, Tensor) else xp.asarray(n)
        x, degree = xp.broadcast_arrays(x, degree)
        top = int(degree.max()) if degree.size else 0
        prev, cur = xp.ones(x.shape, dtype=x.dtype), first(x)
        out = xp.where(degree == 0, prev, xp.zeros((), dtype=x.dtype))
        out = xp.where(degree == 1, cur, out)
        for k in range(1, top):
            prev, cur = cur, step(k, x, cur, prev)
            out = xp.where(degree == k + 1, cur, out)
        result = xp.where(degree < 0, xp.zeros((), dtype=x.dtype), out)
        return without_derivative(name, result.astype(x.dtype, copy=False), input)

    op.__name__ = name
    op.__doc__ = f"The {name.replace('_', ' ')} of degree n at x (by its recurrence)."
    return op


chebyshev_polynomial_t = _polynomial(
    "chebyshev_polynomial_t", lambda k, x, p, q: 2 * x * p - q, lambda x: x
)
chebyshev_polynomial_u = _polynomial(
    "chebyshev_polynomial_u", lambda k, x, p, q: 2 * x * p - q, lambda x: 2 * x
)
chebyshev_polynomial_v = _polynomial(
    "chebyshev_polynomial_v", lambda k, x, p, q: 2 * x * p - q, lambda x: 2 * x - 1
)
chebyshev_polynomial_w = _polynomial(
    "chebyshev_polynomial_w", lambda k, x, p, q: 2 * x * p - q, lambda x: 2 * x + 1
)
hermite_polynomial_h = _polynomial(
    "hermite_polynomial_h", lambda k, x, p, q: 2 * x * p - 2 * k * q, lambda x: 2 * x
)
hermite_polynomial_he = _polynomial(
    "hermite_polynomial_he", lambda k, x, p, q: x * p - k * q, lambda x: x
)
laguerre_polynomial_l = _polynomial(
    "laguerre_polynomial_l",
    lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1),
    lambda x: 1 - x,
)
legendre_polynomial_p = _polynomial(
    "legendre_polynomial_p", lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1), lambda x: x
)


def _shifted(name, base):
    def op(input, n):
        return base(float_tensor(name, input) * 2 - 1, n)

    op.__name__ = name
    op.__doc__ = f"The {name.replace('_', ' ')}: the unshifted one at 2x - 1."
    return op


shifted_chebyshev_polynomial_t = _shifted("shifted_chebyshev_polynomial_t", chebyshev_polynomial_t)
shifted_chebyshev_polynomial_u = _shifted("shifted_chebyshev_polynomial_u", chebyshev_polynomial_u)
shifted_chebyshev_polynomial_v = _shifted("shifted_chebyshev_polynomial_v", chebyshev_polynomial_v)
shifted_chebyshev_polynomial_w = _shifted("shifted_chebyshev_polynomial_w", chebyshev_polynomial_w)

_POLYNOMIALS = [
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
]

SPECIAL = {
    "xlogy": xlogy,
    "xlog1py": xlog1py,
    "entr": entr,
    "sinc": sinc,
    "logit": logit,
    "i0": i0,
    "i0e": i0e,
    "i1": i1,
    "i1e": i1e,
    "modified_bessel_i0": i0,
    "modified_bessel_i1": i1,
    "spherical_bessel_j0": spherical_bessel_j0,
    **{p.__name__: p for p in _POLYNOMIALS},
}
__all__ = ["xlogy", "sinc", "logit", "i0"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({name + "_": inplace_method(globals()[name]) for name in __all__})
