"""Sequence models: an LSTM language model, an LSTM forecaster, and a GPT-style decoder.

>>> import glassnet
>>> LSTMLanguageModel(vocab_size=20, hidden_size=16)(glassnet.randint(0, 20, (2, 5))).shape
glassnet.Size([2, 5, 20])
>>> GPT(vocab_size=20, block_size=8, d_model=16, n_layer=1, n_head=2)(
...     glassnet.randint(0, 20, (2, 8))).shape
glassnet.Size([2, 8, 20])
"""

from __future__ import annotations

import glassnet
from glassnet import nn


class LSTMLanguageModel(nn.Module):
    """Embedding -> multi-layer LSTM -> Linear: next-token logits at every position."""

    def __init__(
        self,
        vocab_size: int,
        embed_size: int | None = None,
        hidden_size: int = 256,
        num_layers: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        embed_size = embed_size or hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        # lstm(embedding(tokens)), with the lookup folded into the LSTM's first layer when the
        # vocabulary is small (a character-level model): the same result, fewer large matmuls
        out, _ = self.lstm.forward_from_embedding(self.embedding, tokens, state)
        return self.head(out)


class LSTMForecaster(nn.Module):
    """Reads a window of a time series (batch, steps, features) and predicts the next value."""

    def __init__(
        self, input_size: int = 1, hidden_size: int = 32, num_layers: int = 1, output_size: int = 1
    ):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class GPT(nn.Module):
    """A decoder-only Transformer: token + position embeddings, causal self-attention blocks
    (pre-norm), a final LayerNorm and a linear head over the vocabulary."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int = 64,
        d_model: int = 128,
        n_layer: int = 4,
        n_head: int = 4,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.block_size = block_size
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(block_size, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_head,
            4 * d_model,
            dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(layer, n_layer, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens):
        t = tokens.shape[1]
        if t > self.block_size:
            raise glassnet.ShapeError(
                f"GPT: sequence of length {t} is longer than block_size {self.block_size}; "
                "crop the input or build the model with a larger block_size"
            )
        pos = glassnet.arange(t, device=tokens.device)
        x = self.token(tokens) + self.position(pos)
        x = self.blocks(x, is_causal=True, mask=_causal_mask(t, tokens.device))
        return self.head(self.norm(x))


def _causal_mask(t, device):
    return glassnet.ones(t, t, dtype=glassnet.bool_, device=device).triu(1)
