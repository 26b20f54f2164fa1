"""The models ``glassnet train --data`` picks for your own data: a small CNN for images of any
size, a text classifier (LSTM or Transformer encoder) over token ids, and a next-token model
over a window of tokens (a language model trained as next-token classification).

>>> import glassnet
>>> SmallCNN(3, 4, width=8)(glassnet.zeros(2, 3, 20, 28)).shape
glassnet.Size([2, 4])
>>> TextClassifier(50, 3, kind="transformer", embed_size=16)(glassnet.ones(2, 7).long()).shape
glassnet.Size([2, 3])
"""

from __future__ import annotations

from glassnet import nn


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU blocks (the last two halve the size), global average pooling and a
    linear head: it reads images of any size."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 32, dropout: float = 0.2):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1),
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1),
            nn.BatchNorm2d(4 * w),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * w, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


class TextClassifier(nn.Module):
    """Token ids (batch, steps; 0 is padding) -> class logits. ``kind='lstm'`` reads the ids
    (padded at the front) and classifies from the last step; ``'transformer'`` runs encoder
    layers with learned positions and averages the non-padding steps."""

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        kind: str = "lstm",
        embed_size: int = 64,
        hidden_size: int = 64,
        num_layers: int = 1,
        heads: int = 4,
        max_len: int = 512,
    ):
        super().__init__()
        if kind not in ("lstm", "transformer"):
            raise ValueError(f"TextClassifier: kind must be 'lstm' or 'transformer', got {kind!r}")
        self.kind = kind
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        if kind == "lstm":
            self.encoder = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
            out = hidden_size
        else:
            self.positions = nn.Embedding(max_len, embed_size)
            layer = nn.TransformerEncoderLayer(
                embed_size, heads, dim_feedforward=2 * embed_size, dropout=0.0, batch_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, num_layers)
            out = embed_size
        self.head = nn.Linear(out, num_classes)

    def forward(self, tokens):
        tokens = tokens.long()
        x = self.embedding(tokens)
        if self.kind == "lstm":
            out, _ = self.encoder(x)
            return self.head(out[:, -1])
        import glassnet

        steps = tokens.shape[1]
        x = x + self.positions(glassnet.arange(steps, device=tokens.device))
        pad = tokens == 0
        h = self.encoder(x, src_key_padding_mask=pad)
        keep = (~pad).float().unsqueeze(-1)
        return self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1.0))


class NextTokenModel(nn.Module):
    """A language model trained as next-token classification: an LSTM reads a window of token
    ids and its last step gives the logits of the token that follows."""

    def __init__(self, vocab_size: int, embed_size: int = 32, hidden_size: int = 128, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens.long()))
        return self.head(out[:, -1])


class TabularEmbeddingMLP(nn.Module):
    """An MLP over a table whose categorical columns are learned embeddings: the input row
    holds the continuous features first, then one integer code per categorical column (-1 for
    a category not seen in training, which gets an embedding of its own)."""

    def __init__(self, n_inputs, cardinalities, num_outputs, hidden=(64, 64), embed_dim=None):
        super().__init__()
        self.n_continuous = n_inputs - len(cardinalities)
        dims = [embed_dim or min(16, (k + 2) // 2 + 1) for k in cardinalities]
        self.embeddings = nn.ModuleList(nn.Embedding(k + 1, d) for k, d in zip(cardinalities, dims))
        layers, width = [], self.n_continuous + sum(dims)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, num_outputs))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        import glassnet

        parts = [x[:, : self.n_continuous]]
        for j, emb in enumerate(self.embeddings):
            parts.append(emb((x[:, self.n_continuous + j] + 1).long()))  # -1 (unknown) -> 0
        return self.mlp(glassnet.cat(parts, dim=1))
