"""U-Net (glassnet.models.vision.unet): forward and every gradient against a PyTorch twin with
the same state_dict keys; it overfits one batch; the shapes-unet recipe runs and reports."""

import json
import os

import numpy as np
import pytest
import torch
from helpers import check_layer

import glassnet
import glassnet.nn.functional as F
from glassnet.models.vision.unet import UNet


def torch_double_conv(cin, cout):
    return torch.nn.Sequential(
        torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(cout),
        torch.nn.ReLU(),
        torch.nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(cout),
        torch.nn.ReLU(),
    )


class TorchUNet(torch.nn.Module):
    """The same network written directly in PyTorch (the oracle)."""

    def __init__(self, cin, classes, base, depth):
        super().__init__()
        w = [base * 2**i for i in range(depth + 1)]
        self.encoders = torch.nn.ModuleList(
            [torch_double_conv(cin if i == 0 else w[i - 1], w[i]) for i in range(depth)]
        )
        self.pool = torch.nn.MaxPool2d(2)
        self.bottleneck = torch_double_conv(w[depth - 1], w[depth])
        self.ups = torch.nn.ModuleList(
            [torch.nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(depth))]
        )
        self.decoders = torch.nn.ModuleList(
            [torch_double_conv(2 * w[i], w[i]) for i in reversed(range(depth))]
        )
        self.head = torch.nn.Conv2d(w[0], classes, 1)

    def forward(self, x):
        skips = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("depth", [1, 2])
def test_unet_matches_torch_twin_float64(train, depth):
    torch.manual_seed(0)
    twin = TorchUNet(3, 4, 4, depth)
    # BatchNorm running statistics that are not the defaults, so eval mode tests them too.
    for m in twin.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    # float64: default tolerances of the layer checker (~1e-10 relative, a few hundred
    # multiply-adds per output).
    check_layer(UNet(3, 4, base_channels=4, depth=depth), twin, [(2, 3, 8, 8)], train=train)


def test_unet_float32_forward_within_float32_rounding():
    torch.manual_seed(1)
    twin = TorchUNet(3, 2, 8, 2).eval()
    model = UNet(3, 2, base_channels=8, depth=2).eval()
    model.load_state_dict({k: glassnet.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 3, 16, 16)).astype(np.float32)
    want = twin(torch.tensor(x)).detach().numpy()
    # float32 through ~10 convolution layers: relative error ~1e-6 per layer, summed.
    np.testing.assert_allclose(
        model(glassnet.tensor(x)).detach().numpy(), want, rtol=1e-4, atol=1e-4
    )


def test_unet_rejects_sizes_it_cannot_pool():
    with pytest.raises(glassnet.errors.ShapeError, match="divisible by 2\\*\\*depth = 4"):
        UNet(depth=2)(glassnet.zeros(1, 3, 10, 12))


def test_unet_overfits_one_batch():
    from glassnet.datasets import shapes_masks

    glassnet.manual_seed(0)
    x, y = shapes_masks(4, size=16, seed=0)
    model = UNet(3, 4, base_channels=8, depth=2)
    opt = glassnet.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = glassnet.tensor(x), glassnet.tensor(y)
    first = None
    for _ in range(250):
        loss = F.cross_entropy(model(xt), yt)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.01 * first
    # Nearly every pixel of the four memorised pictures is labelled right.
    assert (model(xt).detach().numpy().argmax(1) == y).mean() > 0.99


def test_shapes_unet_recipe_runs_and_reports(tmp_path, monkeypatch):
    from glassnet import report
    from glassnet.models.vision import segmentation_recipe
    from glassnet.recipes import programs

    # Through the program runner, as `glassnet train shapes-unet` runs it, on little data.
    monkeypatch.setitem(segmentation_recipe.DEFAULTS, "n_train", 32)
    monkeypatch.setitem(segmentation_recipe.DEFAULTS, "n_test", 16)
    metrics = programs.run_program("shapes-unet", tmp_path / "run", epochs=1, progress=False)
    assert report.read_status(tmp_path / "run")["state"] == "finished"
    assert json.loads((tmp_path / "run" / report.METRICS).read_text()) == pytest.approx(metrics)
    for key in ("mean_iou", "dice", "pixel_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0
    files = set(os.listdir(tmp_path / "run"))
    assert {"report.md", "samples.png", "curves.png", "model.safetensors"} <= files
    text = (tmp_path / "run" / "report.md").read_text()
    assert f"{metrics['mean_iou']:.4f}" in text and "samples.png" in text
    json.dumps(metrics)  # plain numbers, ready for metrics.json


@pytest.mark.slow
def test_shapes_unet_reaches_the_documented_quality(tmp_path):
    from glassnet.models.vision import segmentation_recipe

    metrics = segmentation_recipe.run(tmp_path / "run", progress=False)
    # docs/detection-segmentation.md states mean IoU >= 0.85 and Dice >= 0.9 for the default.
    assert metrics["mean_iou"] >= 0.85 and metrics["dice"] >= 0.9
