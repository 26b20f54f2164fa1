"""A small CIFAR-style ResNet (3 stages of two basic blocks, 16-32-64 channels, batch norm) on
3x32x32, batch 32, cross-entropy, SGD. glassnet runs ``glassnet.models.ResNet``; the PyTorch
twin below has the same layers and ``state_dict`` keys."""

from __future__ import annotations

from benchmarks.workloads.common import glassnet_and_torch, images

NAME = "resnet"
TITLE = "ResNet (2-2-2 blocks, 16-32-64 ch, BN) on 3x32x32, batch 32"
BATCH = 32


def torch_resnet(nn):
    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            out = self.bn2(self.conv2(out))
            return (out + self.shortcut(x)).relu()

    class ResNet(nn.Module):
        def __init__(self, blocks=(2, 2, 2), widths=(16, 32, 64)):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
            )
            stages, ch = [], widths[0]
            for i, (n, width) in enumerate(zip(blocks, widths)):
                layers = []
                for j in range(n):
                    layers.append(BasicBlock(ch, width, 2 if (i > 0 and j == 0) else 1))
                    ch = width
                stages.append(nn.Sequential(*layers))
            self.stages = nn.Sequential(*stages)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(ch, 10)

        def forward(self, x):
            return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))

    return ResNet()


def make(nn):
    if nn.__name__.startswith("glassnet"):
        from glassnet.models import ResNet

        return ResNet()
    return torch_resnet(nn)


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or BATCH, (3, 32, 32))
    return glassnet_and_torch(make, x, y, peers)[0]
