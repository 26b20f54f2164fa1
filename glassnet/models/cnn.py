"""Convolutional classifiers: LeNet-5 (the classic) and DigitsCNN (for 8x8 digit images).

>>> import glassnet
>>> LeNet5()(glassnet.randn(2, 1, 28, 28)).shape
glassnet.Size([2, 10])
>>> DigitsCNN()(glassnet.randn(2, 1, 8, 8)).shape
glassnet.Size([2, 10])
"""

from __future__ import annotations

from glassnet import nn


class LeNet5(nn.Module):
    """LeCun's LeNet-5 layout for 1x28x28 images: two conv+pool stages, three dense layers."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class DigitsCNN(nn.Module):
    """A small CNN for scikit-learn's 8x8 digits: conv-BN-ReLU twice, pool, dropout, dense."""

    def __init__(
        self, in_channels: int = 1, num_classes: int = 10, width: int = 32, dropout: float = 0.25
    ):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * width * 4 * 4, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
