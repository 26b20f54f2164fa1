"""The Bessel functions of torch.special that need approximations of their own: bessel_j0,
bessel_j1, bessel_y0, bessel_y1, modified_bessel_k0, modified_bessel_k1, their scaled forms
(e^x K), and airy_ai. NumPy only, float64 inside, written from the classical representations:

- J_m(x), |x| <= 25: the integral (1/2 pi) int_0^2pi cos(m t - x sin t) dt, whose trapezoidal
  rule on a periodic analytic integrand is exact up to J_{N-m}(x) (N = 128 points: below
  1e-20); one FFT of exp(-i x sin t) gives every order m at once.
- Y_0, Y_1, 0 < x <= 25: Neumann's series in those J_m (2/pi)[(ln(x/2)+gamma) J_0 +
  2 sum (-1)^(k+1) J_2k / k] and its derivative.
- J and Y, x > 25: Hankel's asymptotic expansion (terms fall until k ~ 2x, so 20 terms leave
  an error far below 1e-16).
- K_0, K_1, x <= 2: their power series (A&S 9.6.13 and 9.6.11); x > 2: e^x K_nu(x) =
  int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt by the trapezoidal rule with step 1/20 (an
  even analytic integrand: error about exp(-pi^2 / h), negligible) up to x = 30, and the
  asymptotic expansion of e^x K_nu(x) above.
- Ai(x): its Maclaurin series for -2.5 <= x <= 2; (1/pi) sqrt(x/3) K_{1/3}(2/3 x^1.5) above;
  (sqrt(z)/3) (J_{1/3} + J_{-1/3})(2/3 z^1.5) for x = -z in [-10, -2.5) (Schlafli's integral
  by Gauss-Legendre quadrature); the asymptotic expansion of Ai(-z) (A&S 10.4.60) below.

Accuracy: about 1e-15 absolute (and relative away from the zeros of the oscillating ones),
checked against torch.special (Cephes) in tests/test_surface_special_bessel.py. Derivatives
(which PyTorch does not provide): J0' = -J1, J1' = J0 - J1/x, Y0' = -Y1, Y1' = Y0 - Y1/x,
K0' = -K1, K1' = -K0 - K1/x, (e^x K0)' = e^x (K0 - K1), (e^x K1)' = e^x (K1 - K0 - K1/x),
Ai' from the same three representations.

>>> import glassnet
>>> glassnet.special.bessel_j0(glassnet.tensor([0.0, 2.404825557695773])).abs().round(
...     decimals=6)
tensor([1., 0.])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._pointwise import float_tensor
from glassnet.ops.operands import _quiet

_EULER = 0.57721566490153286061
_SWITCH = 25.0
_N = 128
_AI0 = 0.355028053887817239260  # Ai(0)
_AIP0 = 0.258819403792806798405  # -Ai'(0)


def _orders(xp, x):
    """J_m(x) for m = 0 .. _N // 2 (rows), x with |x| <= 25: (M, P)."""
    t = 2 * math.pi * xp.arange(_N) / _N
    e = xp.exp(-1j * x[:, None] * xp.sin(t)[None, :])
    return xp.fft.ifft(e, axis=1).real[:, : _N // 2].T


def _hankel(xp, x, n):
    """J_n(x), Y_n(x) for x >= 25 by Hankel's expansion."""
    mu = 4.0 * n * n
    p = xp.ones_like(x)
    q = xp.zeros_like(x)
    term = xp.ones_like(x)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q = q + (term if (k // 2) % 2 == 0 else -term)
        else:
            p = p + (-term if (k // 2) % 2 else term)
    chi = x - (n / 2 + 0.25) * math.pi
    amp = xp.sqrt(2.0 / (math.pi * x))
    return amp * (p * xp.cos(chi) - q * xp.sin(chi)), amp * (p * xp.sin(chi) + q * xp.cos(chi))


def _jy(x):
    """(J0, J1, Y0, Y1) of float64 x > 0 (J of |x| for any x)."""
    xp = get_array_module(x)
    ax = xp.abs(x)
    small = ax <= _SWITCH
    xs = xp.where(small, ax, 1.0)
    xl = xp.where(small, _SWITCH + 1.0, ax)
    J = _orders(xp, xs)  # noqa: N806
    log_term = xp.log(xs / 2) + _EULER
    k = xp.arange(1, _N // 4)[:, None]
    sign = xp.where(k % 2 == 1, 1.0, -1.0)
    y0 = (2 / math.pi) * (log_term * J[0] + 2 * (sign * J[2 * k[:, 0]] / k).sum(axis=0))
    # Y1 = -Y0', with J_m' = (J_{m-1} - J_{m+1}) / 2
    series = (sign * (J[2 * k[:, 0] - 1] - J[2 * k[:, 0] + 1]) / k).sum(axis=0)
    y1 = -(2 / math.pi) * (J[0] / xs - log_term * J[1] + series)
    j0l, y0l = _hankel(xp, xl, 0)
    j1l, y1l = _hankel(xp, xl, 1)
    j0 = xp.where(small, J[0], j0l)
    j1 = xp.where(small, J[1], j1l)
    return j0, j1, xp.where(small, y0, y0l), xp.where(small, y1, y1l)


def _k_series(xp, x):
    """K0(x), K1(x) for 0 < x <= 2 (power series)."""
    z = x * x / 4
    log_half = xp.log(x / 2)
    i0 = xp.zeros_like(x)
    i1 = xp.zeros_like(x)
    s0 = xp.zeros_like(x)
    s1 = xp.zeros_like(x)
    term0 = xp.ones_like(x)  # z^k / (k!)^2
    harmonic = 0.0
    for k in range(0, 40):
        if k:
            term0 = term0 * z / (k * k)
            harmonic += 1.0 / k
        i0 = i0 + term0
        s0 = s0 + harmonic * term0
        term1 = term0 / (k + 1)  # z^k / (k! (k+1)!)
        i1 = i1 + term1
        psi_sum = 2 * (-_EULER) + 2 * harmonic + 1.0 / (k + 1)  # psi(k+1) + psi(k+2)
        s1 = s1 + psi_sum * term1
    i1 = i1 * x / 2
    k0 = -(log_half + _EULER) * i0 + s0
    k1 = 1.0 / x + log_half * i1 - (x / 4) * s1
    return k0, k1


def _k_scaled_asymptotic(xp, x, nu):
    """e^x K_nu(x) for x >= 30 (A&S 9.7.2: the terms fall until k ~ 2x)."""
    mu = 4.0 * nu * nu
    term = xp.ones_like(x)
    total = term
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total = total + term
    return xp.sqrt(math.pi / (2 * x)) * total


def _k_scaled_integral(xp, x, nu):
    """e^x K_nu(x) for x >= ~1.5: the trapezoidal rule up to x = 30, the asymptotic
    expansion above (where the integrand gets too narrow for the fixed step)."""
    big = x > 30
    out = _k_scaled_trapezoid(xp, xp.where(big, 30.0, x), nu)
    return xp.where(big, _k_scaled_asymptotic(xp, xp.where(big, x, 30.0), nu), out)


def _k_scaled_trapezoid(xp, x, nu):
    """e^x K_nu(x) for 1.5 <= x <= 30 by the trapezoidal rule."""
    h = 0.05
    t = xp.arange(0, 140) * h  # up to t = 7: x (cosh t - 1) > 1000
    w = xp.full(t.shape, h)
    w[0] = h / 2
    f = xp.exp(-x[:, None] * (xp.cosh(t)[None, :] - 1)) * xp.cosh(nu * t)[None, :]
    return (f * w[None, :]).sum(axis=1)


def _k(x, scaled):
    """(K0, K1) (or e^x times them) of float64 x, nan below 0, inf at 0."""
    xp = get_array_module(x)
    small = x <= 2
    xs = xp.where(small & (x > 0), x, 1.0)
    xl = xp.where(small, 3.0, x)
    k0s, k1s = _k_series(xp, xs)
    if scaled:
        k0s, k1s = k0s * xp.exp(xs), k1s * xp.exp(xs)
    k0l = _k_scaled_integral(xp, xl, 0.0)
    k1l = _k_scaled_integral(xp, xl, 1.0)
    if not scaled:
        k0l, k1l = k0l * xp.exp(-xl), k1l * xp.exp(-xl)
    out = []
    for s, lg in ((k0s, k0l), (k1s, k1l)):
        v = xp.where(small, s, lg)
        v = xp.where(x == 0, xp.inf, v)
        out.append(xp.where((x < 0) | xp.isnan(x), xp.nan, v))
    return out


def _airy_series(xp, x):
    f = xp.ones_like(x)
    g = x.copy()
    fp = xp.zeros_like(x)  # f', g'
    gp = xp.ones_like(x)
    tf, tg = xp.ones_like(x), x.copy()
    x3 = x * x * x
    for k in range(1, 60):
        tf = tf * x3 / ((3 * k - 1) * (3 * k))
        tg = tg * x3 / ((3 * k) * (3 * k + 1))
        f = f + tf
        g = g + tg
        fp = fp + 3 * k * tf / xp.where(x == 0, 1.0, x)
        gp = gp + (3 * k + 1) * tg / xp.where(x == 0, 1.0, x)
    return _AI0 * f - _AIP0 * g, _AI0 * fp - _AIP0 * gp


def _bessel_j_fractional(xp, x, nu):
    """J_nu(x) for real nu and 2 <= x <= 25 (Schlafli's integral, A&S 9.1.22 kin), by
    Gauss-Legendre quadrature: 120 nodes on [0, pi] for the oscillating part, 80 on [0, 6]
    for the decaying one (exp(-2 sinh 6) ~ 1e-350)."""
    t1, w1 = np.polynomial.legendre.leggauss(120)
    theta = xp.asarray((t1 + 1) * math.pi / 2)
    w_theta = xp.asarray(w1 * math.pi / 2)
    t2, w2 = np.polynomial.legendre.leggauss(80)
    t = xp.asarray((t2 + 1) * 3.0)
    w_t = xp.asarray(w2 * 3.0)
    first = (xp.cos(nu * theta[None, :] - x[:, None] * xp.sin(theta)[None, :]) * w_theta).sum(1)
    second = (xp.exp(-x[:, None] * xp.sinh(t)[None, :] - nu * t[None, :]) * w_t).sum(1)
    return (first - math.sin(nu * math.pi) * second) / math.pi


def _airy_middle(xp, z):
    """Ai(-z), Ai'(-z) for 2.5 <= z <= 10 from J_{+-1/3} and J_{+-2/3} (A&S 10.4.15-16)."""
    zeta = 2.0 / 3.0 * z**1.5
    j = {nu: _bessel_j_fractional(xp, zeta, nu) for nu in (1 / 3, -1 / 3, 2 / 3, -2 / 3)}
    ai = xp.sqrt(z) / 3 * (j[1 / 3] + j[-1 / 3])
    aip = z / 3 * (j[2 / 3] - j[-2 / 3])
    return ai, aip


def _airy_negative(xp, z):
    """Ai(-z), Ai'(-z) for z >= 10 (A&S 10.4.60 and 10.4.62)."""
    zeta = 2.0 / 3.0 * z**1.5
    u = [1.0]
    for k in range(1, 40):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    v = [1.0] + [-(6 * k + 1) / (6 * k - 1) * u[k] for k in range(1, 40)]
    p, q, r, s = (xp.zeros_like(z) for _ in range(4))
    for k in range(0, 19):
        sign = -1.0 if k % 2 else 1.0
        p = p + sign * u[2 * k] * zeta ** (-2 * k)
        q = q + sign * u[2 * k + 1] * zeta ** (-2 * k - 1)
        r = r + sign * v[2 * k] * zeta ** (-2 * k)
        s = s + sign * v[2 * k + 1] * zeta ** (-2 * k - 1)
    phase = zeta + math.pi / 4
    ai = (xp.sin(phase) * p - xp.cos(phase) * q) / (math.sqrt(math.pi) * z**0.25)
    aip = -(z**0.25) / math.sqrt(math.pi) * (xp.cos(phase) * r + xp.sin(phase) * s)
    return ai, aip


def _airy(x):
    """Ai(x), Ai'(x) of float64 x."""
    xp = get_array_module(x)
    mid = (x >= -10) & (x <= 2)  # the series, then Bessel functions below -2.5
    pos = x > 2
    neg = x < -10
    bessel = (x < -2.5) & ~neg
    a_mid, d_mid = _airy_series(xp, xp.where(mid, x, 0.0))
    a_b, d_b = _airy_middle(xp, xp.where(bessel, -x, 5.0))
    a_mid, d_mid = xp.where(bessel, a_b, a_mid), xp.where(bessel, d_b, d_mid)
    xpos = xp.where(pos, x, 3.0)
    zeta = 2.0 / 3.0 * xpos**1.5
    decay = xp.exp(-zeta)
    k13 = _k_scaled_integral(xp, zeta, 1.0 / 3.0) * decay
    k23 = _k_scaled_integral(xp, zeta, 2.0 / 3.0) * decay
    a_pos = xp.sqrt(xpos / 3) * k13 / math.pi
    d_pos = -xpos * k23 / (math.pi * math.sqrt(3))
    a_neg, d_neg = _airy_negative(xp, xp.where(neg, -x, 11.0))
    ai = xp.where(mid, a_mid, xp.where(pos, a_pos, a_neg))
    aip = xp.where(mid, d_mid, xp.where(pos, d_pos, d_neg))
    return xp.where(xp.isnan(x) | xp.isinf(x), xp.nan, ai), aip  # nan at +-inf, as PyTorch


def _values(name, a):
    """The function and its derivative at float64 ``a``."""
    xp = get_array_module(a)
    with _quiet(xp):
        if name in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"):
            flat = a.reshape(-1)
            j0, j1, y0, y1 = _jy(xp.where(xp.isfinite(flat), flat, 1.0))
            safe = xp.where(flat == 0, 1.0, xp.abs(flat))
            if name == "bessel_j0":
                v, d = j0, -xp.sign(flat) * j1
            elif name == "bessel_j1":
                v = xp.sign(flat) * j1
                d = xp.where(flat == 0, 0.5, j0 - j1 / safe)
            elif name == "bessel_y0":
                v, d = y0, -y1
            else:
                v, d = y1, y0 - y1 / safe
            if name in ("bessel_y0", "bessel_y1"):
                v = xp.where(flat == 0, -xp.inf, xp.where(flat < 0, xp.nan, v))
            # at +-inf PyTorch gives nan (the oscillation has no value there), not the limit 0
            v = xp.where(xp.isnan(flat) | xp.isinf(flat), xp.nan, v)
            return v.reshape(a.shape), d.reshape(a.shape)
        if name == "airy_ai":
            flat = a.reshape(-1)
            v, d = _airy(flat)
            return v.reshape(a.shape), d.reshape(a.shape)
        scaled = name.startswith("scaled")
        flat = a.reshape(-1)
        k0, k1 = _k(flat, scaled)
        safe = xp.where(flat == 0, 1.0, flat)
        if name.endswith("k0"):
            v, d = k0, (k0 - k1 if scaled else -k1)
        else:
            v, d = k1, (k1 - k0 - k1 / safe if scaled else -k0 - k1 / safe)
        return v.reshape(a.shape), d.reshape(a.shape)


class Bessel(Function):
    """One of the functions above; backward multiplies by its derivative."""

    def forward(self, a, name):
        self.a, self.name = a, name
        v, _ = _values(name, a.astype("float64"))
        return v.astype(a.dtype, copy=False)

    def backward(self, grad):
        _, d = _values(self.name, self.a.astype("float64"))
        return grad * d.astype(grad.dtype, copy=False), None


def _make(name, doc):
    def op(input):
        return Bessel.apply(float_tensor(name, input), name)

    op.__name__, op.__doc__ = name, doc
    return op


SPECIAL = {
    "bessel_j0": _make("bessel_j0", "The Bessel function of the first kind of order 0."),
    "bessel_j1": _make("bessel_j1", "The Bessel function of the first kind of order 1."),
    "bessel_y0": _make("bessel_y0", "The Bessel function of the second kind of order 0."),
    "bessel_y1": _make("bessel_y1", "The Bessel function of the second kind of order 1."),
    "modified_bessel_k0": _make("modified_bessel_k0", "The modified Bessel function K0."),
    "modified_bessel_k1": _make("modified_bessel_k1", "The modified Bessel function K1."),
    "scaled_modified_bessel_k0": _make("scaled_modified_bessel_k0", "exp(x) K0(x)."),
    "scaled_modified_bessel_k1": _make("scaled_modified_bessel_k1", "exp(x) K1(x)."),
    "airy_ai": _make("airy_ai", "The Airy function Ai."),
}

__all__: list = []
