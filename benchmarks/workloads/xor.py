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

        self.x, self.y = Tensor(overhead.X), Tensor(overhead.Y)
        params = [Tensor(w.copy(), requires_grad=True) for w in weights]

        @TinyJit
        def train(x, y):
            w1, b1, w2, b2 = params
            with Tensor.train():
                loss = ((((x @ w1 + b1).tanh() @ w2 + b2) - y) ** 2).mean()
                loss.backward()
                for p in params:
                    p.assign(p.detach() - overhead.LR * p.grad)
                    p.grad = None
                Tensor.realize(loss, *params)
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
