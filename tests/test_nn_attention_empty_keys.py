"""MultiheadAttention and scaled_dot_product_attention over zero keys: PyTorch returns the
output projection of zeros (its bias) and (N, L, 0) weights; glassnet must do the same."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import assert_close, check_layer


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_with_no_keys_matches_torch(batch_first, need_weights, device):
    torch_layer = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    torch.nn.init.uniform_(torch_layer.out_proj.bias)  # nonzero, so "zeros" is not the bias
    q_shape = (2, 3, 8) if batch_first else (3, 2, 8)
    kv_shape = (2, 0, 8) if batch_first else (0, 2, 8)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(q_shape), np.zeros(kv_shape), np.zeros(kv_shape)]

    def forward(layer, q, k, v):
        out, weights = layer(q, k, v, need_weights=need_weights)
        return (out, weights) if need_weights else out

    check_layer(
        nn.MultiheadAttention(8, 2, batch_first=batch_first),
        torch_layer,
        None,
        inputs=inputs,
        forward=forward,
        device=device,
    )


def test_scaled_dot_product_attention_with_no_keys_matches_torch():
    q = np.random.default_rng(1).standard_normal((2, 2, 3, 4))
    kv = np.zeros((2, 2, 0, 4))
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(kv), torch.tensor(kv)
    )
    got = F.scaled_dot_product_attention(
        glassnet.tensor(q), glassnet.tensor(kv), glassnet.tensor(kv)
    )
    assert_close(got, expected, "float64", "sdpa over no keys")
