"""glassnet: a deep learning framework you can read, built on NumPy (and CuPy on NVIDIA GPUs).

>>> import glassnet
>>> w = glassnet.tensor([2.0], requires_grad=True)
>>> loss = ((w * 3.0 - 12.0) ** 2).sum()
>>> loss.backward()
>>> w.grad
tensor([-36.])
"""

from glassnet import accelerator, autograd, backends, cuda, dtypes, ops
from glassnet.backend import cuda_available
from glassnet.backends import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
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
from glassnet.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from glassnet.memory_formats import channels_last, contiguous_format, memory_format, preserve_format
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


__version__ = "0.1.0"

# The layers above the core; imported last because they build on everything before.
from glassnet import _torch_names, nn, optim  # noqa: E402
from glassnet import torch_globals as _torch_globals  # noqa: E402
from glassnet.compile import compile  # noqa: E402, A004 - trace once, replay (docs/compile.md)
from glassnet.serialization import load, save  # noqa: E402
from glassnet.train import fit, summary  # noqa: E402

nn.functional.toplevel.install(globals())  # torch.celu, torch.prelu, ... and x.prelu()
_torch_names.install(globals(), Tensor)  # torch.pi, torch.conv2d, x.short(), ...
nn.functional.torch_level.install(globals())  # torch.batch_norm, torch.kl_div, ...
_torch_globals.install(globals())  # torch.asarray, torch.seed, x.mH, ...

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
    "utils",
    "signal",
    "amp",
    "distributed",
}


_AMP_NAMES = {
    "GradScaler",
    "autocast",
    "is_autocast_enabled",
    "is_autocast_cpu_enabled",
    "get_autocast_dtype",
    "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype",
}


def __getattr__(name):
    # glassnet.models, glassnet.datasets, ... load on first use, keeping `import glassnet` quick.
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"glassnet.{name}")
    if name in _AMP_NAMES:  # torch.autocast, torch.GradScaler, ... are torch.amp's
        import glassnet.amp

        return getattr(glassnet.amp, name)
    if name == "bfloat16":  # NumPy has no bfloat16: ml_dtypes' (the [amp] extra), on first use
        from glassnet.amp.bfloat16 import bfloat16

        return bfloat16
    if name == "windows":  # torch.windows is torch.signal.windows
        import importlib

        return importlib.import_module("glassnet.signal.windows")
    raise AttributeError(f"module 'glassnet' has no attribute '{name}'")
