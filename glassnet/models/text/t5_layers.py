"""T5's building blocks: the bucketed relative positions, the scale-only layer norm, the
feed-forward layers and the attention that adds a position bias to its scores.

>>> import glassnet
>>> norm = T5LayerNorm(4)
>>> y = norm(glassnet.tensor([[1.0, -1.0, 1.0, -1.0]]))
>>> [round(v, 4) for v in y[0].tolist()]  # the mean square becomes 1, the sign stays
[1.0, -1.0, 1.0, -1.0]
"""

from __future__ import annotations

import math

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.text.layers import activation

__all__ = ["relative_position_bucket", "T5LayerNorm", "T5LayerFF", "T5Attention"]


def relative_position_bucket(
    relative_position, bidirectional=True, num_buckets=32, max_distance=128
):
    """The bucket of each (key - query) distance: exact buckets for small distances, then
    logarithmically wider ones up to ``max_distance``; the encoder tells left from right
    (``bidirectional``), the decoder only looks left.

    >>> relative_position_bucket(np.array([-3, 0, 3, 200]), num_buckets=8, max_distance=16)
    array([2, 0, 6, 7])
    """
    rp = np.asarray(relative_position, dtype=np.int64)
    buckets = np.zeros_like(rp)
    if bidirectional:
        num_buckets //= 2
        buckets += (rp > 0) * num_buckets
        rp = np.abs(rp)
    else:
        rp = -np.minimum(rp, 0)
    max_exact = num_buckets // 2
    # float32, as transformers computes it, so the buckets at the boundaries agree
    with np.errstate(divide="ignore"):
        scaled = np.log(rp.astype(np.float32) / np.float32(max_exact))
    scaled = (
        scaled
        / np.float32(math.log(max_distance / max_exact))
        * np.float32(num_buckets - max_exact)
    )
    large = max_exact + np.where(rp < max_exact, 0, scaled).astype(np.int64)
    large = np.minimum(large, num_buckets - 1)
    return buckets + np.where(rp < max_exact, rp, large)


class T5LayerNorm(nn.Module):
    """``weight * x / sqrt(mean(x**2) + eps)``: a scale-only layer norm (no mean, no bias)."""

    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(glassnet.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, x):
        variance = (x * x).mean(-1, keepdim=True)
        return self.weight * (x * glassnet.rsqrt(variance + self.variance_epsilon))


class T5DenseActDense(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = activation(config.dense_act_fn)

    def forward(self, x):
        return self.wo(self.dropout(self.act(self.wi(x))))


class T5DenseGatedActDense(nn.Module):
    """T5 v1.1's gated feed-forward: act(wi_0 x) * (wi_1 x), then wo."""

    def __init__(self, config):
        super().__init__()
        self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = activation(config.dense_act_fn)

    def forward(self, x):
        return self.wo(self.dropout(self.act(self.wi_0(x)) * self.wi_1(x)))


class T5LayerFF(nn.Module):
    def __init__(self, config):
        super().__init__()
        dense = T5DenseGatedActDense if config.is_gated_act else T5DenseActDense
        self.DenseReluDense = dense(config)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, x):
        return x + self.dropout(self.DenseReluDense(self.layer_norm(x)))


class T5Attention(nn.Module):
    """Multi-head attention without the 1/sqrt(d) scale (T5 folds it into the init), plus the
    position bias; the first layer of each stack owns ``relative_attention_bias``."""

    def __init__(self, config, has_relative_attention_bias=False, is_decoder=False):
        super().__init__()
        self.is_decoder = is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.num_buckets = config.relative_attention_num_buckets
        self.max_distance = config.relative_attention_max_distance
        self.n_heads, self.d_kv = config.num_heads, config.d_kv
        inner = self.n_heads * self.d_kv
        self.q = nn.Linear(config.d_model, inner, bias=False)
        self.k = nn.Linear(config.d_model, inner, bias=False)
        self.v = nn.Linear(config.d_model, inner, bias=False)
        self.o = nn.Linear(inner, config.d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, self.n_heads)
        self.dropout = config.dropout_rate
        self.keep_attention, self.last_attention = False, None

    def compute_bias(self, query_length, key_length, past=0):
        """(1, heads, query_length, key_length) bias from the query-key distances."""
        context = np.arange(query_length)[:, None] + past
        memory = np.arange(key_length)[None, :]
        buckets = relative_position_bucket(
            memory - context, not self.is_decoder, self.num_buckets, self.max_distance
        )
        device = self.relative_attention_bias.weight.device
        values = self.relative_attention_bias(glassnet.tensor(buckets, device=device))
        return values.permute(2, 0, 1).unsqueeze(0)

    def _heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.d_kv).transpose(1, 2)

    def forward(self, x, bias, kv=None, past=None):
        """``bias``: the position bias plus the additive mask, (batch or 1, heads, q, k).
        ``kv``: the encoder states for cross-attention. ``past``: cached (keys, values); for
        cross-attention they are reused as they are."""
        q = self._heads(self.q(x))
        if kv is not None and past is not None:
            k, v = past
        else:
            source = x if kv is None else kv
            k, v = self._heads(self.k(source)), self._heads(self.v(source))
            if past is not None:
                k, v = glassnet.cat([past[0], k], dim=2), glassnet.cat([past[1], v], dim=2)
        if self.keep_attention:
            scores = q @ k.transpose(-1, -2) + bias
            w = F.softmax(scores, dim=-1)
            self.last_attention = w.detach()
            y = F.dropout(w, self.dropout, self.training) @ v
        else:
            p = self.dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=p, scale=1.0)
        b, _, t, _ = y.shape
        return self.o(y.transpose(1, 2).reshape(b, t, -1)), (k, v)
