"""The vision zoo against torchvision 0.28: the same state_dict keys and shapes (a torchvision
state_dict loads with strict=True), the same parameter count, and the same eval-mode outputs."""

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet.models import vision

# name -> input side (VGG pools five times and pads up to 7x7; AlexNet needs 63 or more)
CASES = {
    "resnet18": 64,
    "resnet34": 32,
    "resnet50": 32,
    "mobilenet_v2": 32,
    "efficientnet_b0": 32,
    "alexnet": 64,
    "vgg11_bn": 32,
}


# VGG and AlexNet hold 60-130M parameters whatever the input: seconds each, so slow.
HEAVY = {"alexnet", "vgg11_bn"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in CASES]
)
def test_eval_output_matches_torchvision(name):
    torch.manual_seed(0)
    twin = getattr(torchvision.models, name)(num_classes=5).double().eval()
    for m in twin.modules():  # non-trivial running statistics, so eval-mode BN is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    model = getattr(vision, name)(num_classes=5).to("float64").eval()
    state = {k: v.numpy().copy() for k, v in twin.state_dict().items()}
    assert set(state) == set(model.state_dict())
    model.load_state_dict({k: glassnet.tensor(v) for k, v in state.items()}, strict=True)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in twin.parameters())
    side = CASES[name]
    x = np.random.default_rng(0).standard_normal((2, 3, side, side))
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    with glassnet.no_grad():
        got = model(glassnet.tensor(x)).numpy()
    # float64 eps 1.1e-16 times sums of at most ~1e5 terms (the widest Linear) stays far below
    # 1e-8 relative to the largest logit.
    assert np.abs(got - expected).max() <= 1e-8 * np.abs(expected).max()
