"""Tiny 2-8-1 tanh MLP on XOR (batch 4, MSE, SGD): pure per-op overhead.

The glassnet, PyTorch and NumPy versions are ``benchmarks.overhead``'s; tinygrad is added here.
"""

from __future__ import annotations

from benchmarks import overhead
from benchmarks.workloads.common import torch_module, wanted

NAME = "xor"
TITLE = "2-8-1 tanh MLP on XOR, batch 4"


class TinygradXOR:
    name = "tinygrad"

    def __init__(self, weights):
        from tinygrad import Tensor, TinyJit
        from tinygrad.nn.optim import SGD

        self.x, self.y = Tensor(overhead.X), Tensor(overhead.Y)
        params = [Tensor(w.copy()) for w in weights]
        opt = SGD(params, lr=overhead.LR)

        @TinyJit
        def train(x, y):
            w1, b1, w2, b2 = params
            opt.zero_grad()
            loss = ((((x @ w1 + b1).tanh() @ w2 + b2) - y) ** 2).mean().backward()
            Tensor.realize(loss, *opt.schedule_step())  # the loss of these weights (common.py)
            return loss

        self.train = train

    def step(self):
        return self.train(self.x, self.y)


def build(batch=None, depth=1, peers=None):
    torch_module()
    w = overhead.initial_weights()
    out = []
    for cls in (overhead.GlassnetMLP, overhead.TorchMLP, overhead.NumpyMLP, TinygradXOR):
        if wanted(cls.name, peers):
            out.append(cls(w))
    return out
