"""The multi-head attention computation that ``F.multi_head_attention_forward`` and
``nn.MultiheadAttention`` both run, and the mask handling it shares with
``scaled_dot_product_attention``.

>>> import glassnet
>>> from glassnet.nn.functional.multihead_attention import mha_batch_first
>>> x, w = glassnet.randn(2, 5, 8), glassnet.randn(24, 8)           # (N, L, E)
>>> out, weights = mha_batch_first(x, x, x, 8, 2, w, None, None, None, False, 0.0,
...                                glassnet.randn(8, 8), None)
>>> out.shape, weights.shape
(glassnet.Size([2, 5, 8]), glassnet.Size([2, 5, 5]))
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_array_module
from glassnet.errors import DeviceError, DTypeError, ShapeError
from glassnet.nn.functional.dropout import dropout, keep_mask
from glassnet.ops.attention import (
    AttentionWeights,
    PackedSelfAttention,
    ScaledDotProductAttention,
)
from glassnet.ops.linalg import matmul
from glassnet.ops.linear import linear
from glassnet.ops.shape_join import cat
from glassnet.ops.shape_pad import pad
from glassnet.tensor import Tensor


def _grad(t):
    return isinstance(t, Tensor) and t.requires_grad


def _check_device(label, what, mask, xp):
    if get_array_module(mask._data) is not xp:
        raise DeviceError(
            f"{label}{what} is on {mask.device} but the query is on the other device; make the "
            f"mask on the query's device (glassnet.tensor(..., device=query.device)) or move "
            "it with .to(query.device)."
        )


def additive_mask(label, what, mask, dtype, xp, true_masks_out):
    """A bool or float mask as an additive float mask of ``dtype`` (0: may attend, -inf: may
    not). A bool True means 'masked out' for MultiheadAttention (``true_masks_out``) and 'may
    attend' for scaled_dot_product_attention, as in PyTorch."""
    if mask is None:
        return None
    _check_device(label, what, mask, xp)
    kind = mask._data.dtype.kind
    if kind == "b":
        blocked, allowed = dtype.type(-np.inf), dtype.type(0)
        if true_masks_out:
            return Tensor._make(xp.where(mask._data, blocked, allowed))
        return Tensor._make(xp.where(mask._data, allowed, blocked))
    if kind != "f":
        raise DTypeError(
            f"{label}only bool and floating types of {what} are supported, got {mask._data.dtype}."
        )
    return mask if mask._data.dtype == dtype else mask.to(dtype)


def _check_shapes(label, query, key, value, embed_dim, kdim, vdim, separate):
    if query.ndim not in (2, 3):
        raise ShapeError(
            f"{label}query should be unbatched 2-D (L, E) or batched 3-D, but got shape "
            f"{tuple(query.shape)}."
        )
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeError(
            f"{label}query, key and value must have the same number of dims; got query "
            f"{tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)}."
        )
    for what, t, size, arg in (
        ("query", query, embed_dim, "embed_dim"),
        ("key", key, kdim, "kdim"),
        ("value", value, vdim, "vdim"),
    ):
        if t.shape[-1] != size:
            raise ShapeError(
                f"{label}{what}'s last dimension is {t.shape[-1]} but {arg} is {size} (got "
                f"{what} of shape {tuple(t.shape)}). Make the layer's {arg} match the feature "
                "size of your data, or project the data to that size first."
            )
    if query.ndim == 3 and not (query.shape[0] == key.shape[0] == value.shape[0]):
        raise ShapeError(
            f"{label}query, key and value must have the same batch size; got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}."
        )
    if key.shape[:-1] != value.shape[:-1] or (not separate and key.shape != value.shape):
        raise ShapeError(
            f"{label}key of shape {tuple(key.shape)} does not match value of shape "
            f"{tuple(value.shape)}: each key needs one value."
        )


