"""AlexNet (Krizhevsky et al. 2012) in torchvision's single-tower form: five convolutions with
ReLU and three max pools, an adaptive average pool to 6x6 (so inputs from 63x63 up work), and
three Linear layers with dropout. State_dict keys are torchvision's.

>>> import glassnet
>>> alexnet(num_classes=4).eval()(glassnet.randn(1, 3, 64, 64)).shape
glassnet.Size([1, 4])
"""

from __future__ import annotations

from glassnet import nn
from glassnet.models.vision.head import ClassifierHead
from glassnet.models.vision.weights import load_weights

__all__ = ["AlexNet", "alexnet"]


class AlexNet(ClassifierHead, nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet (61M parameters). ``weights``: None, a file path or a state_dict."""
    return load_weights(AlexNet(**kwargs), weights, "alexnet")
