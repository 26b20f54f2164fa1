"""Attention maps: which tokens (or image patches) each token looked at, as pictures.

``collect_attention(model, ...)`` runs one forward pass with every attention layer of a
glassnet Transformer (BERT, GPT-2, T5, ViT) keeping its softmax weights, and returns them per
layer as (batch, heads, queries, keys) arrays. ``plot_attention`` draws one layer's heads as
heat maps with the tokens on the axes and writes a PNG atomically.

>>> import os, tempfile, glassnet
>>> from glassnet.models import BertModel
>>> model = BertModel(vocab_size=30, hidden_size=16, num_hidden_layers=2,
...                   num_attention_heads=2, intermediate_size=32).eval()
>>> maps = collect_attention(model, glassnet.tensor([[1, 5, 7, 2]]))
>>> len(maps), maps[0].shape
(2, (1, 2, 4, 4))
>>> path = os.path.join(tempfile.mkdtemp(), "attention.png")
>>> plot_attention(maps[0][0], ["[CLS]", "a", "b", "[SEP]"], path=path) == path
True
"""

from __future__ import annotations

import io

import numpy as np

import glassnet
from glassnet._optional import require
from glassnet.serialization import atomic_write

__all__ = ["collect_attention", "plot_attention"]


def collect_attention(model, *args, **kwargs) -> list:
    """The attention weights of every attention layer of ``model`` for one forward pass with
    ``args``/``kwargs``, in the order the layers were built: NumPy arrays (batch, heads,
    queries, keys), each row summing to one."""
    layers = [m for m in model.modules() if hasattr(m, "keep_attention")]
    if not layers:
        raise TypeError(
            f"collect_attention: {type(model).__name__} has no attention layer that can keep its "
            "weights (glassnet's BERT, GPT-2, T5 and ViT models can)"
        )
    for m in layers:
        m.keep_attention, m.last_attention = True, None
    try:
        with glassnet.no_grad():
            model(*args, **kwargs)
    finally:
        for m in layers:
            m.keep_attention = False
    maps = [m.last_attention.numpy() for m in layers if m.last_attention is not None]
    for m in layers:
        m.last_attention = None
    return maps


def plot_attention(weights, tokens=None, key_tokens=None, path=None, title="attention"):
    """Heat maps of one layer's weights (heads, queries, keys) or (queries, keys), one panel
    per head, query tokens down the side and key tokens along the bottom. Writes a PNG to
    ``path`` (and returns the path) or returns the matplotlib Figure."""
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(
            f"plot_attention: weights must be (heads, queries, keys) or (queries, keys), got "
            f"shape {w.shape}; pick one example of the batch: maps[layer][i]"
        )
    heads, q, k = w.shape
    key_tokens = tokens if key_tokens is None else key_tokens
    cols = min(heads, 4)
    rows = -(-heads // cols)
    side = max(2.5, 0.25 * max(q, k) + 1.5)
    fig = Figure(figsize=(side * cols, side * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).reshape(-1)
    for h, ax in enumerate(axes):
        if h >= heads:
            ax.axis("off")
            continue
        ax.imshow(w[h], cmap="viridis", vmin=0.0, vmax=max(w[h].max(), 1e-12))
        ax.set_title(f"head {h}", fontsize=9)
        if tokens is not None and len(tokens) == q and q <= 40:
            ax.set_yticks(range(q), labels=list(tokens), fontsize=7)
        if key_tokens is not None and len(key_tokens) == k and k <= 40:
            ax.set_xticks(range(k), labels=list(key_tokens), fontsize=7, rotation=90)
    fig.suptitle(title)
    fig.tight_layout()
    if path is None:
        return fig
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    atomic_write(path, [buffer.getvalue()])
    return path
