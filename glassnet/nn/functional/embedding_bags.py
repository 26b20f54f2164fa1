"""Bags of embeddings: the sum, mean or max of the rows of each bag of ids, without building
the (bags, ids, dim) tensor of ``F.embedding`` (text classification from bags of words,
recommendation features).

Sum and mean are one matrix product of a (bags, ids) selection matrix with the looked-up rows,
so their backward (to the weight and to ``per_sample_weights``) comes from those ops; max
takes each bag's rows and their max.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> w = glassnet.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]])
>>> F.embedding_bag(glassnet.tensor([0, 1, 2]), w, glassnet.tensor([0, 2]), mode="sum")
tensor([[1., 2.],
        [4., 4.]])
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import backend
from glassnet.errors import ShapeError
from glassnet.nn.functional.sparse import embedding
from glassnet.tensor import Tensor

__all__ = ["embedding_bag"]


def _ints(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        return np.asarray(backend.to_numpy(t._data)).astype(np.int64)
    return np.asarray(t, dtype=np.int64)


def _bags(name, input, offsets, include_last_offset):
    """Flat ids, the start of each bag, and the bag of each id."""
    ids = _ints(input)
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"{name}: offsets must be None for a 2-D input (each row is a bag), got offsets; "
                "pass a 1-D input with offsets instead."
            )
        n_bags, per = ids.shape
        starts = np.arange(n_bags, dtype=np.int64) * per
        ids = ids.reshape(-1)
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError(
                f"{name}: offsets is required for a 1-D input (the start of each bag in it)."
            )
        starts = _ints(offsets).reshape(-1)
        if include_last_offset:
            if starts.size == 0:
                raise ValueError(f"{name}: include_last_offset needs at least one offset")
            # the last offset stands for the end of the input; PyTorch reads no further
            starts = starts[:-1]
        if starts.size and (starts[0] != 0 or np.any(np.diff(starts) < 0)):
            raise ValueError(
                f"{name}: offsets must start at 0 and not decrease, got {starts.tolist()}"
            )
        if starts.size and starts[-1] > ids.size:
            raise ValueError(
                f"{name}: offsets {starts.tolist()} run past the {ids.size} ids of the input"
            )
    else:
        raise ShapeError(
            f"{name}: expected a 1-D input with offsets or a 2-D (bags, ids) input, got shape "
            f"{tuple(input.shape)}."
        )
    bag_of = np.searchsorted(starts, np.arange(ids.size), side="right") - 1
    return ids, starts, bag_of


def _embedding_bag(
    input,
    weight,
    offsets,
    max_norm,
    norm_type,
    mode,
    per_sample_weights,
    include_last_offset,
    padding_idx,
    name="embedding_bag",
):
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{name}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError(
            f"{name}: per_sample_weights is only supported for mode='sum' (got mode={mode!r})"
        )
    if weight.ndim != 2:
        raise ShapeError(
            f"{name}: weight must be (num_embeddings, embedding_dim), got {tuple(weight.shape)}"
        )
    ids, starts, bag_of = _bags(name, input, offsets, include_last_offset)
    n_bags, dim = starts.size, weight.shape[1]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    valid = np.ones(ids.size, dtype=bool) if padding_idx is None else ids != padding_idx
    counts = np.bincount(bag_of[valid], minlength=n_bags).astype(np.int64)
    xp = backend.get_array_module(weight._data)
    rows = embedding(
        glassnet.tensor(ids, device=weight.device),
        weight,
        max_norm=max_norm,
        norm_type=norm_type,
    )
    if mode == "max":
        parts, argmax = [], np.zeros((n_bags, dim), dtype=np.int64)
        zero = glassnet.zeros(dim, dtype=weight.dtype, device=weight.device)
        for b in range(n_bags):
            members = np.nonzero((bag_of == b) & valid)[0]
            if members.size == 0:
                parts.append(zero)
                continue
            chunk = rows[glassnet.tensor(members, device=weight.device)]
            parts.append(chunk.max(dim=0).values)
            argmax[b] = ids[members[np.argmax(backend.to_numpy(chunk._data), axis=0)]]
        out = glassnet.stack(parts) if parts else glassnet.zeros(0, dim, dtype=weight.dtype)
        return out, ids, bag_of, counts, argmax
    select = np.zeros((n_bags, ids.size), dtype=weight._data.dtype)
    scale = 1.0 / np.maximum(counts, 1) if mode == "mean" else np.ones(n_bags)
    cols = np.nonzero(valid)[0]
    select[bag_of[cols], cols] = scale[bag_of[cols]]
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)
        if psw.shape[0] != _ints(input).size:
            raise ShapeError(
                f"{name}: per_sample_weights has {psw.shape[0]} entries but the input has "
                f"{_ints(input).size} ids; give one weight per id."
            )
        rows = rows * psw[: ids.size].unsqueeze(1)
    out = Tensor._make(xp.asarray(select)) @ rows
    return out, ids, bag_of, counts, None


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """The sum, mean or max of the embedding rows of each bag: a 2-D input has one bag per
    row; a 1-D input is cut into bags at ``offsets``. Ids equal to ``padding_idx`` are left out
    (and not counted in the mean); an empty bag gives zeros. ``per_sample_weights`` (mode
    'sum') scales each id's row.
    """
    return _embedding_bag(
        input,
        weight,
        offsets,
        max_norm,
        norm_type,
        mode,
        per_sample_weights,
        include_last_offset,
        padding_idx,
    )[0]


def torch_embedding_bag(
    weight,
    indices,
    offsets,
    scale_grad_by_freq=False,
    mode=0,
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """``torch.embedding_bag``: mode 0 sum, 1 mean, 2 max; returns (output, offset2bag,
    bag_size, max_indices) as PyTorch's general CPU kernel fills them."""
    name = {0: "sum", 1: "mean", 2: "max"}[int(mode)]
    out, ids, bag_of, counts, argmax = _embedding_bag(
        indices,
        weight,
        offsets,
        None,
        2,
        name,
        per_sample_weights,
        include_last_offset,
        padding_idx,
        "torch.embedding_bag",
    )
    dev = weight.device
    n_bags = counts.size
    # the bag of each id (PyTorch's float32 sum kernel leaves this empty; its general one fills it)
    offset2bag = glassnet.tensor(bag_of, dtype=glassnet.int64, device=dev)
    if name == "sum":
        bag_size = glassnet.zeros(n_bags, dtype=glassnet.int64, device=dev)
        max_indices = glassnet.zeros(n_bags, dtype=glassnet.int64, device=dev)
    else:
        bag_size = glassnet.tensor(counts, dtype=glassnet.int64, device=dev)
        max_indices = bag_size.clone() if argmax is None else glassnet.tensor(argmax, device=dev)
    return out, offset2bag, bag_size, max_indices
