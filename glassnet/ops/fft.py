"""Discrete Fourier transforms, torch.fft's functions: fft, ifft, rfft, irfft, hfft, ihfft, their
2-D and n-D forms, fftshift, ifftshift, fftfreq, rfftfreq. Computed by NumPy's (or CuPy's) FFT.

Every transform is differentiable. A DFT is linear, so its gradient is its adjoint: the
inverse transform with the normalization swapped ('backward' <-> 'forward'), padding and
truncation undone. rfft keeps half the spectrum, so its adjoint zero-pads the gradient back
to full length first; irfft reads a half spectrum as a Hermitian one, so its adjoint doubles
the frequencies that stand for a conjugate pair. The results are complex tensors (complex64
from float32), see complex_ops.py.

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
>>> X = glassnet.fft.rfft(x)
>>> X
tensor([(10+0j), (-2+2j), (-2+0j)], dtype=glassnet.complex64, grad_fn=<FftBackward0>)
>>> X.abs().sum().backward()
>>> x.grad
tensor([-0.7071,  1.2929,  0.7071,  2.7071])
"""

from __future__ import annotations

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.complex_ops import complex_dtype_of, conj
from glassnet.tensor import Tensor

_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resize(xp, a, axes, sizes):
    """``a`` truncated or zero-padded at the end of each axis to the given size."""
    for axis, size in zip(axes, sizes):
        n = a.shape[axis]
        if n > size:
            a = xp.take(a, xp.arange(size), axis=axis)
        elif n < size:
            pad = [(0, 0)] * a.ndim
            pad[axis] = (0, size - n)
            a = xp.pad(a, pad)
    return a


class Fft(Function):
    """One n-dimensional transform: 'c2c' (fftn, or ifftn with ``inverse``), 'r2c' (rfftn),
    'c2r' (irfftn); ``sizes`` are the signal lengths along ``axes`` after padding."""

    supports_complex = True
    saves_inputs = False

    def forward(self, a, kind, axes, sizes, norm, inverse):
        xp = get_array_module(a)
        self.kind, self.axes, self.sizes, self.norm, self.inverse = kind, axes, sizes, norm, inverse
        self.in_shape = [a.shape[ax] for ax in axes]
        self.real_input = a.dtype.kind != "c"
        if kind == "c2c":
            transform = xp.fft.ifftn if inverse else xp.fft.fftn
            out = transform(a, s=sizes, axes=axes, norm=norm)
            return out.astype(complex_dtype_of(a.real.dtype), copy=False)
        if kind == "r2c":
            out = xp.fft.rfftn(a, s=sizes, axes=axes, norm=norm)
            return out.astype(complex_dtype_of(a.dtype), copy=False)
        out = xp.fft.irfftn(a, s=sizes, axes=axes, norm=norm)
        return out.astype(a.real.dtype, copy=False)

    def backward(self, grad):
        xp = get_array_module(grad)
        axes, sizes, norm = self.axes, self.sizes, _SWAP[self.norm]
        if self.kind == "c2c":
            adjoint = xp.fft.fftn if self.inverse else xp.fft.ifftn
            g = adjoint(grad, axes=axes, norm=norm)
        elif self.kind == "r2c":
            full = _resize(xp, grad, axes[-1:], sizes[-1:])  # the dropped half: zeros
            g = xp.fft.ifftn(full, axes=axes, norm=norm)
        else:
            g = xp.fft.rfftn(grad, axes=axes, norm=norm)
            n = sizes[-1]
            # frequencies 1 .. ceil(n/2)-1 each stand for a conjugate pair in the signal
            weight = xp.full(g.shape[axes[-1]], 2.0)
            weight[0] = 1.0
            if n % 2 == 0:
                weight[-1] = 1.0
            shape = [1] * g.ndim
            shape[axes[-1]] = -1
            g = g * weight.reshape(shape)
        g = _resize(xp, g, axes, self.in_shape)
        if self.real_input:
            g = g.real
        dtype = grad.real.dtype if self.real_input else complex_dtype_of(grad.real.dtype)
        return g.astype(dtype, copy=False), None, None, None, None, None


