"""``glassnet.backends``: PyTorch's ``torch.backends`` switches, accepted and readable.

glassnet computes float32 products in full float32 (NumPy's BLAS on the CPU, cuBLAS through
CuPy on a GPU) and uses neither cuDNN nor TF32, so these switches record what a program asks
for and change no result: ``cudnn.benchmark``, ``cudnn.deterministic``, ``cudnn.allow_tf32``,
``cuda.matmul.allow_tf32``. ``mps.is_available()`` is False (no Apple GPU backend).

>>> import glassnet
>>> glassnet.backends.cudnn.benchmark = True
>>> glassnet.backends.cuda.matmul.allow_tf32 = True
>>> glassnet.backends.mps.is_available()
False
>>> glassnet.backends.cudnn.benchmark = False
>>> glassnet.backends.cuda.matmul.allow_tf32 = False
"""

from glassnet.backends import cuda, cudnn, mps
from glassnet.backends.precision import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)

__all__ = [
    "are_deterministic_algorithms_enabled",
    "cuda",
    "cudnn",
    "get_float32_matmul_precision",
    "is_deterministic_algorithms_warn_only_enabled",
    "mps",
    "set_float32_matmul_precision",
    "use_deterministic_algorithms",
]
