"""Shared fixtures: every test that takes ``device`` runs on the CPU and, where CuPy sees a GPU,
on CUDA too (the cuda case skips itself elsewhere)."""

import numpy as np
import pytest

import glassnet


def _import_torchvision():
    """Import torchvision once, before any test does, so that it loads beside the CPU torch.

    The index's torchvision wheel is linked against a CUDA build of torch: its C++ operators
    (nms, roi_align) are missing here, and registering their fake kernels at import fails. The
    model definitions and the pure-Python ops (box_iou, box_convert) work, and those are what the
    tests use. transformers imports torchvision too, so this runs first for both.
    """
    try:
        import torch
    except ImportError:
        return
    real = torch.library.register_fake
    torch.library.register_fake = lambda *args, **kwargs: lambda fn=None, /, *a, **k: fn
    try:
        import torchvision  # noqa: F401
    except ImportError:
        pass
    finally:
        torch.library.register_fake = real


_import_torchvision()


def _devices():
    return ["cpu", "cuda"]


@pytest.fixture(params=_devices())
def device(request):
    if request.param == "cuda" and not glassnet.cuda_available():
        pytest.skip("CuPy or an NVIDIA GPU is not available")
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    glassnet.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture(params=["numpy", "kernel"])
def kernel_path(request, monkeypatch):
    """Run a test on the ops' NumPy paths, then on their compiled kernels (glassnet.kernels, the
    [jit] extra) for inputs of every size, so that both are held to the same oracle."""
    import glassnet.kernels as kernels

    if request.param == "numpy":
        with kernels.disabled():
            yield request.param
        return
    if not kernels.numba_installed():
        pytest.skip("numba is not installed: pip install 'glassnet[jit]'")
    monkeypatch.setattr(kernels, "MIN_SIZE", 1)
    monkeypatch.setattr(kernels, "_switched_on", [True])
    yield request.param