def mha_batch_first(
    query,
    key,
    value,
    embed_dim,
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
    average_attn_weights=True,
    is_causal=False,
    label="",
    batch_first_out=True,
):
    """Multi-head attention on (N, L, E) inputs, or (L, E) unbatched; what
    ``nn.MultiheadAttention`` runs. ``label`` prefixes error messages."""
    separate = use_separate_proj_weight
    kdim = k_proj_weight.shape[1] if separate else embed_dim
    vdim = v_proj_weight.shape[1] if separate else embed_dim
    _check_shapes(label, query, key, value, embed_dim, kdim, vdim, separate)
    if embed_dim % num_heads:
        raise ValueError(f"{label}embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    batched = query.ndim == 3
    same_kv, self_attn = key is value, query is key and key is value
    if not batched:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    n, length, _ = query.shape
    source = key.shape[1]
    heads, head_dim = num_heads, embed_dim // num_heads
    xp = get_array_module(query._data)
    dtype = query._data.dtype

    if is_causal and attn_mask is None:
        raise ValueError(
            f"{label}is_causal=True needs attn_mask too (it is a hint that attn_mask is causal); "
            "make one with nn.Transformer.generate_square_subsequent_mask(L)."
        )
    kpm = additive_mask(label, "key_padding_mask", key_padding_mask, dtype, xp, True)
    if kpm is not None and tuple(kpm.shape) != (n, source):
        raise ShapeError(
            f"{label}key_padding_mask has shape {tuple(key_padding_mask.shape)}, expected "
            f"{(n, source) if batched else (source,)}: one entry per key (batch, source length)."
        )
    if is_causal and kpm is None and not need_weights:
        mask = None  # SDPA builds the causal mask itself
    else:
        is_causal = False
        mask = additive_mask(label, "attn_mask", attn_mask, dtype, xp, True)
        if mask is not None:
            mask = _shaped_attn_mask(label, mask, n, heads, length, source)

    if not training:
        dropout_p = 0.0
    scale = 1.0 / math.sqrt(head_dim)
    if self_attn and not separate and bias_k is None and not add_zero_attn and not need_weights:
        # The common case (a transformer layer): one fused op takes it from the packed q/k/v
        # projection to the heads' joined outputs
        qkv = linear(query, in_proj_weight, in_proj_bias)
        if kpm is not None:
            kpm = kpm.reshape(n, 1, 1, source)
            mask = kpm if mask is None else mask + kpm
        drop = None
        if dropout_p > 0.0:
            drop = keep_mask((n, heads, length, source), dropout_p, query._data)
        out = PackedSelfAttention.apply(qkv, mask, bool(is_causal), scale, drop, True, heads)
        return _out_projection(out, out_proj_weight, out_proj_bias, batched, batch_first_out), None
    q, k, v = _in_projection(
        query,
        key,
        value,
        embed_dim,
        in_proj_weight,
        in_proj_bias,
        separate,
        q_proj_weight,
        k_proj_weight,
        v_proj_weight,
        self_attn,
        same_kv,
    )
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], dim=1)
        v = cat([v, bias_v.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], dim=1)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    q = q.reshape(n, length, heads, head_dim).transpose(1, 2)
    k = k.reshape(n, k.shape[1], heads, head_dim).transpose(1, 2)
    v = v.reshape(n, v.shape[1], heads, head_dim).transpose(1, 2)
    if add_zero_attn:
        zeros = Tensor._make(xp.zeros((n, heads, 1, head_dim), dtype=dtype))
        k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    if kpm is not None:
        kpm = kpm.reshape(n, 1, 1, kpm.shape[-1])
        mask = kpm if mask is None else mask + kpm
    if need_weights:
        probs = AttentionWeights.apply(
            q, k, mask, False, scale, False, needs=(_grad(q), _grad(k), _grad(mask))
        )
        if dropout_p > 0.0:
            probs = dropout(probs, dropout_p)
        out = matmul(probs, v)
    else:
        drop = None
        if dropout_p > 0.0:
            drop = keep_mask((n, heads, length, k.shape[2]), dropout_p, q._data)
        out = ScaledDotProductAttention.apply(
            q,
            k,
            v,
            mask,
            bool(is_causal),
            scale,
            drop,
            True,
            1,
            needs=(_grad(q), _grad(k), _grad(v), _grad(mask)),
        )
    out = out.transpose(1, 2).reshape(n, length, embed_dim)
    out = _out_projection(out, out_proj_weight, out_proj_bias, batched, batch_first_out)
    if not need_weights:
        return out, None
    if average_attn_weights:
        probs = probs.mean(dim=1)
    return out, (probs if batched else probs.squeeze(0))


def _out_projection(out, weight, bias, batched, batch_first_out):
    """The output projection of the heads' (N, L, E) outputs, back in the input's layout."""
    out = linear(out, weight, bias)
    if not batched:
        return out.squeeze(0)
    return out if batch_first_out else out.transpose(0, 1)


def _shaped_attn_mask(label, mask, n, heads, length, source):
    """A 2-D (L, S) mask stays as is (it broadcasts); a 3-D (N*H, L, S) one becomes 4-D."""
    if mask.ndim == 2:
        if tuple(mask.shape) != (length, source):
            raise ShapeError(
                f"{label}the shape of the 2-D attn_mask is {tuple(mask.shape)}, but should be "
                f"{(length, source)} (target length, source length)."
            )
        return mask
    if mask.ndim == 3:
        if tuple(mask.shape) != (n * heads, length, source):
            raise ShapeError(
                f"{label}the shape of the 3-D attn_mask is {tuple(mask.shape)}, but should be "
                f"{(n * heads, length, source)} (batch * num_heads, target length, source "
                "length)."
            )
        return mask.reshape(n, heads, length, source)
    raise ShapeError(f"{label}attn_mask must be 2-D or 3-D, got shape {tuple(mask.shape)}.")


def _in_projection(query, key, value, e, w, b, separate, wq, wk, wv, self_attn, same_kv):
    """q, k, v = the three input projections, sharing one matmul where the inputs are shared."""
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b.chunk(3)
    if separate:
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    if self_attn:
        q, k, v = linear(query, w, b).chunk(3, dim=-1)
        return q, k, v
    wq, wk, wv = w.chunk(3)
    q = linear(query, wq, bq)
    if same_kv:
        bkv = None if b is None else b.narrow(0, e, 2 * e)
        k, v = linear(key, w.narrow(0, e, 2 * e), bkv).chunk(2, dim=-1)
        return q, k, v
    return q, linear(key, wk, bk), linear(value, wv, bv)
