"""Attention as functions: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> q = k = v = glassnet.randn(2, 4, 5, 8)          # (batch, heads, length, head_dim)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
glassnet.Size([2, 4, 5, 8])
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.nn.functional.dropout import keep_mask
from glassnet.nn.functional.multihead_attention import _grad, additive_mask, mha_batch_first
from glassnet.ops.attention import ScaledDotProductAttention
from glassnet.ops.low_precision import in_float32, is_bf16
from glassnet.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims, fused.

    query (..., L, E), key (..., S, E), value (..., S, Ev) give (..., L, Ev). ``attn_mask`` is
    bool (True: may attend) or float (added to the scores), broadcastable to (..., L, S);
    ``is_causal`` lets position i attend to keys 0..i only; ``scale`` defaults to 1/sqrt(E).
    A query that may attend to no key gets zeros. ``enable_gqa`` lets several query heads
    (dim -3) share each key/value head.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> q, k, v = glassnet.ones(1, 3, 2), glassnet.ones(1, 3, 2), glassnet.eye(3)[None, :, :2]
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)
    tensor([[[1.0000, 0.0000],
             [0.5000, 0.5000],
             [0.3333, 0.3333]]])
    """
    name = "scaled_dot_product_attention"
    if is_bf16(query, key, value, attn_mask):  # float32 inside, one rounding (PyTorch's CPU)

        def attend(q, k, v, mask):
            return scaled_dot_product_attention(
                q, k, v, mask, dropout_p, is_causal, scale, enable_gqa
            )

        return in_float32(attend, query, key, value, attn_mask)
    for what, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t._data.ndim < 2 or t._data.dtype.kind != "f":
            raise ShapeError(
                f"{name}: {what} must be a floating point tensor of at least 2 dims "
                f"(..., length, features), got "
                f"{tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__}."
            )
    q, k, v = query._data, key._data, value._data
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(
            f"{name}: query {tuple(q.shape)}, key {tuple(k.shape)} and value {tuple(v.shape)} do "
            "not fit: query and key need the same last dim (E), key and value the same "
            "second-to-last dim (S)."
        )
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: pass either attn_mask or is_causal=True, not both.")
    groups = 1
    if enable_gqa and q.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        if q.shape[-3] % k.shape[-3] or k.shape[-3] != v.shape[-3]:
            raise ShapeError(
                f"{name}: with enable_gqa the query heads ({q.shape[-3]}) must be a multiple of "
                f"the key/value heads ({k.shape[-3]}, {v.shape[-3]})."
            )
        groups = q.shape[-3] // k.shape[-3]
    bias = additive_mask(name + ": ", "attn_mask", attn_mask, q.dtype, get_array_module(q), False)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    drop = None
    if dropout_p > 0.0:
        batch = np.broadcast_shapes(
            q.shape[:-2],
            k.shape[:-3] + (k.shape[-3] * groups,) if k.ndim >= 3 else (),
            () if bias is None else tuple(bias.shape[:-2]),
        )
        drop = keep_mask(batch + (q.shape[-2], k.shape[-2]), dropout_p, q)
    needs = (_grad(query), _grad(key), _grad(value), _grad(bias))
    return ScaledDotProductAttention.apply(
        query, key, value, bias, bool(is_causal), scale, drop, True, groups, needs=needs
    )


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """PyTorch's functional multi-head attention: inputs are (L, N, E), or (L, E) unbatched.

    Returns ``(output, weights)``; weights is None unless ``need_weights``. See
    ``nn.MultiheadAttention`` for the meaning of the arguments.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> x, w, b = glassnet.randn(5, 2, 8), glassnet.randn(24, 8), glassnet.zeros(24)
    >>> out, weights = F.multi_head_attention_forward(
    ...     x, x, x, 8, 2, w, b, None, None, False, 0.0, glassnet.randn(8, 8), None)
    >>> out.shape, weights.shape
    (glassnet.Size([5, 2, 8]), glassnet.Size([2, 5, 5]))
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError(
            "multi_head_attention_forward: static_k/static_v are not "
            "supported; project the keys and values yourself."
        )
    batched = query.ndim == 3
    if batched:
        query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
    return mha_batch_first(
        query,
        key,
        value,
        embed_dim_to_check,
        num_heads,
        in_proj_weight,
        in_proj_bias,
        bias_k,
        bias_v,
        add_zero_attn,
        dropout_p,
        out_proj_weight,
        out_proj_bias,
        training,
        key_padding_mask,
        need_weights,
        attn_mask,
        use_separate_proj_weight,
        q_proj_weight,
        k_proj_weight,
        v_proj_weight,
        average_attn_weights,
        is_causal,
        label="multi_head_attention_forward: ",
        batch_first_out=not batched,
    )
