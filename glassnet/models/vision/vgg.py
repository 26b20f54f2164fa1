"""VGG (Simonyan and Zisserman 2014) as torchvision builds it: stacks of 3x3 convolutions and
2x2 max pools, then three Linear layers; ``_bn`` variants put a batch norm after every conv.
The state_dict keys (``features.0.weight``, ``classifier.6.bias``...) are torchvision's.

>>> import glassnet
>>> len(vgg11(num_classes=3).features)
21
"""

from __future__ import annotations

from glassnet import nn
from glassnet.models.vision.head import ClassifierHead
from glassnet.models.vision.weights import load_weights

__all__ = ["VGG", "make_layers", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn"]

# Output channels of each 3x3 conv; "M" is a 2x2 max pool. A = VGG-11, D = VGG-16.
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False):
    """The convolutional part of a VGG from its configuration list."""
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(ClassifierHead, nn.Module):
    """``features``, an adaptive average pool to 7x7 (so any input of 32x32 or more works),
    and a classifier of 512*7*7 -> 4096 -> 4096 -> num_classes with dropout ``dropout``."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _vgg(arch, cfg, batch_norm, weights, **kwargs):
    if weights is not None:
        kwargs["init_weights"] = False  # the file overwrites every parameter
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    return load_weights(model, weights, arch)


def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (133M parameters, 120M of them in the classifier)."""
    return _vgg("vgg11", "A", False, weights, **kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with batch normalisation."""
    return _vgg("vgg11_bn", "A", True, weights, **kwargs)


def vgg16(*, weights=None, progress=True, **kwargs):
    """VGG-16 (138M parameters)."""
    return _vgg("vgg16", "D", False, weights, **kwargs)


def vgg16_bn(*, weights=None, progress=True, **kwargs):
    """VGG-16 with batch normalisation."""
    return _vgg("vgg16_bn", "D", True, weights, **kwargs)
