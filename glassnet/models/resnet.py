"""ResNet: convolution stages whose blocks add their input back (skip connections), which keeps
gradients flowing through deep networks.

>>> import glassnet
>>> ResNet(blocks=(1, 1), widths=(8, 16))(glassnet.randn(2, 3, 16, 16)).shape
glassnet.Size([2, 10])
"""

from __future__ import annotations

from glassnet import nn


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus the input (projected by a 1x1 conv when shapes change)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        return (out + self.shortcut(x)).relu()


class ResNet(nn.Module):
    """A CIFAR-style ResNet: a stem conv, stages of BasicBlocks (each later stage halves the
    resolution and widens), global average pooling and a linear classifier."""

    def __init__(
        self, blocks=(2, 2, 2), widths=(16, 32, 64), in_channels: int = 3, num_classes: int = 10
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        )
        stages = []
        channels = widths[0]
        for i, (n, width) in enumerate(zip(blocks, widths)):
            layers = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(BasicBlock(channels, width, stride))
                channels = width
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.pool(self.stages(self.stem(x)))
        return self.fc(x.flatten(1))
