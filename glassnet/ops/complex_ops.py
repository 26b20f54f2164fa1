"""Complex tensors, as far as the FFTs need them: Tensor.real and .imag, conj, angle,
view_as_real, view_as_complex, complex(real, imag), polar, is_complex, and the complex64 /
complex128 dtypes.

glassnet's tensors are real except the results of these ops and of glassnet.fft. Gradients
follow PyTorch's convention (the gradient of a real loss L with respect to z = x + iy is
dL/dx + i dL/dy), and flow through these ops, the FFTs and .abs(); any other op given a complex
tensor that requires grad raises rather than compute a real-number gradient, except + - * /,
sum and mean, whose gradients also follow the rule (a product's takes the conjugate). Complex leaves
cannot require grad: start from real tensors (view_as_complex or complex make complex ones).

>>> import glassnet
>>> x = glassnet.tensor([3.0, 0.0], requires_grad=True)
>>> y = glassnet.tensor([4.0, 2.0], requires_grad=True)
>>> z = glassnet.complex(x, y)
>>> z.abs().sum().backward()
>>> x.grad, y.grad
(tensor([0.6000, 0.0000]), tensor([0.8000, 1.0000]))
"""

from __future__ import annotations

import numpy as _np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops.operands import _quiet

complex64 = cfloat = _np.dtype("complex64")
complex128 = cdouble = _np.dtype("complex128")

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128", "float16": "complex64"}


def complex_dtype_of(dtype):
    """complex64 for float32 (and float16), complex128 for float64."""
    return _np.dtype(_COMPLEX_OF.get(str(dtype), "complex64"))


class Real(Function):
    supports_complex = True
    saves_inputs = False

    def forward(self, a):
        return a.real.copy()

    def backward(self, grad):
        return (grad.astype(complex_dtype_of(grad.dtype)),)


class Imag(Function):
    supports_complex = True
    saves_inputs = False

    def forward(self, a):
        return a.imag.copy()

    def backward(self, grad):
        return (grad * grad.dtype.type(1) * 1j,)


class Conj(Function):
    supports_complex = True
    saves_inputs = False

    def forward(self, a):
        return get_array_module(a).conj(a)

    def backward(self, grad):
        return (get_array_module(grad).conj(grad),)


class Angle(Function):
    supports_complex = True

    def forward(self, a):
        self.a = a
        return get_array_module(a).angle(a).astype(a.real.dtype, copy=False)

    def backward(self, grad):
        # d angle = (-y dx + x dy) / |z|^2, so the gradient is i z / |z|^2 (0 at z = 0)
        xp = get_array_module(grad)
        z = self.a
        r2 = (z * xp.conj(z)).real
        with _quiet(xp):
            d = xp.where(r2 == 0, 0, 1j * z / r2)
        return (grad * d,)


class ViewAsReal(Function):
    supports_complex = True
    saves_inputs = False

    def forward(self, a):
        xp = get_array_module(a)
        return xp.stack([a.real, a.imag], axis=-1)

    def backward(self, grad):
        return (grad[..., 0] + 1j * grad[..., 1],)


class MakeComplex(Function):
    """real + i imag from two real tensors (view_as_complex, complex)."""

    supports_complex = True
    saves_inputs = False

    def forward(self, re, im):
        return (re + 1j * im).astype(complex_dtype_of(re.dtype), copy=False)

    def backward(self, grad):
        return grad.real.copy(), grad.imag.copy()


class Polar(Function):
    supports_complex = True

    def forward(self, r, theta):
        xp = get_array_module(r, theta)
        self.unit = xp.exp(1j * theta).astype(complex_dtype_of(r.dtype), copy=False)
        self.r = r
        return r * self.unit

    def backward(self, grad):
        xp = get_array_module(grad)
        along = (xp.conj(grad) * self.unit).real  # dL/dr = Re(conj(g) e^(i theta))
        across = (xp.conj(grad) * 1j * self.r * self.unit).real
        return along, across


