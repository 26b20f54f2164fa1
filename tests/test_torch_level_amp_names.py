"""The torch-level names of mixed precision and data parallelism that PyTorch programs use
(torch.GradScaler, torch.get_autocast_dtype, Tensor.bfloat16, torch.is_distributed,
nn.DataParallel) behave as PyTorch's."""

import ml_dtypes  # noqa: E402, F401
import numpy as np
import pytest
import torch

import glassnet


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_default_autocast_dtypes_match_torch(device):
    assert (
        str(glassnet.get_autocast_dtype(device))
        == str(torch.get_autocast_dtype(device)).split(".")[-1]
    )


def test_autocast_state_inside_a_region_matches_torch():
    with torch.autocast("cpu", dtype=torch.bfloat16), glassnet.autocast("cpu"):
        assert glassnet.is_autocast_cpu_enabled() == torch.is_autocast_cpu_enabled() is True
        assert str(glassnet.get_autocast_cpu_dtype()) == "bfloat16"
        assert torch.get_autocast_cpu_dtype() == torch.bfloat16
    assert glassnet.is_autocast_cpu_enabled() == torch.is_autocast_cpu_enabled() is False


def test_tensor_bfloat16_rounds_as_torch_does():
    x = np.random.default_rng(0).normal(size=64) * 1e3
    ours = glassnet.tensor(x, dtype=glassnet.float32).bfloat16()
    theirs = torch.tensor(x, dtype=torch.float32).bfloat16()
    assert str(ours.dtype) == "bfloat16"
    # Round-to-nearest-even to an 8-bit mantissa on both sides: the values are identical.
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


def test_torch_level_names():
    t = glassnet.ones(3)
    assert glassnet.is_distributed(t) is False and t.is_distributed() is False
    assert torch.is_distributed(torch.ones(3)) is False
    assert glassnet.GradScaler is glassnet.amp.GradScaler
    assert glassnet.nn.DataParallel is glassnet.nn.parallel.DataParallel
