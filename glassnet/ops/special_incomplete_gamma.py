"""The regularized incomplete gamma functions igamma P(a, x) and igammac Q(a, x) = 1 - P
(torch.special.gammainc / gammaincc), NumPy only, with the derivative in x,
x^(a-1) e^-x / Gamma(a) (none in a, as in PyTorch).

The series for x < a + 1 and the continued fraction (modified Lentz) otherwise, iterated to
convergence (Numerical Recipes' method), computed in float64; the prefactor
exp(a log x - x - lgamma(a)) costs about (a + x + |lgamma(a)|) ulps for large a or x.

>>> import glassnet
>>> glassnet.igamma(glassnet.tensor([1.0]), glassnet.tensor([1.0]))  # 1 - 1/e
tensor([0.6321])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import AutogradError
from glassnet.ops._pointwise import as_tensor_like, float_operands, inplace_method
from glassnet.ops.operands import _quiet
from glassnet.ops.special_gamma import lgamma_array


def _igamma_arrays(a, x):
    """(P(a, x), Q(a, x)), the regularized lower and upper incomplete gamma functions."""
    xp = get_array_module(a, x)
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype="float64"), xp.asarray(x, dtype="float64"))
    series = x < a + 1
    with _quiet(xp):
        sa = xp.where(series & (a > 0), a, 1.0)
        sx = xp.where(series & (x > 0), x, 0.0)
        term = 1 / sa
        total = term
        for i in range(1, 10001):
            term = term * sx / (sa + i)
            total = total + term
            if i % 16 == 0 and not bool((xp.abs(term) > xp.abs(total) * 1e-17).any()):
                break
        p_series = total * xp.exp(-sx + sa * xp.log(sx) - lgamma_array(sa))
        ca = xp.where(~series & (a > 0), a, 1.0)
        cx = xp.where(~series & xp.isfinite(x), x, 2.0)
        tiny = 1e-300
        b = cx + 1 - ca
        c = xp.full(b.shape, 1 / tiny)
        d = 1 / b
        h = d
        for i in range(1, 10001):
            an = -i * (i - ca)
            b = b + 2
            d = an * d + b
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if i % 16 == 0 and not bool((xp.abs(delta - 1) > 4e-16).any()):  # 2 ulps
                break
        q_fraction = xp.exp(-cx + ca * xp.log(cx) - lgamma_array(ca)) * h
    p = xp.where(series, p_series, 1 - q_fraction)
    q = xp.where(series, 1 - p_series, q_fraction)
    # PyTorch's edge values: a = 0 gives P = 1 (for x > 0), x = 0 gives P = 0, x = inf P = 1.
    p = xp.where((a == 0) & (x > 0), 1.0, xp.where(x == 0, 0.0, xp.where(x == xp.inf, 1.0, p)))
    q = xp.where((a == 0) & (x > 0), 0.0, xp.where(x == 0, 1.0, xp.where(x == xp.inf, 0.0, q)))
    invalid = (a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x) | ((a == 0) & (x == 0))
    return xp.where(invalid, xp.nan, p), xp.where(invalid, xp.nan, q)


class Igamma(Function):
    broadcasts, error_name = True, "igamma"

    def forward(self, a, x, upper):
        self.a, self.x, self.upper = a, x, upper
        p, q = _igamma_arrays(a, x)
        return (q if upper else p).astype(a.dtype, copy=False)

    def backward(self, grad):
        name = "igammac" if self.upper else "igamma"
        if self._next[0] is not None:
            raise AutogradError(
                f"the derivative for '{name}: input' (the shape parameter a) is not "
                "implemented (nor in PyTorch); detach it with .detach()."
            )
        xp = get_array_module(grad)
        a, x = xp.asarray(self.a, dtype="float64"), xp.asarray(self.x, dtype="float64")
        with _quiet(xp):
            density = xp.exp((a - 1) * xp.log(x) - x - lgamma_array(a))
        d = (-density if self.upper else density).astype(grad.dtype, copy=False)
        return None, grad * d, None


def igamma(input, other):
    """The regularized lower incomplete gamma function P(a, x), a = ``input``, x = ``other``.

    >>> import glassnet
    >>> glassnet.igamma(glassnet.tensor([1.0]), glassnet.tensor([1.0]))  # 1 - 1/e
    tensor([0.6321])
    """

    a, x = float_operands("igamma", input, other)
    return Igamma.apply(as_tensor_like(a, x), as_tensor_like(x, a), False)


def igammac(input, other):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x).

    >>> import glassnet
    >>> glassnet.igammac(glassnet.tensor([1.0]), glassnet.tensor([1.0]))  # 1/e
    tensor([0.3679])
    """

    a, x = float_operands("igammac", input, other)
    return Igamma.apply(as_tensor_like(a, x), as_tensor_like(x, a), True)


SPECIAL = {"gammainc": igamma, "gammaincc": igammac}
__all__ = ["igamma", "igammac"]
TENSOR_METHODS = {"igamma": igamma, "igammac": igammac}
TENSOR_METHODS.update({name + "_": inplace_method(TENSOR_METHODS[name]) for name in __all__})
