"""A 2-layer LSTM language model (vocab 96, hidden 256, sequence 64, batch 32): next-token
cross-entropy, SGD. glassnet runs ``glassnet.models.LSTMLanguageModel``."""

from __future__ import annotations

from benchmarks.workloads.common import glassnet_and_torch, tokens

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


def build(batch=None, depth=1, peers=None):
    x, y = tokens(batch or BATCH, SEQ, VOCAB)
    return glassnet_and_torch(make, x, y, peers)[0]
