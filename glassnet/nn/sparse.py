"""Embedding: a learned table of vectors, one row per id (word, token, category).

>>> import glassnet
>>> from glassnet import nn
>>> emb = nn.Embedding(10, 3, padding_idx=0)
>>> emb
Embedding(10, 3, padding_idx=0)
>>> emb(glassnet.tensor([[1, 2, 0]])).shape
glassnet.Size([1, 3, 3])
"""

from __future__ import annotations

import glassnet
from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn.functional import sparse as F
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A (num_embeddings, embedding_dim) table; ``forward(ids)`` returns the rows of the ids.

    The table starts as N(0, 1) samples, with the ``padding_idx`` row zero; that row never
    receives a gradient, so it stays zero while training.

    >>> import glassnet
    >>> emb = glassnet.nn.Embedding(5, 2)
    >>> emb.weight.shape
    glassnet.Size([5, 2])
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings = arg.check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = arg.check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            arg.check_int("Embedding", "padding_idx", padding_idx, minimum=None)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings "
                    f"({self.num_embeddings}): an id in [-{self.num_embeddings}, "
                    f"{self.num_embeddings - 1}], got {padding_idx}"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        if max_norm is not None:
            arg.check_at_least("Embedding", "max_norm", max_norm, 0, strict=True, error=ValueError)
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dtype = dtype if dtype is not None else glassnet.get_default_dtype()
            self.weight = Parameter(
                glassnet.empty(self.num_embeddings, self.embedding_dim, dtype=dtype, device=device),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(
                    f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                    f"({self.num_embeddings}, {self.embedding_dim})."
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Fresh N(0, 1) rows (drawn from glassnet.random), the padding row zeroed."""
        data = self.weight._data
        data[...] = glassnet.randn(
            *data.shape, dtype=data.dtype, device=glassnet.backend.device_of(data)
        )._data
        if self.padding_idx is not None:
            data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """An Embedding holding a given 2-D table (e.g. pretrained word vectors); ``freeze``
        keeps it fixed while training.

        >>> import glassnet
        >>> emb = glassnet.nn.Embedding.from_pretrained(glassnet.eye(3))
        >>> emb(glassnet.tensor([1])), emb.weight.requires_grad
        (tensor([[0., 1., 0.]]), False)
        """
        if embeddings.ndim != 2:
            raise ShapeError(
                f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                f"embedding_dim), got shape {tuple(embeddings.shape)}."
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=embeddings.detach(),
            _freeze=freeze,
        )
