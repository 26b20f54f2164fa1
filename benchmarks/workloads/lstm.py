"""A 2-layer LSTM language model (vocab 96, hidden 256, sequence 64, batch 32): next-token
cross-entropy, SGD. glassnet runs ``glassnet.models.LSTMLanguageModel``. Peers: glassnet,
PyTorch, tinygrad (the recurrence unrolled over the 64 steps, compiled once by TinyJit)."""

from __future__ import annotations

from benchmarks.workloads.common import (
    TinygradPeer,
    glassnet_and_torch,
    tinygrad_linear,
    tokens,
    wanted,
)

NAME = "lstm"
TITLE = "2-layer LSTM LM (vocab 96, hidden 256, seq 64), batch 32"
BATCH, VOCAB, HIDDEN, SEQ = 32, 96, 256, 64


def make(nn):
    if nn.__name__.startswith("glassnet"):
        from glassnet.models import LSTMLanguageModel

        return LSTMLanguageModel(VOCAB, hidden_size=HIDDEN, num_layers=2)

    class LSTMLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, HIDDEN)
            self.lstm = nn.LSTM(HIDDEN, HIDDEN, 2, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            return self.head(self.lstm(self.embedding(x))[0])

    return LSTMLanguageModel()


def tinygrad_model(state):
    """Embedding, PyTorch's LSTM (gates i, f, g, o; zero initial state) and the head, in
    tinygrad, holding the weights of ``state``."""
    from tinygrad import Tensor
    from tinygrad import nn as tnn

    embedding = tnn.Embedding(*state["embedding.weight"].shape)
    embedding.weight = Tensor(state["embedding.weight"].copy())
    layers, n = [], 0
    while f"lstm.weight_ih_l{n}" in state:
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        layers.append([Tensor(state[f"lstm.{w}_l{n}"].copy()) for w in names])
        n += 1
    head = tinygrad_linear(state["head.weight"], state["head.bias"])

    def lstm_layer(x, w_ih, w_hh, b_ih, b_hh):
        batch, steps, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
        xw = x.linear(w_ih.T, b_ih + b_hh)  # the input projection of every step at once
        h = c = Tensor.zeros(batch, hidden)
        outs = []
        for t in range(steps):
            i, f, g, o = (xw[:, t] + h.linear(w_hh.T)).chunk(4, dim=1)
            # contiguous: each step's state is stored, not recomputed inside later kernels
            c = (f.sigmoid() * c + i.sigmoid() * g.tanh()).contiguous()
            h = (o.sigmoid() * c.tanh()).contiguous()
            outs.append(h)
        return Tensor.stack(*outs, dim=1)

    def model(x):
        h = embedding(x)
        for weights in layers:
            h = lstm_layer(h, *weights)
        return head(h)

    params = [embedding.weight, *(w for ws in layers for w in ws), head.weight, head.bias]
    return model, params


def build(batch=None, depth=1, peers=None):
    x, y = tokens(batch or BATCH, SEQ, VOCAB)
    out, state = glassnet_and_torch(make, x, y, peers)
    if wanted("tinygrad", peers):
        model, params = tinygrad_model(state)
        out.append(TinygradPeer(model, params, x, y, flat=True))
    return out
