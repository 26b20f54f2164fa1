"""Shared fixtures: every test that takes ``device`` runs on the CPU and, where CuPy sees a GPU,
on CUDA too (the cuda case skips itself elsewhere)."""

import numpy as np
import pytest

import glassnet


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
