"""MultiheadAttention: attention over several heads with learned input and output projections.

Parameter names are PyTorch's (``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``,
``out_proj.bias``; ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when kdim or vdim differ
from embed_dim), so weights load from a PyTorch ``state_dict`` unchanged.

>>> import glassnet
>>> from glassnet import nn
>>> attn = nn.MultiheadAttention(16, 4, batch_first=True)
>>> x = glassnet.randn(2, 5, 16)
>>> out, weights = attn(x, x, x)
>>> out.shape, weights.shape
(glassnet.Size([2, 5, 16]), glassnet.Size([2, 5, 5]))
"""

from __future__ import annotations

import glassnet
from glassnet.nn import _arguments as arg
from glassnet.nn import init
from glassnet.nn.functional.multihead_attention import mha_batch_first
from glassnet.nn.linear import Linear
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's ``out_proj`` (same repr)."""


class MultiheadAttention(Module):
    """Each of ``num_heads`` heads attends with its own slice of the projected queries, keys and
    values; the heads' outputs are concatenated and projected back to ``embed_dim``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``. Inputs are
    (L, N, E) or, with ``batch_first=True``, (N, L, E); (L, E) is unbatched. In
    ``key_padding_mask`` (N, S) and a bool ``attn_mask`` (L, S) or (N * num_heads, L, S), True
    marks a key that must not be attended to; float masks are added to the scores.

    >>> import glassnet
    >>> attn = glassnet.nn.MultiheadAttention(8, 2)
    >>> q = glassnet.randn(3, 1, 8)  # (L, N, E)
    >>> attn(q, q, q, need_weights=False)[0].shape
    glassnet.Size([3, 1, 8])
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        arg.check_int("MultiheadAttention", "embed_dim", embed_dim, minimum=None)
        arg.check_int("MultiheadAttention", "num_heads", num_heads, minimum=None)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                f"({num_heads}): each head gets embed_dim // num_heads features. Pick, e.g., "
                f"num_heads={_divisor_near(embed_dim, num_heads)}."
            )
        # PyTorch checks dropout only when training starts (a ValueError): check it here
        arg.check_probability("MultiheadAttention", "dropout", dropout)
        for what, size in (("kdim", kdim), ("vdim", vdim)):
            if size is not None:
                arg.check_size("MultiheadAttention", what, size)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        kw = dict(device=device, dtype=dtype if dtype is not None else glassnet.get_default_dtype())
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(glassnet.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(glassnet.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(glassnet.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(glassnet.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(glassnet.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(glassnet.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(glassnet.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's scheme: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        if self.batch_first or query.ndim != 3:
            q, k, v = query, key, value
        else:  # (L, N, E) -> (N, L, E): transposed views, no copies
            q = query.transpose(0, 1)
            k = q if key is query else key.transpose(0, 1)
            v = k if value is key else value.transpose(0, 1)
        out, weights = mha_batch_first(
            q,
            k,
            v,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            self.training,
            key_padding_mask,
            need_weights,
            attn_mask,
            not self._qkv_same_embed_dim,
            self.q_proj_weight,
            self.k_proj_weight,
            self.v_proj_weight,
            average_attn_weights,
            is_causal,
        )
        if not self.batch_first and query.ndim == 3:
            out = out.transpose(0, 1)
        return out, weights


def _divisor_near(n, k):
    """The divisor of n closest to k (for the error message's suggestion)."""
    return min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: (abs(d - k), d))
