"""LeNet-5 on 1x28x28, batch 64, cross-entropy, SGD. ``depth`` k puts k convolutions in each of
the two stages (the extra ones 3x3, same width) for the scaling table; k = 1 is LeNet-5 itself
(``glassnet.models.LeNet5``). Peers: glassnet, PyTorch, tinygrad."""

from __future__ import annotations

from collections import OrderedDict

from benchmarks.workloads.common import TinygradPeer, glassnet_and_torch, images, wanted

NAME = "lenet"
TITLE = "LeNet-5 on 1x28x28, batch 64"
BATCH = 64


def make(nn, depth=1):
    def stage(cin, cout, pad):
        layers = [nn.Conv2d(cin, cout, 5, padding=pad), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU()]
        return [*layers, nn.MaxPool2d(2)]

    features = nn.Sequential(*stage(1, 6, 2), *stage(6, 16, 0))
    classifier = nn.Sequential(
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    return nn.Sequential(OrderedDict(features=features, classifier=classifier))


def make_glassnet_or_torch(depth):
    def build(nn):
        if depth == 1 and nn.__name__.startswith("glassnet"):
            from glassnet.models import LeNet5

            return LeNet5()
        return make(nn, depth)

    return build


def tinygrad_model(state, depth):
    from tinygrad import Tensor
    from tinygrad import nn as tnn

    convs, linears = [], []
    keys = [k for k in state if k.startswith("features") and k.endswith("weight")]
    convs = []
    for i, key in enumerate(keys):
        w, b = state[key], state[key.replace("weight", "bias")]
        pad = 1 if w.shape[2] == 3 else (2 if i == 0 else 0)
        conv = tnn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=pad)
        conv.weight, conv.bias = Tensor(w.copy()), Tensor(b.copy())
        convs.append(conv)
    for key in [k for k in state if k.startswith("classifier") and k.endswith("weight")]:
        from benchmarks.workloads.common import tinygrad_linear

        linears.append(tinygrad_linear(state[key], state[key.replace("weight", "bias")]))

    def model(x):
        for i, conv in enumerate(convs):
            x = conv(x).relu()
            if (i + 1) % depth == 0:
                x = x.max_pool2d(2)
        x = x.flatten(1)
        for i, lin in enumerate(linears):
            x = lin(x)
            if i < len(linears) - 1:
                x = x.relu()
        return x

    params = [p for m in convs + linears for p in (m.weight, m.bias)]
    return model, params


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or BATCH, (1, 28, 28))
    out, state = glassnet_and_torch(make_glassnet_or_torch(depth), x, y, peers)
    if wanted("tinygrad", peers):
        model, params = tinygrad_model(state, depth)
        out.append(TinygradPeer(model, params, x, y))
    return out
