"""Pieces the Hugging Face-shaped models share: activations by their config names, splitting
and merging attention heads, and turning a padding mask into an attention mask.

>>> import glassnet
>>> x = glassnet.randn(2, 5, 8)
>>> split_heads(x, 4).shape, merge_heads(split_heads(x, 4)).shape
(glassnet.Size([2, 4, 5, 2]), glassnet.Size([2, 5, 8]))
"""

from __future__ import annotations

import glassnet
import glassnet.nn.functional as F

__all__ = ["activation", "split_heads", "merge_heads", "padding_mask", "causal_mask", "additive"]


def _gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


_ACTIVATIONS = {
    "gelu": F.gelu,  # the exact erf form (BERT)
    "gelu_new": _gelu_tanh,  # the tanh approximation (GPT-2, T5 v1.1)
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": glassnet.tanh,
}


def activation(name: str):
    """The function a config's ``hidden_act`` / ``activation_function`` names."""
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r} in the config; known: {', '.join(sorted(_ACTIVATIONS))}"
        )
    return _ACTIVATIONS[name]


def split_heads(x, num_heads: int):
    """(batch, length, heads * dim) -> (batch, heads, length, dim)."""
    b, t, e = x.shape
    return x.view(b, t, num_heads, e // num_heads).transpose(1, 2)


def merge_heads(x):
    """(batch, heads, length, dim) -> (batch, length, heads * dim)."""
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def padding_mask(attention_mask, device):
    """A (batch, keys) mask of 1 (a token) and 0 (padding) as a bool (batch, 1, 1, keys)
    attention mask: True where a key may be attended to."""
    m = glassnet.as_tensor(attention_mask, device=device)
    return (m != 0)[:, None, None, :]


def causal_mask(query_len: int, key_len: int, device):
    """A bool (query_len, key_len) mask letting query i (the last query_len positions of
    key_len) see keys 0 .. key_len - query_len + i."""
    q = glassnet.arange(key_len - query_len, key_len, device=device)[:, None]
    k = glassnet.arange(key_len, device=device)[None, :]
    return k <= q


def additive(mask, dtype):
    """A bool mask (True: attend) as a float one added to the scores: 0 or the dtype's most
    negative number (what transformers adds, so a masked key gets exactly zero weight)."""
    return (~mask).to(dtype) * float(glassnet.finfo(dtype).min)
