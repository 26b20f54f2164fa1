"""Elementwise functions of one tensor: exp, log, sqrt, tanh, sigmoid, relu, erf, clamp, ...

Each Function keeps what its derivative needs (often its own output: d tanh = 1 - tanh^2).
Where PyTorch defines a gradient at a kink (abs at 0, relu at 0, clamp at the bounds) we
follow it, so the parity tests hold exactly.

>>> import glassnet
>>> x = glassnet.tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> x.relu().sum().backward()
>>> x.grad
tensor([0., 0., 1.])
"""

from __future__ import annotations

import math

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.tensor import Tensor


class Exp(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Exp2(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).exp2(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out * math.log(2.0),)


class Expm1(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).expm1(a)
        return self.out

    def backward(self, grad):
        return (grad * (self.out + 1),)


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Log2(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log2(a)

    def backward(self, grad):
        return (grad / (self.a * math.log(2.0)),)


class Log10(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log10(a)

    def backward(self, grad):
        return (grad / (self.a * math.log(10.0)),)


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log1p(a)

    def backward(self, grad):
        return (grad / (self.a + 1),)


class Sqrt(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Rsqrt(Function):
    saves_output = True

    def forward(self, a):
        self.out = 1 / get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad * -0.5 * self.out * self.out * self.out,)


class Square(Function):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return (grad * 2 * self.a,)


class Reciprocal(Function):
    saves_output = True

    def forward(self, a):
        self.out = 1 / a
        return self.out

    def backward(self, grad):
        return (-grad * self.out * self.out,)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).sign(self.a),)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).sin(a)

    def backward(self, grad):
        return (grad * get_array_module(grad).cos(self.a),)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).cos(a)

    def backward(self, grad):
        return (-grad * get_array_module(grad).sin(self.a),)


class Tan(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).tan(a)
        return self.out

    def backward(self, grad):
        return (grad * (1 + self.out * self.out),)


class Tanh(Function):
    saves_output = True

    def forward(self, a):
        self.out = get_array_module(a).tanh(a)
        return self.out

    def backward(self, grad):
        # grad * (1 - out**2), in one buffer (a 0-d result is a NumPy scalar, with no buffer)
        if self.out.ndim == 0:
            return (grad * (1 - self.out * self.out),)
        d = self.out * self.out
        get_array_module(d).subtract(1, d, out=d)
        d *= grad
        return (d,)


class Sigmoid(Function):
    saves_output = True

    def forward(self, a):
        xp = get_array_module(a)
        # exp(-|x|) never overflows; the two branches keep small outputs accurate.
        e = xp.exp(-xp.abs(a))
        self.out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


def relu_array(a):
    """max(a, 0) on an array, with a zero of a's own dtype: one pass, no -0.0, and float32
    stays float32."""
    return get_array_module(a).maximum(a, a.dtype.type(0))


class Relu(Function):
    saves_output = True

    def forward(self, a):
        self.out = relu_array(a)
        return self.out

    def backward(self, grad):
        return (grad * (self.out > 0),)


class Erf(Function):
    def forward(self, a):
        self.a = a
        return erf_array(a)

    def backward(self, grad):
        # grad * 2/sqrt(pi) * exp(-a^2), in one buffer
        xp = get_array_module(grad)
        d = self.a * self.a
        if d.ndim == 0:
            return (grad * (2.0 / math.sqrt(math.pi)) * xp.exp(-d),)
        xp.negative(d, out=d)
        xp.exp(d, out=d)
        d *= d.dtype.type(2.0 / math.sqrt(math.pi))
        d *= grad
        return (d,)


