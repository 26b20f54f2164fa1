"""glassnet.viz.feature_maps: the recorded maps equal the intermediate outputs computed by hand
(the submodules called in order), the hooks are gone afterwards, and the pictures are PNGs."""

import numpy as np
import pytest

import glassnet
from glassnet import models
from glassnet.models.cnn import DigitsCNN
from glassnet.viz.feature_maps import feature_map_grid, feature_maps, filters

PNG = b"\x89PNG\r\n\x1a\n"


def test_resnet_maps_equal_the_submodules_called_in_order():
    model = models.resnet18(num_classes=3).eval()
    x = glassnet.tensor(np.random.default_rng(0).standard_normal((2, 3, 32, 32))).to("float32")
    layers = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2.0.conv1", "fc"]
    maps = feature_maps(model, x, layers)
    assert list(maps) == layers
    with glassnet.no_grad():
        conv = model.conv1(x)
        bn = model.bn1(conv)
        relu = glassnet.relu(bn)
        pool = model.maxpool(relu)
        block = model.layer1(pool)
        conv2 = model.layer2[0].conv1(block)
        logits = model(x)
    by_hand = [conv, bn, relu, pool, block, conv2, logits]
    for name, expected in zip(layers, by_hand):
        # the same modules on the same arrays: equal to the last bit
        assert np.array_equal(maps[name], expected.numpy()), name
    assert all(not m._forward_hooks for m in model.modules())  # hooks removed


def test_default_layers_and_the_picture_helpers(tmp_path):
    model = DigitsCNN(width=4).eval()
    x = glassnet.randn(1, 1, 8, 8)
    maps = feature_maps(model, x)
    assert list(maps) == [f"features.{i}" for i in range(7)]  # conv, BN, ReLU x2, pool
    with glassnet.no_grad():
        expected = model.features(x).numpy()
    assert np.array_equal(maps["features.6"], expected)
    path = feature_map_grid(maps["features.0"], tmp_path / "maps.png")
    assert open(path, "rb").read(8) == PNG


def test_filters_are_the_weights_scaled_per_filter(tmp_path):
    conv = models.resnet18().conv1
    images = filters(conv, tmp_path / "filters.png", max_filters=16)
    w = conv.weight.detach().numpy()[:16].transpose(0, 2, 3, 1)  # (K, kh, kw, RGB)
    low, high = w.min(axis=(1, 2, 3)), w.max(axis=(1, 2, 3))
    by_hand = (w - low[:, None, None, None]) / (high - low)[:, None, None, None]
    # float32 arithmetic on values in [-1, 1]: a few eps
    assert np.abs(images - by_hand).max() <= 1e-6
    assert open(tmp_path / "filters.png", "rb").read(8) == PNG
    gray_conv = DigitsCNN().features[0]  # one input channel: the kernels as they are
    assert np.array_equal(filters(gray_conv), gray_conv.weight.detach().numpy()[:, 0])
    with pytest.raises(TypeError, match="nn.Conv2d"):
        filters(models.resnet18().fc)


def test_unknown_layer_is_named():
    with pytest.raises(KeyError, match="no layer named"):
        feature_maps(models.resnet18(), glassnet.randn(1, 3, 32, 32), ["layer9"])
