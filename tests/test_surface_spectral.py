"""Window functions (torch.*_window and torch.signal.windows) and stft/istft against PyTorch,
with gradients to the signal, the window and the spectrum."""

import numpy as np
import pytest
import torch
import torch.signal.windows as tw

import glassnet
from tests.helpers import check_op


@pytest.mark.parametrize(
    "name, kw",
    [
        ("bartlett", {}),
        ("blackman", {}),
        ("cosine", {}),
        ("exponential", dict(tau=2.0)),
        ("gaussian", dict(std=1.5)),
        ("general_cosine", dict(a=[0.5, 0.3, 0.2])),
        ("general_hamming", dict(alpha=0.6)),
        ("hamming", {}),
        ("hann", {}),
        ("kaiser", dict(beta=5.0)),
        ("nuttall", {}),
    ],
)
@pytest.mark.parametrize("M", [0, 1, 2, 7, 8])
@pytest.mark.parametrize("sym", [True, False])
def test_signal_windows_match_torch(name, kw, M, sym):
    got = getattr(glassnet.signal.windows, name)(M, sym=sym, dtype=glassnet.float64, **kw)
    want = getattr(tw, name)(M, sym=sym, dtype=torch.float64, **kw)
    # a cosine or exponential of float64 arguments: 1e-12 covers the rounding
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    assert glassnet.windows is glassnet.signal.windows


@pytest.mark.parametrize(
    "name, args",
    [("hann", ()), ("hamming", (0.5, 0.4)), ("blackman", ()), ("bartlett", ()), ("kaiser", (6.0,))],
)
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n", [1, 5, 16])
def test_torch_windows_match(name, args, periodic, n):
    got = getattr(glassnet, f"{name}_window")(n, periodic, *args)
    want = getattr(torch, f"{name}_window")(n, periodic, *args)
    assert got.dtype == glassnet.float32
    # float32 windows: the values are rounded once from float64
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)


STFT_CASES = [
    dict(),
    dict(center=False),
    dict(normalized=True),
    dict(onesided=False),
    dict(pad_mode="constant"),
    dict(pad_mode="replicate"),
    dict(win_length=8),
]


@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("shape", [(40,), (2, 40)])
def test_stft_matches_torch_with_gradients(kw, shape):
    wl = kw.get("win_length", 12)
    check_op(
        [shape, (wl,)],
        lambda x, w: glassnet.view_as_real(
            glassnet.stft(x, 12, 3, window=w, return_complex=True, **kw)
        ),
        lambda x, w: torch.view_as_real(torch.stft(x, 12, 3, window=w, return_complex=True, **kw)),
    )


def test_stft_defaults_and_method_spelling():
    (x,) = [np.random.default_rng(0).normal(size=64)]
    got = glassnet.tensor(x).stft(16, return_complex=True)
    want = torch.tensor(x).stft(16, return_complex=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="return_complex"):
        glassnet.stft(glassnet.tensor(x), 16)


@pytest.mark.parametrize(
    "kw", [dict(), dict(normalized=True), dict(length=37), dict(length=44), dict(onesided=False)]
)
def test_istft_matches_torch_with_gradients(kw):
    frames, n_fft = 9, 12
    n_freq = n_fft if kw.get("onesided") is False else n_fft // 2 + 1

    def run(lib):
        def f(re, im, w):
            return lib.istft(lib.complex(re, im), n_fft, 4, window=w, **kw)

        return f

    w = np.hanning(n_fft + 1)[:-1] + 0.1  # no zeros: the envelope stays away from zero
    r = np.random.default_rng(1)
    check_op(
        [],
        run(glassnet),
        run(torch),
        inputs=[r.normal(size=(2, n_freq, frames)), r.normal(size=(2, n_freq, frames)), w],
    )


def test_stft_istft_round_trip():
    x = np.random.default_rng(2).normal(size=(3, 100))
    w = glassnet.hann_window(32, dtype=glassnet.float64)
    spec = glassnet.stft(glassnet.tensor(x), 32, 8, window=w, return_complex=True)
    back = spec.istft(32, 8, window=w, length=100)
    # float64 FFTs and a division by the overlap-added window: 1e-12 is ample
    np.testing.assert_allclose(back.numpy(), x, atol=1e-12)
