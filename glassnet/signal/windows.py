"""Window functions for spectral analysis, as ``torch.signal.windows`` (and, through
``glassnet.ops.spectral_windows``, ``torch.hann_window`` and friends): cosine-sum windows
(hann, hamming, blackman, nuttall, general_cosine, general_hamming), bartlett, cosine,
exponential, gaussian and kaiser. ``sym=False`` gives the periodic window that spectral
analysis with ``stft`` wants. Windows are constants: computed in float64 with NumPy, then cast.

>>> import glassnet
>>> glassnet.signal.windows.hann(5).tolist()
[0.0, 0.5, 1.0, 0.5, 0.0]
>>> glassnet.signal.windows.hann(4, sym=False).tolist()
[0.0, 0.5, 1.0, 0.5]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import creation, dtypes

__all__ = [
    "bartlett",
    "blackman",
    "cosine",
    "exponential",
    "gaussian",
    "general_cosine",
    "general_hamming",
    "hamming",
    "hann",
    "kaiser",
    "nuttall",
]


def _check(name, M):
    if int(M) != M or M < 0:
        raise ValueError(f"{name}: M must be a non-negative integer, got {M}")
    return int(M)


def _finish(values, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    if dtype.kind != "f":
        raise ValueError(f"windows: expected a floating point dtype, got {dtype}")
    return creation.tensor(
        np.asarray(values, dtype=np.float64).astype(dtype),
        device=device,
        requires_grad=requires_grad,
    )


def _span(M, sym):
    """The denominator that maps 0..M-1 onto one period (M for periodic windows)."""
    return M - 1 if sym or M == 1 else M


def _trivial(M, dtype, device, requires_grad):
    if M == 0:
        return _finish(np.zeros(0), dtype, device, requires_grad)
    if M == 1:
        return _finish(np.ones(1), dtype, device, requires_grad)
    return None


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``sum_i (-1)^i a_i cos(2 pi i n / (M - 1))`` (``/ M`` when periodic)."""
    M = _check("general_cosine", M)
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    k = 2 * math.pi * np.arange(M) / _span(M, sym)
    w = sum((-1) ** i * c * np.cos(i * k) for i, c in enumerate(a))
    return _finish(w, dtype, device, requires_grad)


def general_hamming(
    M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False
):
    """``alpha - (1 - alpha) cos(2 pi n / (M - 1))``."""
    return general_cosine(
        M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad
    )


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window: ``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return general_hamming(
        M, alpha=0.5, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad
    )


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hamming window: ``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return general_hamming(
        M, alpha=0.54, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad
    )


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window (cosine sum 0.42, 0.5, 0.08)."""
    return general_cosine(
        M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad
    )


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Nuttall's minimum 4-term Blackman-Harris window."""
    a = [0.3635819, 0.4891775, 0.1365995, 0.0106411]
    return general_cosine(M, a=a, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window ``1 - |2n / (M - 1) - 1|``."""
    M = _check("bartlett", M)
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    k = -1.0 + 2.0 * np.arange(M) / _span(M, sym)
    return _finish(1.0 - np.abs(k), dtype, device, requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The sine (cosine) window ``sin(pi (n + 1/2) / M)`` (``/ (M + 1)`` when periodic)."""
    M = _check("cosine", M)
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    denominator = M if sym else M + 1
    return _finish(
        np.sin(math.pi * (np.arange(M) + 0.5) / denominator), dtype, device, requires_grad
    )


def exponential(
    M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False
):
    """``exp(-|n - center| / tau)``; ``center`` defaults to the middle."""
    M = _check("exponential", M)
    if tau <= 0:
        raise ValueError(f"exponential: tau must be positive, got {tau}")
    if sym and center is not None:
        raise ValueError("exponential: center must be None for symmetric windows")
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    if center is None:
        center = _span(M, sym) / 2.0
    return _finish(np.exp(-np.abs(np.arange(M) - center) / tau), dtype, device, requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``exp(-(n - middle)^2 / (2 std^2))``."""
    M = _check("gaussian", M)
    if std <= 0:
        raise ValueError(f"gaussian: std must be positive, got {std}")
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    k = np.arange(M) - _span(M, sym) / 2.0
    return _finish(np.exp(-(k**2) / (2 * std**2)), dtype, device, requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)``."""
    M = _check("kaiser", M)
    if beta < 0:
        raise ValueError(f"kaiser: beta must be non-negative, got {beta}")
    out = _trivial(M, dtype, device, requires_grad)
    if out is not None:
        return out
    k = np.minimum(-1.0 + 2.0 * np.arange(M) / _span(M, sym), 1.0)
    return _finish(
        np.i0(beta * np.sqrt(np.maximum(1.0 - k**2, 0.0))) / np.i0(beta),
        dtype,
        device,
        requires_grad,
    )