def _prepare(op, input, kind):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    kind_of = input._data.dtype.kind
    if kind_of in "biu":
        input = input.to(dtypes.get_default_dtype())
    elif kind == "r2c" and kind_of == "c":
        raise TypeError(f"{op} expects a real input tensor, but got {input.dtype}")
    return input


def _norm(op, norm):
    norm = "backward" if norm is None else norm
    if norm not in _SWAP:
        raise ValueError(f"{op}: Invalid normalization mode: {norm!r}")
    return norm


def _axes_sizes(op, input, s, dim):
    """The transformed axes (all, or the last len(s), when ``dim`` is None) and their sizes
    (None: the input's own)."""
    ndim = input._data.ndim
    if s is not None:
        s = [s] if isinstance(s, int) else list(s)
    if dim is None:
        dims = list(range(ndim)) if s is None else list(range(ndim - len(s), ndim))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
    axes = [normalize_dim(d, ndim, op) for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: FFT dims must be unique, got {dims}")
    if s is None:
        return axes, None
    if len(s) != len(axes):
        raise ShapeError(
            f"{op}: When given, dim and shape arguments must have the same length, got s={s} "
            f"and dim={dims}"
        )
    return axes, [input._data.shape[a] if n == -1 else int(n) for a, n in zip(axes, s)]


def _transform(op, kind, inverse, input, s, dim, norm):
    input = _prepare(op, input, kind)
    norm = _norm(op, norm)
    axes, sizes = _axes_sizes(op, input, s, dim)
    if sizes is None:
        sizes = [input._data.shape[a] for a in axes]
        if kind == "c2r":
            sizes[-1] = 2 * (sizes[-1] - 1)
    for n in sizes:
        if n < 1:
            raise ValueError(f"{op}: Invalid number of data points ({n}) specified")
    if kind == "c2r" and input._data.dtype.kind != "c":
        from glassnet.ops.complex_ops import MakeComplex

        input = MakeComplex.apply(input, input * 0)
    return Fft.apply(input, kind, tuple(axes), tuple(sizes), norm, inverse)


def fft(input, n=None, dim=-1, norm=None):
    """The 1-D discrete Fourier transform along ``dim`` (padded or cut to ``n`` points).

    >>> import glassnet
    >>> glassnet.fft.fft(glassnet.tensor([1.0, 0.0, 0.0, 0.0]))
    tensor([(1+0j), (1+0j), (1+0j), (1+0j)], dtype=glassnet.complex64)
    """
    return _transform("fft", "c2c", False, input, None if n is None else [n], dim, norm)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse of fft."""
    return _transform("ifft", "c2c", True, input, None if n is None else [n], dim, norm)


def rfft(input, n=None, dim=-1, norm=None):
    """fft of a real signal, keeping the n // 2 + 1 non-negative frequencies."""
    return _transform("rfft", "r2c", False, input, None if n is None else [n], dim, norm)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of rfft: a real signal of ``n`` points (2 (m - 1) by default) from a half
    spectrum of m frequencies.

    >>> import glassnet
    >>> glassnet.fft.irfft(glassnet.fft.rfft(glassnet.tensor([1.0, 2.0, 3.0, 4.0])))
    tensor([1., 2., 3., 4.])
    """
    return _transform("irfft", "c2r", False, input, None if n is None else [n], dim, norm)


def hfft(input, n=None, dim=-1, norm=None):
    """The fft of a Hermitian-symmetric signal given by its first half: a real spectrum."""
    return irfft(conj(_prepare("hfft", input, "c2c")), n, dim, _SWAP[_norm("hfft", norm)])


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the half spectrum of a real signal, conjugated."""
    return conj(rfft(input, n, dim, _SWAP[_norm("ihfft", norm)]))


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """The 2-D fft over ``dim``."""
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """The inverse of fft2."""
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    """The 2-D rfft over ``dim`` (half spectrum along the last of them)."""
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    """The inverse of rfft2."""
    return irfftn(input, s, dim, norm)


def fftn(input, s=None, dim=None, norm=None):
    """The n-D fft over ``dim`` (all dims, or the last len(s), by default).

    >>> import glassnet
    >>> glassnet.fft.fftn(glassnet.ones(2, 2)).real
    tensor([[4., 0.],
            [0., 0.]])
    """
    return _transform("fftn", "c2c", False, input, s, dim, norm)


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse of fftn."""
    return _transform("ifftn", "c2c", True, input, s, dim, norm)


def rfftn(input, s=None, dim=None, norm=None):
    """The n-D fft of a real signal, half spectrum along the last transformed dim."""
    return _transform("rfftn", "r2c", False, input, s, dim, norm)


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of rfftn."""
    return _transform("irfftn", "c2r", False, input, s, dim, norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    """The 2-D hfft."""
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    """The 2-D ihfft."""
    return ihfftn(input, s, dim, norm)


def hfftn(input, s=None, dim=None, norm=None):
    """The n-D hfft: irfftn of the conjugate with the normalization swapped."""
    return irfftn(conj(_prepare("hfftn", input, "c2c")), s, dim, _SWAP[_norm("hfftn", norm)])


def ihfftn(input, s=None, dim=None, norm=None):
    """The n-D ihfft."""
    return conj(rfftn(input, s, dim, _SWAP[_norm("ihfftn", norm)]))


class Shift(Function):
    supports_complex = True
    saves_inputs = False

    def forward(self, a, axes, inverse):
        xp = get_array_module(a)
        self.axes, self.inverse = axes, inverse
        return (xp.fft.ifftshift if inverse else xp.fft.fftshift)(a, axes=axes)

    def backward(self, grad):
        xp = get_array_module(grad)
        return (
            (xp.fft.fftshift if self.inverse else xp.fft.ifftshift)(grad, axes=self.axes),
            None,
            None,
        )


def _shift(op, input, dim, inverse):
    ndim = input._data.ndim
    if dim is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(normalize_dim(d, ndim, op) for d in ([dim] if isinstance(dim, int) else dim))
    return Shift.apply(input, axes, inverse)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle (a roll by n // 2 along each dim).

    >>> import glassnet
    >>> glassnet.fft.fftshift(glassnet.fft.fftfreq(4))
    tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift("fftshift", input, dim, inverse=False)


def ifftshift(input, dim=None):
    """The inverse of fftshift."""
    return _shift("ifftshift", input, dim, inverse=True)


def _frequencies(values, dtype, device, requires_grad):
    from glassnet.creation import tensor

    return tensor(
        values,
        dtype=dtype or dtypes.get_default_dtype(),
        device=device,
        requires_grad=requires_grad,
    )


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **_):
    """The frequencies of fft's outputs for ``n`` samples ``d`` apart: 0, 1, ..., -1 / (d n).

    >>> import glassnet
    >>> glassnet.fft.fftfreq(5, 0.1)
    tensor([ 0.,  2.,  4., -4., -2.])
    """
    host = get_array_module()
    return _frequencies(host.fft.fftfreq(n, d), dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, **_):
    """The frequencies of rfft's outputs: 0, 1, ..., n // 2, over (d n).

    >>> import glassnet
    >>> glassnet.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    host = get_array_module()
    return _frequencies(host.fft.rfftfreq(n, d), dtype, device, requires_grad)


FFT = {
    name: globals()[name]
    for name in (
        "fft ifft rfft irfft hfft ihfft fft2 ifft2 rfft2 irfft2 hfft2 ihfft2 fftn ifftn rfftn "
        "irfftn hfftn ihfftn fftshift ifftshift fftfreq rfftfreq"
    ).split()
}
__all__ = []  # torch.fft.* only: glassnet.fft
