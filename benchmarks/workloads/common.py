"""Pieces shared by the workloads: peers that train a Module, weight copying, data."""

from __future__ import annotations

import os

import numpy as np

LR = 0.01


def torch_module():
    """torch, with as many threads as NumPy's BLAS (the runner sets OMP_NUM_THREADS)."""
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    return torch


def copy_weights(torch_model, glassnet_model):
    """Load the PyTorch model's weights (and buffers) into the glassnet twin, strictly."""
    state = {k: v.detach().numpy().copy() for k, v in torch_model.state_dict().items()}
    glassnet_model.load_state_dict(state)
    return state


class ModulePeer:
    """One framework's training step of a Module: zero_grad, forward, loss, backward, SGD step.

    The code is the same for glassnet and PyTorch, since glassnet has PyTorch's API: ``lib`` is
    the framework (``glassnet`` or ``torch``).
    """

    def __init__(self, name, lib, model, x, y, loss="cross_entropy", lr=LR):
        self.name, self.lib, self.model = name, lib, model
        self.x, self.y = lib.from_numpy(x), lib.from_numpy(y)
        self.opt = lib.optim.SGD(model.parameters(), lr=lr)
        self.loss_fn = getattr(lib.nn.functional, loss)
        self.flat = loss == "cross_entropy" and y.ndim > 1  # sequence models: (B*T, V) logits

    def step(self):
        self.opt.zero_grad()
        out = self.model(self.x)
        if self.flat:
            loss = self.loss_fn(out.reshape(-1, out.shape[-1]), self.y.reshape(-1))
        else:
            loss = self.loss_fn(out, self.y)
        loss.backward()
        self.opt.step()
        return loss

    def loss(self):
        return float(self.step().item())


class InferPeer:
    """One framework's forward pass without autograd (inference latency)."""

    def __init__(self, name, lib, model, x):
        self.name, self.lib, self.model = name, lib, model
        self.x = lib.from_numpy(x)
        model.eval()

    def step(self):
        with self.lib.no_grad():
            return self.model(self.x)


def glassnet_and_torch(make, x, y, peers, loss="cross_entropy", infer=False):
    """Build the model with ``make(nn)`` in PyTorch and glassnet (same weights) as two peers."""
    import glassnet

    torch = torch_module()
    torch.manual_seed(0)
    tmodel = make(torch.nn)
    gmodel = make(glassnet.nn)
    state = copy_weights(tmodel, gmodel)
    out = []
    for name, lib, model in (("glassnet", glassnet, gmodel), ("PyTorch", torch, tmodel)):
        if peers is None or name in peers:
            if infer:
                out.append(InferPeer(name, lib, model, x))
            else:
                out.append(ModulePeer(name, lib, model, x, y, loss))
    return out, state


def wanted(name, peers):
    return peers is None or name in peers


def images(batch, shape, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape), dtype=np.float32)
    y = rng.integers(0, classes, size=batch).astype(np.int64)
    return x, y


def tokens(batch, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    seq = rng.integers(0, vocab, size=(batch, length + 1)).astype(np.int64)
    return seq[:, :-1].copy(), seq[:, 1:].copy()


class TinygradPeer:
    """A tinygrad training step compiled once with TinyJit (its CPU backend needs clang)."""

    name = "tinygrad"

    def __init__(self, model, params, x, y, lr=LR, flat=False):
        from tinygrad import Tensor, TinyJit
        from tinygrad.nn.optim import SGD

        self.x, self.y = Tensor(x), Tensor(y.astype(np.int32))
        opt = SGD(params, lr=lr)

        @TinyJit
        def train(xb, yb):
            opt.zero_grad()
            out = model(xb)
            if flat:
                out, yb = out.reshape(-1, out.shape[-1]), yb.reshape(-1)
            loss = out.sparse_categorical_crossentropy(yb).backward()
            # Realize the loss together with the update: realized after opt.step(), the lazy
            # loss would be recomputed from the new weights (one step late, an extra forward).
            Tensor.realize(loss, *opt.schedule_step())
            return loss

        self.train = train

    def step(self):
        return self.train(self.x, self.y)

    def loss(self):
        return float(self.step().item())


def tinygrad_linear(w, b):
    """A tinygrad Linear holding these (out, in) weights."""
    from tinygrad import Tensor
    from tinygrad import nn as tnn

    layer = tnn.Linear(w.shape[1], w.shape[0])
    layer.weight, layer.bias = Tensor(w.copy()), Tensor(b.copy())
    return layer
