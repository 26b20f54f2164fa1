"""The transformer's two layer kinds: ``TransformerEncoderLayer`` (self-attention, feed-forward)
and ``TransformerDecoderLayer`` (self-attention, attention over the encoder's output,
feed-forward), each block with a residual connection and a LayerNorm. Submodule names are
PyTorch's (``self_attn``, ``multihead_attn``, ``linear1``, ``linear2``, ``norm1``..``norm3``), so
state dicts move between the two libraries.

>>> import glassnet
>>> from glassnet import nn
>>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
>>> layer(glassnet.randn(3, 7, 16)).shape
glassnet.Size([3, 7, 16])
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn.attention import MultiheadAttention
from glassnet.nn.dropout import Dropout
from glassnet.nn.functional.activation import gelu, relu
from glassnet.nn.linear import Linear
from glassnet.nn.module import Module
from glassnet.nn.normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer"]


def _activation(layer, activation):
    if isinstance(activation, str):
        # a RuntimeError in PyTorch (InvalidArgumentError is that and a ValueError)
        arg.check_choice(
            layer, "activation", activation, ("relu", "gelu"), error=arg.InvalidArgumentError
        )
        return relu if activation == "relu" else gelu
    if not callable(activation):
        raise TypeError(
            f"{layer}: activation must be 'relu', 'gelu' or a callable, got {activation!r}"
        )
    return activation


class _TransformerLayer(Module):
    """What both layer kinds share: their parts, made in PyTorch's order (it fixes the key
    order), the self-attention block and the feed-forward block."""

    _cross_attention = False  # the decoder also attends to the encoder's output
    _ff_dropout = "dropout2"  # the feed-forward block is the last; so is its output dropout

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        arg.check_size(name, "d_model", d_model, positive=True, error=ValueError)
        arg.check_size(name, "nhead", nhead, positive=True, error=ValueError)
        if d_model % nhead:
            raise ValueError(
                f"{name}: d_model ({d_model}) must be divisible by nhead ({nhead}): each "
                "attention head gets d_model // nhead features."
            )
        arg.check_size(name, "dim_feedforward", dim_feedforward)
        arg.check_probability(name, "dropout", dropout)
        arg.check_at_least(name, "layer_norm_eps", layer_norm_eps, 0, error=ValueError)
        activation = _activation(name, activation)
        kw = dict(device=device, dtype=dtype)
        blocks = 3 if self._cross_attention else 2
        attention = dict(dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.self_attn = MultiheadAttention(d_model, nhead, **attention)
        if self._cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        if not self._cross_attention:  # PyTorch's encoder layer records which one it is
            self.activation_relu_or_gelu = (
                1 if activation is relu else 2 if activation is gelu else 0
            )
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self._modules[self._ff_dropout](x)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a two-layer feed-forward network, each wrapped in a residual
    connection and a LayerNorm (after it, or before it with ``norm_first=True``).

    >>> import glassnet
    >>> layer = glassnet.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    >>> layer(glassnet.randn(5, 3, 8)).shape  # (S, N, E)
    glassnet.Size([5, 3, 8])
    """

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Masked self-attention, attention over the encoder's output (``memory``), then a
    feed-forward network; each with a residual connection and a LayerNorm.

    >>> import glassnet
    >>> layer = glassnet.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> tgt, memory = glassnet.randn(2, 4, 8), glassnet.randn(2, 6, 8)
    >>> layer(tgt, memory).shape
    glassnet.Size([2, 4, 8])
    """

    _cross_attention = True
    _ff_dropout = "dropout3"

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=False,
        )[0]
        return self.dropout2(x)
