"""A GPT-style decoder (4 pre-norm layers, d_model 128, 4 heads, GELU, sequence 64, batch 16,
vocab 96): next-token cross-entropy, SGD. glassnet runs ``glassnet.models.GPT``."""

from __future__ import annotations

from benchmarks.workloads.common import glassnet_and_torch, tokens

NAME = "gpt"
TITLE = "GPT decoder (4 layers, d 128, 4 heads, seq 64), batch 16"
BATCH, VOCAB, SEQ, D, LAYERS, HEADS = 16, 96, 64, 128, 4, 4


def make(nn):
    if nn.__name__.startswith("glassnet"):
        from glassnet.models import GPT

        return GPT(VOCAB, block_size=SEQ, d_model=D, n_layer=LAYERS, n_head=HEADS)
    import torch

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Embedding(VOCAB, D)
            self.position = nn.Embedding(SEQ, D)
            layer = nn.TransformerEncoderLayer(
                D, HEADS, 4 * D, 0.0, activation="gelu", batch_first=True, norm_first=True
            )
            self.blocks = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D)
            self.head = nn.Linear(D, VOCAB)

        def forward(self, x):
            t = x.shape[1]
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            h = self.token(x) + self.position(torch.arange(t, device=x.device))
            return self.head(self.norm(self.blocks(h, mask=mask, is_causal=True)))

    return GPT()


def build(batch=None, depth=1, peers=None):
    x, y = tokens(batch or BATCH, SEQ, VOCAB)
    return glassnet_and_torch(make, x, y, peers)[0]
