"""nn.EmbeddingBag: an embedding table whose forward returns the sum, mean or max of the rows
of each bag of ids (state_dict key ``weight``, as PyTorch).

>>> import glassnet
>>> from glassnet import nn
>>> bag = nn.EmbeddingBag(10, 3, mode="sum")
>>> bag(glassnet.tensor([[1, 2], [3, 4]])).shape
glassnet.Size([2, 3])
"""

from __future__ import annotations

from glassnet.nn.functional.embedding_bags import embedding_bag
from glassnet.nn.sparse import Embedding

__all__ = ["EmbeddingBag"]


class EmbeddingBag(Embedding):
    """``forward(input, offsets=None, per_sample_weights=None)``: see ``F.embedding_bag``."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        _weight=None,
        include_last_offset=False,
        padding_idx=None,
        device=None,
        dtype=None,
    ):
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        super().__init__(
            num_embeddings,
            embedding_dim,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight,
            device=device,
            dtype=dtype,
        )
        self.mode = mode
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        s += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
