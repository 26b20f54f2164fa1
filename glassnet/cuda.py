"""``glassnet.cuda``: PyTorch's ``torch.cuda`` functions for glassnet's GPU (CuPy).

glassnet uses one GPU, device 0 (``"cuda"`` and ``"cuda:0"`` name it). Without CuPy or a GPU,
these answer as PyTorch's CPU build does: ``is_available()`` is False, ``device_count()`` 0,
seeding and ``empty_cache()`` do nothing, memory counts are 0, and the calls about a device
(``current_device``, ``get_device_name``, ``synchronize``, ...) raise a DeviceError that says
how to get a GPU.

>>> import glassnet
>>> device = "cuda" if glassnet.cuda.is_available() else "cpu"
>>> glassnet.cuda.device_count() == (1 if device == "cuda" else 0) or device == "cuda"
True
>>> glassnet.cuda.manual_seed_all(0)   # as torch.cuda: fine without a GPU
"""

from __future__ import annotations

from glassnet import backend
from glassnet import random as _random


def is_available() -> bool:
    """True when CuPy imports and sees a GPU."""
    return backend.cuda_available()


def is_initialized() -> bool:
    """Whether glassnet has started using the GPU (CuPy loaded and a GPU found)."""
    return backend.cuda_available()


def init() -> None:
    """Start the GPU now rather than on first use (raises without one)."""
    backend.cupy_module()


def device_count() -> int:
    """How many GPUs CuPy sees (glassnet computes on the first); 0 without CuPy or a GPU."""
    if not backend.cuda_available():
        return 0
    return int(backend.cupy_module().cuda.runtime.getDeviceCount())


def current_device() -> int:
    """The index of the GPU glassnet uses: 0."""
    return _index(None)


def set_device(device) -> None:
    """Choose the GPU: only device 0 is supported (glassnet computes on one GPU)."""
    _index(device)


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. 'NVIDIA H200'."""
    return _properties(device)["name"]


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability (major, minor), e.g. (9, 0) for Hopper."""
    props = _properties(device)
    return int(props["major"]), int(props["minor"])


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all queued work (for timing GPU code)."""
    _index(device)
    backend.cupy_module().cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Hand the GPU memory CuPy keeps for reuse back to the driver."""
    if backend.cuda_available():
        cp = backend.cupy_module()
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors now (0 without a GPU)."""
    if not backend.cuda_available():
        return 0
    _index(device)
    return int(backend.cupy_module().get_default_memory_pool().used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or kept for reuse (0 without a GPU)."""
    if not backend.cuda_available():
        return 0
    _index(device)
    return int(backend.cupy_module().get_default_memory_pool().total_bytes())


def manual_seed(seed: int) -> None:
    """Seed the GPU's random draws (without a GPU, nothing to seed, as in PyTorch)."""
    if backend.cuda_available():
        cp = backend.cupy_module()
        # glassnet has one Generator for both devices; this re-seeds only its GPU stream.
        _random.default_generator._cupy = cp.random.default_rng(int(seed))


manual_seed_all = manual_seed  # one GPU: "all" is that one


def is_bf16_supported() -> bool:
    """False: glassnet has no bfloat16 arithmetic."""
    return False


def _index(device):
    backend.cupy_module()  # the DeviceError that explains how to get a GPU
    if device is None:
        return 0
    index = device if isinstance(device, int) else getattr(device, "index", None)
    if index is None:
        name = str(device)
        if name != "cuda" and not name.startswith("cuda:"):
            raise ValueError(f"Expected a cuda device, but got: {device!r}")
        index = int(name.split(":")[1]) if ":" in name else 0
    if index != 0:
        raise backend.DeviceError(
            f"cuda device {index} requested, but glassnet computes on one GPU, device 0; use "
            "'cuda' or 'cuda:0' (choose the GPU with CUDA_VISIBLE_DEVICES before starting)."
        )
    return 0


def _properties(device):
    props = backend.cupy_module().cuda.runtime.getDeviceProperties(_index(device))
    name = props["name"]
    return {**props, "name": name.decode() if isinstance(name, bytes) else str(name)}
