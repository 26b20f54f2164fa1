"""glassnet: a deep learning framework you can read, built on NumPy (and CuPy on NVIDIA GPUs).

>>> import glassnet
>>> w = glassnet.tensor([2.0], requires_grad=True)
>>> loss = ((w * 3.0 - 12.0) ** 2).sum()
>>> loss.backward()
>>> w.grad
tensor([-36.])
"""

from glassnet import autograd, dtypes, ops
from glassnet.backend import cuda_available
from glassnet.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from glassnet.dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from glassnet.errors import AutogradError, DeviceError, DTypeError, GlassnetError, ShapeError
from glassnet.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.random import Generator, get_rng_state, initial_seed, manual_seed, set_rng_state
from glassnet.tensor import Device, Size, Tensor

globals().update(ops.public_functions())
bool = bool_  # noqa: A001 - glassnet.bool, as torch.bool
float = float32  # noqa: A001
int = int32  # noqa: A001


def device(name):
    """``glassnet.device('cuda')``: a device name, as torch.device."""
    from glassnet.backend import normalize_device

    return Device(normalize_device(name))


class cuda:  # noqa: N801 - mirrors torch.cuda
    """``glassnet.cuda.is_available()``, as in PyTorch."""

    is_available = staticmethod(cuda_available)


__version__ = "0.1.0"

# The layers above the core; imported last because they build on everything before.
from glassnet import nn, optim  # noqa: E402
from glassnet.serialization import load, save  # noqa: E402
from glassnet.train import fit, summary  # noqa: E402

_LAZY_SUBPACKAGES = {
    "data",
    "datasets",
    "models",
    "train",
    "recipes",
    "report",
    "linalg",
    "fft",
    "special",
}


def __getattr__(name):
    # glassnet.models, glassnet.datasets, ... load on first use, keeping `import glassnet` quick.
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute '{name}'")
