"""The vision transformer against torchvision's VisionTransformer: the same keys and shapes
(vit_b_16 included), the same logits in float64 and float32 and every gradient; the small ViT
overfits a batch of 8x8 digits."""

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet.models import VisionTransformer, ViT, vit_b_16
from tests.hf_helpers import as_glass, as_torch, compare_grads, load_twin, rel_err

SMALL = dict(image_size=16, patch_size=4, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32)


def _twins(double):
    torch.manual_seed(0)
    twin = torchvision.models.VisionTransformer(**SMALL, num_classes=5).eval()
    with torch.no_grad():  # torchvision zeroes the head and the class token: randomise all
        for p in twin.parameters():
            p.normal_(0.0, 0.3)
    model = VisionTransformer(**SMALL, num_classes=5).eval()
    if double:
        twin.double()
        model.double()
    load_twin(model, twin)
    return model, twin


@pytest.mark.parametrize("double", [True, False])
def test_logits_and_gradients_match_torchvision(double):
    model, twin = _twins(double)
    x = np.random.default_rng(0).normal(size=(3, 3, 16, 16))
    if not double:
        x = x.astype(np.float32)
    y = np.array([0, 3, 4])
    ours = model(as_glass(x))
    theirs = twin(as_torch(x))
    # float64: ~1e-16 per op; float32: eps 1.2e-7 grown through 2 blocks of norms/softmax
    assert rel_err(ours, theirs) <= (1e-8 if double else 1e-4)
    glassnet.nn.functional.cross_entropy(ours, as_glass(y)).backward()
    torch.nn.functional.cross_entropy(theirs, as_torch(y)).backward()
    assert compare_grads(model, twin, 1e-7 if double else 1e-3) == len(list(twin.parameters()))


def test_vit_b_16_has_torchvision_keys_and_shapes():
    theirs = {k: tuple(v.shape) for k, v in torchvision.models.vit_b_16().state_dict().items()}
    ours = {k: tuple(v.shape) for k, v in vit_b_16().state_dict().items()}
    assert ours == theirs


def test_small_vit_overfits_a_batch_of_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = as_glass((digits.images[:32] / 16.0).astype(np.float32)[:, None])
    y = as_glass(digits.target[:32])
    model = ViT(num_layers=2, hidden_dim=32, mlp_dim=64)
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(150):
        opt.zero_grad()
        loss = glassnet.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05  # from ln(10) = 2.3: the batch is learned by heart
