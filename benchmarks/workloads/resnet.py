"""A small CIFAR-style ResNet (3 stages of two basic blocks, 16-32-64 channels, batch norm) on
3x32x32, batch 32, cross-entropy, SGD. glassnet runs ``glassnet.models.ResNet``; the PyTorch
twin below has the same layers and ``state_dict`` keys. Peers: glassnet, PyTorch, tinygrad
(``nn.Conv2d``/``nn.BatchNorm2d``, batch statistics in training, built from the same
``state_dict``)."""

from __future__ import annotations

from benchmarks.workloads.common import (
    TinygradPeer,
    glassnet_and_torch,
    images,
    tinygrad_linear,
    wanted,
)

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


def tinygrad_model(state):
    """The PyTorch twin in tinygrad, holding the weights and BN buffers of ``state``."""
    from tinygrad import Tensor
    from tinygrad import nn as tnn

    params = []

    def conv(key, stride):
        w = state[f"{key}.weight"]
        k = w.shape[2]
        layer = tnn.Conv2d(w.shape[1], w.shape[0], k, stride, k // 2, bias=False)
        layer.weight = Tensor(w.copy())
        params.append(layer.weight)
        return layer

    def bn(key):
        layer = tnn.BatchNorm2d(state[f"{key}.weight"].shape[0], eps=1e-5, momentum=0.1)
        layer.weight = Tensor(state[f"{key}.weight"].copy())
        layer.bias = Tensor(state[f"{key}.bias"].copy())
        for buf in ("running_mean", "running_var"):
            setattr(layer, buf, Tensor(state[f"{key}.{buf}"].copy()).is_param_(False))
        # the optimizer realizes buffers too: the running statistics update every step
        params.extend((layer.weight, layer.bias, layer.running_mean, layer.running_var))
        return layer

    stem = (conv("stem.0", 1), bn("stem.1"))
    stages = []
    n_stages = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("stages."))
    for i in range(n_stages):
        blocks, j = [], 0
        while f"stages.{i}.{j}.conv1.weight" in state:
            key, stride = f"stages.{i}.{j}", 2 if (i > 0 and j == 0) else 1
            layers = [conv(f"{key}.conv1", stride), bn(f"{key}.bn1")]
            layers += [conv(f"{key}.conv2", 1), bn(f"{key}.bn2")]
            shortcut = ()  # params in state_dict order: conv1, bn1, conv2, bn2, shortcut
            if f"{key}.shortcut.0.weight" in state:
                shortcut = (conv(f"{key}.shortcut.0", stride), bn(f"{key}.shortcut.1"))
            blocks.append((*layers, shortcut))
            j += 1
        stages.append(blocks)
    fc = tinygrad_linear(state["fc.weight"], state["fc.bias"])
    params.extend((fc.weight, fc.bias))

    def model(x):
        x = stem[1](stem[0](x)).relu()
        for blocks in stages:
            for conv1, bn1, conv2, bn2, shortcut in blocks:
                out = bn2(conv2(bn1(conv1(x)).relu()))
                skip = shortcut[1](shortcut[0](x)) if shortcut else x
                x = (out + skip).relu()
        return fc(x.mean(axis=(2, 3)))

    return model, params


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or BATCH, (3, 32, 32))
    out, state = glassnet_and_torch(make, x, y, peers)
    if wanted("tinygrad", peers):
        model, params = tinygrad_model(state)
        out.append(TinygradPeer(model, params, x, y))
    return out
