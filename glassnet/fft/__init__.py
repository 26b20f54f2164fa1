"""``glassnet.fft``: PyTorch's ``torch.fft`` (fft, ifft, rfft, irfft, hfft, ihfft, the 2-D and
n-D forms, fftshift, ifftshift, fftfreq, rfftfreq), differentiable, on NumPy's or CuPy's FFT.
The code is in ``glassnet/ops/fft.py``; complex results are described in
``glassnet/ops/complex_ops.py``.

>>> import glassnet
>>> glassnet.fft.irfft(glassnet.fft.rfft(glassnet.tensor([1.0, 2.0, 3.0])), n=3)
tensor([1., 2., 3.])
"""

from glassnet.ops import fft as _fft

globals().update(_fft.FFT)
