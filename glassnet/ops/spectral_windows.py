"""``torch.hann_window``, ``hamming_window``, ``blackman_window``, ``bartlett_window`` and
``kaiser_window``: the windows ``stft`` multiplies each frame by. ``periodic=True`` (the default,
as PyTorch) gives the window of length N+1 without its last point, right for spectral analysis.

>>> import glassnet
>>> glassnet.hann_window(4).tolist()
[0.0, 0.5, 1.0, 0.5]
"""

from __future__ import annotations

from glassnet.signal import windows as _w

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def _kw(dtype, device, requires_grad):
    return dict(dtype=dtype, device=device, requires_grad=requires_grad)


def hann_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False
):
    """The Hann window of ``window_length`` points."""
    return _w.hann(window_length, sym=not periodic, **_kw(dtype, device, requires_grad))


def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
):
    """``alpha - beta cos(2 pi n / (N - 1))``."""
    w = _w.general_cosine(
        window_length, a=[alpha, beta], sym=not periodic, **_kw(dtype, device, False)
    )
    return w.requires_grad_(True) if requires_grad else w


def blackman_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False
):
    """The Blackman window."""
    return _w.blackman(window_length, sym=not periodic, **_kw(dtype, device, requires_grad))


def bartlett_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False
):
    """The triangular (Bartlett) window."""
    return _w.bartlett(window_length, sym=not periodic, **_kw(dtype, device, requires_grad))


def kaiser_window(
    window_length,
    periodic=True,
    beta=12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
):
    """The Kaiser window with shape parameter ``beta``."""
    return _w.kaiser(
        window_length, beta=beta, sym=not periodic, **_kw(dtype, device, requires_grad)
    )
