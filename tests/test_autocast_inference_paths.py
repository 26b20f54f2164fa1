"""Layers' inference shortcuts (no graph, on the CPU) must not step around autocast: under
``no_grad`` a Linear or convolution inside ``autocast`` computes in the low dtype, as torch does
and as the same layer does when it records a graph."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.Linear(6, 4), torch.nn.Linear(6, 4), (3, 6)),
        lambda: (nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    ],
    ids=["linear", "conv2d"],
)
def test_no_grad_shortcut_follows_autocast(make):
    layer, twin, shape = make()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with glassnet.autocast("cpu", dtype=glassnet.bfloat16):
        recorded = layer(glassnet.tensor(x))  # parameters require grad: the op records
        with glassnet.no_grad():
            shortcut = layer(glassnet.tensor(x))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        expected = twin(torch.tensor(x))
    assert expected.dtype == torch.bfloat16
    assert shortcut.dtype == recorded.dtype == glassnet.bfloat16
    # the same op on the same inputs: the same bits
    np.testing.assert_array_equal(shortcut.float().numpy(), recorded.detach().float().numpy())
    # against torch: both round the float32 accumulation to bfloat16 (8 significant bits), so
    # they may differ by one bfloat16 step, 2^-7 relative; plus the inputs' own bf16 rounding
    got, want = shortcut.float().numpy(), expected.float().numpy()
    np.testing.assert_allclose(got, want, rtol=2**-6, atol=2**-6 * np.abs(want).max())
