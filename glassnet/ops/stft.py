"""The short-time Fourier transform and its inverse, as ``torch.stft`` / ``torch.istft``.

``stft`` pads the signal (``center``), cuts it into frames of ``n_fft`` samples ``hop_length``
apart (``Tensor.unfold``), multiplies each by the window and takes its FFT: composed of
differentiable ops, so gradients reach the signal and the window. ``istft`` takes the inverse
FFT of each frame, multiplies by the window and adds the frames back where they came from
(overlap-add, the one Function here, whose backward is cutting into frames again), then divides
by the overlap-added squared window.

>>> import glassnet
>>> x = glassnet.randn(64, dtype=glassnet.float64)
>>> w = glassnet.hann_window(16, dtype=glassnet.float64)
>>> spec = glassnet.stft(x, 16, 4, window=w, return_complex=True)
>>> spec.shape
glassnet.Size([9, 17])
>>> back = glassnet.istft(spec, 16, 4, window=w, length=64)
>>> bool((back - x).abs().max() < 1e-12)
True
"""

from __future__ import annotations

from glassnet import backend
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops import fft as _fft
from glassnet.ops.complex_ops import view_as_complex, view_as_real
from glassnet.ops.shape_pad import pad as _pad
from glassnet.ops.windows import _windows
from glassnet.tensor import Tensor


class OverlapAdd(Function):
    """(..., n_fft, frames) -> (..., n_fft + hop * (frames - 1)): each frame added in at
    ``t * hop``."""

    saves_inputs = False

    def forward(self, frames, hop):
        xp = get_array_module(frames)
        n_fft, count = frames.shape[-2], frames.shape[-1]
        self.n_fft, self.hop = n_fft, hop
        out = xp.zeros(frames.shape[:-2] + (n_fft + hop * (count - 1),), dtype=frames.dtype)
        for k in range(n_fft):  # sample k of every frame lands at k, k + hop, ...
            out[..., k : k + hop * (count - 1) + 1 : hop] += frames[..., k, :]
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        windows = _windows(grad, grad.ndim - 1, self.n_fft, self.hop)  # (..., frames, n_fft)
        return xp.ascontiguousarray(xp.swapaxes(windows, -1, -2)), None


def _window(name, window, win_length, n_fft, like):
    """The window zero-padded on both sides to n_fft, as a (n_fft, 1) column."""
    if window is None:
        xp = get_array_module(like._data)
        window = Tensor._make(xp.ones(win_length, dtype=like._data.dtype))
    if window.ndim != 1 or window.shape[0] != win_length:
        raise ShapeError(
            f"{name}: expected a 1-D window of win_length={win_length} samples, got shape "
            f"{tuple(window.shape)}."
        )
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        window = _pad(window, (left, n_fft - win_length - left))
    return window.reshape(n_fft, 1)


def _lengths(name, n_fft, hop_length, win_length):
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if hop <= 0:
        raise ValueError(f"{name}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise ValueError(
            f"{name}: expected 0 < win_length <= n_fft, but got win_length={win}, n_fft={n_fft}"
        )
    return hop, win


def stft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    pad_mode="reflect",
    normalized=False,
    onesided=None,
    return_complex=None,
    align_to_window=None,
):
    """The (n_fft // 2 + 1, frames) complex spectrum of a 1-D signal, or (B, freq, frames) of a
    batch (B, L). ``return_complex=True`` is required, as in PyTorch (False gives the real view,
    the deprecated form)."""
    name = "stft"
    if return_complex is None:
        raise ValueError(
            "stft requires the return_complex parameter be given for real inputs; pass "
            "return_complex=True (and use view_as_real for a real result)."
        )
    if input._data.dtype.kind == "c":
        raise NotImplementedError("stft: complex input signals are not supported; pass a real one")
    if input.ndim not in (1, 2):
        raise ShapeError(
            f"{name}: expected a 1-D or 2-D (batch, time) input, got shape {tuple(input.shape)}"
        )
    hop, win = _lengths(name, n_fft, hop_length, win_length)
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if center:
        half = n_fft // 2
        x = _pad(x.unsqueeze(1), (half, half), mode=pad_mode).squeeze(1)
    if not 0 < n_fft <= x.shape[-1]:
        raise ValueError(
            f"{name}: expected 0 < n_fft <= {x.shape[-1]} (the padded signal length), but got "
            f"n_fft={n_fft}"
        )
    frames = x.unfold(-1, n_fft, hop).transpose(1, 2)  # (B, n_fft, frames)
    frames = frames * _window(name, window, win, n_fft, x)
    if input.ndim == 1:
        frames = frames.squeeze(0)
    onesided = True if onesided is None else onesided
    spec = _fft.rfft(frames, dim=-2) if onesided else _fft.fft(frames, dim=-2)
    if normalized:
        spec = spec * float(n_fft) ** -0.5
    return spec if return_complex else view_as_real(spec)


def istft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    normalized=False,
    onesided=None,
    length=None,
    return_complex=False,
):
    """The signal whose ``stft`` is ``input`` (freq, frames) or (B, freq, frames), by
    windowed overlap-add; ``length`` trims or zero-pads the result."""
    name = "istft"
    if input._data.dtype.kind != "c":
        raise ValueError(f"{name}: expected a complex spectrum (stft(..., return_complex=True))")
    if return_complex:
        raise NotImplementedError(f"{name}: return_complex=True is not supported")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"{name}: expected a (freq, frames) or (B, freq, frames) input, got "
            f"{tuple(input.shape)}"
        )
    hop, win = _lengths(name, n_fft, hop_length, win_length)
    n_freq, count = input.shape[-2], input.shape[-1]
    if onesided is None:
        onesided = n_freq != n_fft
    want = n_fft // 2 + 1 if onesided else n_fft
    if n_freq != want:
        raise ShapeError(
            f"{name}: expected {want} frequencies for n_fft={n_fft} (onesided={onesided}), got "
            f"{n_freq} in the input of shape {tuple(input.shape)}."
        )
    spec = input * float(n_fft) ** 0.5 if normalized else input
    if not onesided:  # a real result: only the first half counts, as in PyTorch
        # (sliced as real pairs: glassnet differentiates complex values through few ops)
        spec = view_as_complex(view_as_real(spec)[..., : n_fft // 2 + 1, :, :])
    frames = _fft.irfft(spec, n=n_fft, dim=-2)
    w = _window(name, window, win, n_fft, frames)
    y = OverlapAdd.apply(frames * w, hop)
    # the envelope depends on the window too: keep it in the graph (PyTorch does)
    envelope = OverlapAdd.apply((w * w).expand(n_fft, count), hop)
    total = envelope.shape[-1]
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = min(start + int(length), total)
    y, envelope = y[..., start:end], envelope[start:end]
    lowest = float(backend.to_numpy(envelope.detach().abs()._data).min()) if end > start else 1.0
    if lowest < 1e-11:
        raise RuntimeError(
            f"{name}: window overlap add min: {lowest:.3g}; the window and hop must "
            "overlap-add to a non-zero sum everywhere (NOLA); use a smaller hop_length."
        )
    y = y / envelope
    if length is not None and y.shape[-1] < length:
        y = _pad(y, (0, int(length) - y.shape[-1]))
    return y


TENSOR_METHODS = {"stft": stft, "istft": istft}

__all__ = ["stft", "istft"]