def erf_array(a):
    """erf on an array. float32 (and float16): a rational approximation computed in float32,
    several times faster than SciPy's; float64: SciPy's when installed, else a 1e-7 accurate
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
        return _erf_numpy(a)


def gelu_array(a):
    """GELU's forward on an array: ``(x * Phi(x), Phi(x))``, Phi the standard normal CDF,
    ``0.5 * (1 + erf(x / sqrt(2)))`` (its backward needs Phi too). float32 on the CPU folds the
    scalings into the rational erf below, with no extra temporaries."""
    xp = get_array_module(a)
    if xp.__name__ != "cupy" and a.dtype == xp.float32:
        cdf = _odd_rational(a, 4.0, _CDF_P, _ERF_Q, scale=1 / math.sqrt(2))
        cdf += xp.float32(0.5)
    else:
        cdf = erf_array(a * a.dtype.type(1 / math.sqrt(2)))
        cdf += 1
        cdf *= 0.5
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
# Phi(x) - 0.5 = 0.5 * erf(x / sqrt(2)): the same rational, with the factor 0.5 folded into the
# numerator (exact: a power of two), so Phi is 0 and 1 exactly where erf is -1 and 1.
_CDF_P = tuple(0.5 * c for c in _ERF_P)


def _odd_rational(a, limit, num, den, scale=None):
    """``x * num(x^2) / den(x^2)`` in float32 with x = a (times ``scale``) clamped to +-limit
    (coefficients highest power first), by Horner's rule in place: four buffers, no exp. NaN
    passes through."""
    xp = get_array_module(a)
    f32 = xp.float32
    flat = a.reshape(-1)
    if scale is None:
        x = xp.minimum(flat, f32(limit), dtype=f32)
    else:
        x = xp.multiply(flat, f32(scale), dtype=f32)
        xp.minimum(x, f32(limit), out=x)
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


def _erf_numpy(a):
    # W. J. Cody's rational approximations would be longer; this continued-fraction-free
    # form uses erf(x) = sign(x) * (1 - erfc(|x|)) with Numerical Recipes' erfc (|err| < 1.2e-7).
    xp = get_array_module(a)
    x = xp.abs(a.astype(xp.float64))
    t = 1.0 / (1.0 + 0.5 * x)
    poly = (
        -x * x
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * xp.exp(poly)
    return (xp.sign(a) * (1.0 - erfc)).astype(a.dtype)


class _Rounding(Function):
    """floor, ceil, round, trunc, sign: piecewise constant, so the gradient is zero."""

    saves_inputs = False
    func = "floor"

    def forward(self, a, **kwargs):
        if a.dtype.kind in "biu" and self.func != "sign":
            return a.copy()  # integers are already whole (and keep their dtype, as in PyTorch)
        return getattr(get_array_module(a), self.func)(a, **kwargs)

    def backward(self, grad):
        return (grad * 0,)


class Floor(_Rounding):
    func = "floor"


class Ceil(_Rounding):
    func = "ceil"


class Round(_Rounding):
    func = "round"  # half to even, as PyTorch


class Trunc(_Rounding):
    func = "trunc"


class Sign(_Rounding):
    func = "sign"


def _unary(cls, float_only=True, name=None):
    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if float_only and input.data.dtype.kind != "f":
            from glassnet import dtypes
            from glassnet.ops.conversion import to_dtype

            input = to_dtype(input, dtypes.get_default_dtype())
        return cls.apply(input)

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}, differentiable."
    return op


exp = _unary(Exp, name="exp")
exp2 = _unary(Exp2, name="exp2")
expm1 = _unary(Expm1, name="expm1")
log = _unary(Log, name="log")
log2 = _unary(Log2, name="log2")
log10 = _unary(Log10, name="log10")
log1p = _unary(Log1p, name="log1p")
sqrt = _unary(Sqrt, name="sqrt")
rsqrt = _unary(Rsqrt, name="rsqrt")
square = _unary(Square, float_only=False, name="square")
reciprocal = _unary(Reciprocal, name="reciprocal")
abs = _unary(Abs, float_only=False, name="abs")  # noqa: A001
sin = _unary(Sin, name="sin")
cos = _unary(Cos, name="cos")
tan = _unary(Tan, name="tan")
tanh = _unary(Tanh, name="tanh")
sigmoid = _unary(Sigmoid, name="sigmoid")
relu = _unary(Relu, float_only=False, name="relu")
erf = _unary(Erf, name="erf")
floor = _unary(Floor, float_only=False, name="floor")
ceil = _unary(Ceil, float_only=False, name="ceil")
trunc = _unary(Trunc, float_only=False, name="trunc")
sign = _unary(Sign, float_only=False, name="sign")


def round(input, decimals=0):  # noqa: A001
    """Round half to even; ``decimals`` rounds to that many decimal places."""
    return Round.apply(input, decimals=decimals)


# clamp, maximum, minimum and where pick between values; they live in selection.py.
from glassnet.ops.selection import clamp, maximum, minimum, where  # noqa: E402, F401

TENSOR_METHODS = {
    name: globals()[name]
    for name in (
        "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal abs sin cos tan tanh "
        "sigmoid relu erf floor ceil trunc sign round clamp maximum minimum"
    ).split()
}
TENSOR_METHODS["clip"] = clamp
TENSOR_METHODS["where"] = lambda self, condition, other: where(condition, self, other)
TENSOR_METHODS["__abs__"] = abs
for _name in (
    "exp log sqrt tanh sigmoid relu clamp abs sin cos floor ceil round trunc "
    "reciprocal square sign rsqrt log1p expm1 erf"
).split():
    TENSOR_METHODS[_name + "_"] = (
        lambda op: lambda self, *a, **k: self._inplace(lambda t: op(t, *a, **k))
    )(globals()[_name])
TENSOR_METHODS["clip_"] = TENSOR_METHODS["clamp_"]

__all__ = [
    *(
        "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal abs sin cos tan tanh "
        "sigmoid relu erf floor ceil trunc sign round clamp maximum minimum where"
    ).split(),
]
