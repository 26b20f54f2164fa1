"""glassnet.fft and the complex-tensor ops against torch.fft: forward and gradients in float64
and float32 (check_op's tolerances: an FFT of n points adds about log2(n) roundings) and float64
finite differences. Complex results are compared through view_as_real, so the gradients of
both their real and imaginary parts are checked (and view_as_real's own)."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


def as_real(z):
    return lib(z).view_as_real(z.resolve_conj())  # torch's conj is lazy: resolve it first


def as_complex(x):
    return lib(x).view_as_complex(x)


CASES = [
    # name, input shapes, function
    ("fft", [(3, 8)], lambda x: as_real(lib(x).fft.fft(x))),
    ("fft_pad", [(3, 5)], lambda x: as_real(lib(x).fft.fft(x, n=8))),
    ("fft_cut_dim0", [(6, 3)], lambda x: as_real(lib(x).fft.fft(x, n=4, dim=0))),
    ("fft_ortho", [(7,)], lambda x: as_real(lib(x).fft.fft(x, norm="ortho"))),
    ("fft_forward", [(7,)], lambda x: as_real(lib(x).fft.fft(x, norm="forward"))),
    ("fft_complex", [(3, 6, 2)], lambda x: as_real(lib(x).fft.fft(as_complex(x)))),
    ("ifft", [(3, 6, 2)], lambda x: as_real(lib(x).fft.ifft(as_complex(x), n=5))),
    ("ifft_real", [(4, 6)], lambda x: as_real(lib(x).fft.ifft(x, norm="ortho"))),
    ("rfft_even", [(3, 8)], lambda x: as_real(lib(x).fft.rfft(x))),
    ("rfft_odd", [(3, 7)], lambda x: as_real(lib(x).fft.rfft(x))),
    ("rfft_pad_forward", [(2, 5)], lambda x: as_real(lib(x).fft.rfft(x, n=8, norm="forward"))),
    ("irfft_even", [(3, 5, 2)], lambda x: lib(x).fft.irfft(as_complex(x))),
    ("irfft_odd", [(3, 5, 2)], lambda x: lib(x).fft.irfft(as_complex(x), n=9)),
    ("irfft_cut_ortho", [(4, 2)], lambda x: lib(x).fft.irfft(as_complex(x), n=4, norm="ortho")),
    ("hfft", [(5, 2)], lambda x: lib(x).fft.hfft(as_complex(x))),
    ("ihfft", [(7,)], lambda x: as_real(lib(x).fft.ihfft(x))),
    ("fft2", [(2, 4, 6)], lambda x: as_real(lib(x).fft.fft2(x))),
    ("ifft2_s", [(4, 3, 2)], lambda x: as_real(lib(x).fft.ifft2(as_complex(x), s=(5, 4)))),
    ("rfft2", [(4, 6)], lambda x: as_real(lib(x).fft.rfft2(x))),
    ("irfft2", [(4, 3, 2)], lambda x: lib(x).fft.irfft2(as_complex(x))),
    ("fftn", [(2, 3, 4)], lambda x: as_real(lib(x).fft.fftn(x))),
    ("fftn_dims", [(2, 3, 4)], lambda x: as_real(lib(x).fft.fftn(x, dim=(0, 2), norm="ortho"))),
    ("fftn_s", [(2, 3, 4)], lambda x: as_real(lib(x).fft.fftn(x, s=(4, 2)))),
    ("rfftn", [(2, 3, 5)], lambda x: as_real(lib(x).fft.rfftn(x))),
    ("irfftn", [(2, 3, 4, 2)], lambda x: lib(x).fft.irfftn(as_complex(x), s=(3, 6))),
    ("fftshift", [(5, 4)], lambda x: lib(x).fft.fftshift(x)),
    ("ifftshift_dim", [(5, 4)], lambda x: lib(x).fft.ifftshift(x, dim=0)),
    ("fftshift_complex", [(5, 3, 2)], lambda x: as_real(lib(x).fft.fftshift(as_complex(x)))),
    ("abs_of_spectrum", [(3, 8)], lambda x: lib(x).fft.rfft(x).abs()),
    ("real_imag", [(3, 8)], lambda x: lib(x).fft.fft(x).real * 2 + lib(x).fft.fft(x).imag),
    ("angle", [(3, 8)], lambda x: lib(x).fft.rfft(x).angle()),
    ("conj", [(4, 2)], lambda x: as_real(lib(x).conj(as_complex(x)))),
    ("complex", [(3,), (3,)], lambda a, b: as_real(lib(a).complex(a, b))),
    # abs >= 0: PyTorch's polar gradient assumes it
    ("polar", [(3,), (3,)], lambda r, t: as_real(lib(r).polar(r * r + 0.5, t))),
]


@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, shapes, fn, device):
    check_op(shapes, fn, device=device)


def test_spectral_roundtrip():
    # a low-pass filter written the way a PyTorch user would: the spectrum times a real mask
    x = np.random.default_rng(0).normal(size=(2, 16))
    mask = (np.arange(9) < 4).astype("float64")

    def run(m, a):
        spectrum = m.fft.rfft(a)
        filtered = m.view_as_complex(m.view_as_real(spectrum) * m.tensor(mask)[:, None])
        return m.fft.irfft(filtered, n=16)

    check_op([], lambda a: run(lib(a), a), inputs=[x])


def test_transforms_match_numpy_and_dtypes():
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    for name in ("fft", "rfft", "ihfft", "fft2", "rfftn"):
        got = getattr(glassnet.fft, name)(glassnet.tensor(x))
        want = getattr(torch.fft, name)(torch.tensor(x))
        assert str(got.dtype) == str(want.dtype).replace("torch.", "")
        # float32 FFTs of 24 points: a few roundings of values ~5 each (atol 1e-5)
        np.testing.assert_allclose(numpy_of(got), want.resolve_conj().numpy(), rtol=1e-5, atol=1e-5)
    assert glassnet.fft.fft(glassnet.tensor([1, 2])).dtype == glassnet.complex64  # int input
    np.testing.assert_allclose(
        numpy_of(glassnet.fft.fftfreq(5, 0.1)), torch.fft.fftfreq(5, 0.1).numpy()
    )
    np.testing.assert_allclose(numpy_of(glassnet.fft.rfftfreq(6)), torch.fft.rfftfreq(6).numpy())


ARITHMETIC = [
    ("mul_complex", lambda X, H: X * H),
    ("mul_real", lambda X, H: X * H.abs()),
    ("div", lambda X, H: X / (H + 3)),
    ("rdiv_scalar", lambda X, H: 2j / (X + 5)),
    ("mul_complex_scalar", lambda X, H: X * (1 - 2j) + 0.5 * H),
    ("sub_neg", lambda X, H: -(X - H)),
    ("sum_mean", lambda X, H: X + X.sum() - H.mean(0)),
]


@pytest.mark.parametrize("name,fn", ARITHMETIC, ids=[a[0] for a in ARITHMETIC])
def test_complex_arithmetic_gradients(name, fn, device):
    # spectra of two real signals combined by arithmetic, back to a real signal: gradients of
    # complex products take the conjugate, those of real inputs the real part (PyTorch's rule)
    def run(x, h):
        m = lib(x)
        return m.fft.irfft(fn(m.fft.rfft(x), m.fft.rfft(h, n=8)), n=8)

    check_op([(2, 8), (5,)], run, device=device)


def test_other_ops_refuse_complex_gradients():
    x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    spectrum = glassnet.fft.fft(x)
    with pytest.raises(RuntimeError, match="does not differentiate complex"):
        spectrum.exp()
    with glassnet.no_grad():
        assert glassnet.fft.fft(x).exp().shape == (3,)  # without a graph it computes


def test_errors():
    with pytest.raises(ValueError, match="normalization"):
        glassnet.fft.fft(glassnet.ones(4), norm="bogus")
    with pytest.raises(TypeError, match="real input"):
        glassnet.fft.rfft(glassnet.fft.fft(glassnet.ones(4)))
