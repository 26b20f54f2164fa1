"""Lookup tables: ``embedding`` (rows of a weight matrix picked by integer ids) and ``one_hot``.

The lookup is one Function whose backward scatters the output gradient back into the picked
rows (repeated ids add up), leaves the ``padding_idx`` row without gradient and, with
``scale_grad_by_freq``, divides by how often each id occurs in the batch, as PyTorch does.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> table = glassnet.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> F.embedding(glassnet.tensor([2, 1, 2]), table).sum().backward()
>>> table.grad
tensor([[0., 0.],
        [1., 1.],
        [2., 2.]])
"""

from __future__ import annotations

from glassnet import backend
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.grad_mode import no_grad
from glassnet.tensor import Tensor

__all__ = ["embedding", "one_hot"]


class EmbeddingLookup(Function):
    """``weight[indices]`` along dim 0, with the embedding-specific backward."""

    saves_inputs = False  # backward needs only the ids, so max_norm may rescale weight later

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        xp = get_array_module(weight)
        self.indices, self.padding_idx = indices, padding_idx
        self.num, self.dim = weight.shape
        self.scale_grad_by_freq = scale_grad_by_freq
        return xp.take(weight, indices, axis=0)

    def backward(self, grad):
        xp = get_array_module(grad)
        ids = self.indices.reshape(-1)
        rows = grad.reshape(ids.size, self.dim)
        if self.scale_grad_by_freq:
            counts = xp.bincount(ids, minlength=self.num)
            rows = rows / counts[ids][:, None].astype(rows.dtype)
        out = xp.zeros((self.num, rows.shape[1]), dtype=grad.dtype)
        backend.add_rows(xp, out, ids, rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out, None


def _check_indices(input, num):
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding: expected a Tensor of ids, got {type(input).__name__}")
    if input._data.dtype.kind not in "iu":
        raise DTypeError(
            f"embedding: expected ids of an integer dtype (int64 or int32), got "
            f"{input._data.dtype}; convert them with .long()."
        )
    if input._data.size:
        low, high = int(input._data.min()), int(input._data.max())
        if low < 0 or high >= num:
            bad = low if low < 0 else high
            raise IndexError(
                f"embedding: index {bad} is out of range for a table of {num} rows (valid ids "
                f"are 0..{num - 1}). Make num_embeddings larger than the largest id (the "
                "vocabulary size)."
            )


def _renorm_(weight, ids, max_norm, norm_type):
    """Rescale in place the looked-up rows whose norm exceeds ``max_norm`` (PyTorch's
    embedding_renorm_)."""
    xp = get_array_module(weight._data)
    rows = xp.unique(ids.reshape(-1))
    picked = weight._data[rows]
    if norm_type == float("inf"):
        norms = xp.abs(picked).max(axis=1)
    else:
        norms = (xp.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(weight._data.dtype)
    with no_grad():
        weight._data[rows] = picked * scale[:, None]
        weight._version[0] += 1


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ids in ``input``;
    the output has shape ``input.shape + (embedding_dim,)``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` rescales, in place, looked-up rows
    whose ``norm_type``-norm is larger. ``sparse`` is accepted for compatibility; gradients are
    always dense.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.embedding(glassnet.tensor([[0, 1]]), glassnet.eye(3)).shape
    glassnet.Size([1, 2, 3])
    """
    if weight._data.ndim != 2:
        raise ShapeError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}."
        )
    num = weight._data.shape[0]
    _check_indices(input, num)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings ({num})"
            )
        padding_idx = padding_idx % num
    if max_norm is not None:
        _renorm_(weight, input._data, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, input._data, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """Integer class ids to one-hot int64 vectors (``glassnet.one_hot``, re-exported here as
    PyTorch's ``F.one_hot``).

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.one_hot(glassnet.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    from glassnet.ops.indexing import one_hot as _one_hot

    return _one_hot(tensor, num_classes)
