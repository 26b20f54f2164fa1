"""A GPT-style decoder (4 pre-norm layers, d_model 128, 4 heads, GELU, sequence 64, batch 16,
vocab 96): next-token cross-entropy, SGD. glassnet runs ``glassnet.models.GPT``. Peers: glassnet,
PyTorch, tinygrad (the PyTorch twin's pre-norm layers written out, same ``state_dict``)."""

from __future__ import annotations

from benchmarks.workloads.common import (
    TinygradPeer,
    glassnet_and_torch,
    tinygrad_linear,
    tokens,
    wanted,
)

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


def tinygrad_model(state):
    """The PyTorch twin in tinygrad: ``TransformerEncoderLayer(norm_first=True, dropout 0,
    activation="gelu")`` written out (packed q/k/v ``in_proj``, causal attention, exact GELU),
    holding the weights of ``state``."""
    from tinygrad import Tensor
    from tinygrad import nn as tnn

    params = []

    def tensor(key):
        params.append(Tensor(state[key].copy()))
        return params[-1]

    def linear(key):
        layer = tinygrad_linear(state[f"{key}.weight"], state[f"{key}.bias"])
        params.extend((layer.weight, layer.bias))
        return layer

    def norm(key):
        layer = tnn.LayerNorm(state[f"{key}.weight"].shape[0], eps=1e-5)
        layer.weight, layer.bias = tensor(f"{key}.weight"), tensor(f"{key}.bias")
        return layer

    token = tnn.Embedding(*state["token.weight"].shape)
    token.weight, position = tensor("token.weight"), tensor("position.weight")
    blocks, n = [], 0
    while f"blocks.layers.{n}.norm1.weight" in state:
        key = f"blocks.layers.{n}"
        blocks.append(
            {
                "norm1": norm(f"{key}.norm1"),
                "in_w": tensor(f"{key}.self_attn.in_proj_weight"),
                "in_b": tensor(f"{key}.self_attn.in_proj_bias"),
                "out": linear(f"{key}.self_attn.out_proj"),
                "norm2": norm(f"{key}.norm2"),
                "ff1": linear(f"{key}.linear1"),
                "ff2": linear(f"{key}.linear2"),
            }
        )
        n += 1
    final, head = norm("norm"), linear("head")

    def attention(x, blk):
        b, t, d = x.shape
        q, k, v = x.linear(blk["in_w"].T, blk["in_b"]).chunk(3, dim=-1)
        q, k, v = (
            z.reshape(b, t, HEADS, d // HEADS).transpose(1, 2).contiguous() for z in (q, k, v)
        )
        y = q.scaled_dot_product_attention(k, v, is_causal=True)
        return blk["out"](y.transpose(1, 2).reshape(b, t, d))

    def model(x):
        t = x.shape[1]
        h = token(x) + position[:t]
        for blk in blocks:
            h = h + attention(blk["norm1"](h), blk)
            # contiguous: store GELU's output rather than recompute erf inside the next matmul
            ff = blk["ff1"](blk["norm2"](h)).gelu(approximate="none").contiguous()
            h = h + blk["ff2"](ff)
        return head(final(h))

    return model, params


def build(batch=None, depth=1, peers=None):
    x, y = tokens(batch or BATCH, SEQ, VOCAB)
    out, state = glassnet_and_torch(make, x, y, peers)
    if wanted("tinygrad", peers):
        model, params = tinygrad_model(state)
        out.append(TinygradPeer(model, params, x, y, flat=True))
    return out
