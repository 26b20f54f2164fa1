"""784-512-512-10 ReLU MLP, batch 128, cross-entropy, SGD (and ``depth`` times the hidden
layers for the scaling table). Peers: glassnet, PyTorch, hand-written NumPy, tinygrad."""

from __future__ import annotations

import numpy as np

from benchmarks.workloads.common import LR, TinygradPeer, glassnet_and_torch, images, wanted

NAME = "mlp"
TITLE = "784-512-512-10 MLP, batch 128"
BATCH = 128


def make(nn, depth=1):
    layers, width = [], 784
    for _ in range(2 * depth):
        layers += [nn.Linear(width, 512), nn.ReLU()]
        width = 512
    return nn.Sequential(*layers, nn.Linear(width, 10))


class NumpyMLP:
    """Forward and backward of the ReLU MLP by hand: the floor a NumPy framework sits on."""

    name = "NumPy"

    def __init__(self, state, x, y):
        n = len(state) // 2
        self.params = []
        for i in range(n):
            w, b = state[f"{2 * i}.weight"], state[f"{2 * i}.bias"]
            self.params.append((np.ascontiguousarray(w.T), b.copy()))  # (in, out)
        self.x, self.y = x, y
        self.lr = np.float32(LR)

    def step(self):
        acts = [self.x]
        h = self.x
        last = len(self.params) - 1
        for i, (w, b) in enumerate(self.params):
            h = h @ w
            h += b
            if i < last:
                np.maximum(h, 0, out=h)
            acts.append(h)
        # Cross-entropy of the logits h: softmax minus one-hot, over the batch.
        z = h - h.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        n = len(self.y)
        loss = (np.log(s[:, 0]) - z[np.arange(n), self.y]).mean()
        g = e / s
        g[np.arange(n), self.y] -= 1
        g *= np.float32(1 / n)
        lr = self.lr
        for i in range(last, -1, -1):
            w, b = self.params[i]
            a = acts[i]
            gw, gb = a.T @ g, g.sum(axis=0)
            if i:
                g = g @ w.T
                g *= a > 0
            w -= lr * gw
            b -= lr * gb
        return loss


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or BATCH, (784,))
    out, state = glassnet_and_torch(lambda nn: make(nn, depth), x, y, peers)
    if wanted("NumPy", peers):
        out.append(NumpyMLP(state, x, y))
    if wanted("tinygrad", peers):
        n = len(state) // 2
        layers = [tinygrad_layer(state, i) for i in range(n)]

        def model(h):
            for i, layer in enumerate(layers):
                h = layer(h)
                if i < n - 1:
                    h = h.relu()
            return h

        params = [p for layer in layers for p in (layer.weight, layer.bias)]
        out.append(TinygradPeer(model, params, x, y))
    return out


def tinygrad_layer(state, i):
    from benchmarks.workloads.common import tinygrad_linear

    return tinygrad_linear(state[f"{2 * i}.weight"], state[f"{2 * i}.bias"])
