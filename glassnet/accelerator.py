"""``glassnet.accelerator``: PyTorch's device-agnostic ``torch.accelerator`` API.

The accelerator is glassnet's GPU (CuPy), when there is one; code written against it runs on
the CPU otherwise.

>>> import glassnet
>>> acc = glassnet.accelerator.current_accelerator()
>>> device = acc.type if glassnet.accelerator.is_available() else "cpu"
>>> device in ("cpu", "cuda")
True
"""

from __future__ import annotations

from glassnet import backend, cuda
from glassnet.tensor import Device


def is_available() -> bool:
    """True when a GPU is usable."""
    return backend.cuda_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when glassnet can use a GPU, else None (as PyTorch without one)."""
    return Device("cuda") if backend.cuda_available() else None


def device_count() -> int:
    """How many accelerators there are (0 without a GPU)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the accelerator in use: 0."""
    return cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device) -> None:
    """Choose the accelerator: only index 0 (glassnet computes on one GPU)."""
    cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    """Wait for the accelerator's queued work to finish."""
    cuda.synchronize(device)


def empty_cache() -> None:
    """Return cached accelerator memory to the driver."""
    cuda.empty_cache()


def memory_allocated(device=None) -> int:
    return cuda.memory_allocated(device)


def memory_reserved(device=None) -> int:
    return cuda.memory_reserved(device)