def _require_complex(op, input):
    if input._data.dtype.kind != "c":
        raise DTypeError(f"{op}: expected a complex tensor, got {input.dtype}")


def real(input):
    """The real part (the tensor itself when it is real).

    >>> import glassnet
    >>> glassnet.real(glassnet.fft.fft(glassnet.tensor([1.0, 2.0])))
    tensor([ 3., -1.])
    """
    if input._data.dtype.kind != "c":
        return input
    return Real.apply(input)


def imag(input):
    """The imaginary part of a complex tensor.

    >>> import glassnet
    >>> glassnet.imag(glassnet.complex(glassnet.tensor([1.0]), glassnet.tensor([2.0])))
    tensor([2.])
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def conj(input):
    """The complex conjugate (the tensor itself when it is real).

    >>> import glassnet
    >>> glassnet.conj(glassnet.complex(glassnet.tensor([1.0]), glassnet.tensor([2.0]))).imag
    tensor([-2.])
    """
    if input._data.dtype.kind != "c":
        return input
    return Conj.apply(input)


def angle(input):
    """The argument (phase) of each element, in (-pi, pi]; 0 or pi for real tensors.

    >>> import glassnet
    >>> glassnet.angle(glassnet.complex(glassnet.tensor([0.0]), glassnet.tensor([1.0])))
    tensor([1.5708])
    """
    if input._data.dtype.kind != "c":
        from glassnet.ops.selection import where

        if input._data.dtype.kind != "f":
            input = input.float()
        return where(input < 0, 3.141592653589793, input * 0)
    return Angle.apply(input)


def view_as_real(input):
    """A real tensor with a last dim of 2 holding (real, imag).

    >>> import glassnet
    >>> glassnet.view_as_real(glassnet.complex(glassnet.tensor([1.0]), glassnet.tensor([2.0])))
    tensor([[1., 2.]])
    """
    _require_complex("view_as_real", input)
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """A complex tensor from a real one whose last dim of 2 holds (real, imag).

    >>> import glassnet
    >>> glassnet.view_as_complex(glassnet.tensor([[1.0, 2.0]])).dtype
    dtype('complex64')
    """
    if input._data.ndim == 0 or input._data.shape[-1] != 2:
        raise ShapeError(
            f"view_as_complex: Tensor must have a last dimension of size 2, got shape "
            f"{tuple(input.shape)}"
        )
    if input._data.dtype.kind != "f":
        raise DTypeError(f"view_as_complex: expected a float tensor, got {input.dtype}")
    return MakeComplex.apply(input[..., 0], input[..., 1])


def complex(real, imag):  # noqa: A001 - torch.complex
    """real + i imag from two float tensors of the same dtype.

    >>> import glassnet
    >>> glassnet.complex(glassnet.tensor([1.0]), glassnet.tensor([-1.0])).abs()
    tensor([1.4142])
    """
    if real._data.dtype != imag._data.dtype or real._data.dtype.kind != "f":
        raise DTypeError(
            f"complex: expected both inputs to be float tensors of one dtype, got {real.dtype} "
            f"and {imag.dtype}"
        )
    return MakeComplex.apply(real, imag)


def polar(abs, angle):  # noqa: A002 - torch.polar's names
    """abs * (cos(angle) + i sin(angle)).

    >>> import glassnet
    >>> glassnet.polar(glassnet.tensor([2.0]), glassnet.tensor([0.0]))
    tensor([(2+0j)], dtype=glassnet.complex64)
    """
    return Polar.apply(abs, angle)


def is_complex(input):
    """True for a complex tensor."""
    return input._data.dtype.kind == "c"


__all__ = [
    "real",
    "imag",
    "conj",
    "angle",
    "view_as_real",
    "view_as_complex",
    "complex",
    "polar",
    "is_complex",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
]
TENSOR_METHODS = {
    "real": property(real),
    "imag": property(imag),
    "conj": conj,
    "angle": angle,
    "is_complex": is_complex,
    "resolve_conj": lambda self: self,
    "conj_physical": conj,
}
