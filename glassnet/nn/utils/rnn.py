"""Sequence batching helpers: pad_sequence stacks sequences of different lengths into one
padded tensor. (Packed sequences live here too, written with the recurrent layers.)

>>> import glassnet
>>> a, b = glassnet.ones(3, 2), glassnet.ones(1, 2)
>>> pad_sequence([a, b], batch_first=True).shape
glassnet.Size([2, 3, 2])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet import backend
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops.packing import GatherRows, ScatterRows
from glassnet.tensor import Tensor

__all__ = ["pad_sequence"]


class PadSequence(Function):
    """Copy each (length_i, *) array into one zero-padded (batch, max_len, *) array."""

    saves_inputs = False

    def forward(self, *arrays, batch_first, padding_value, left):
        xp = get_array_module(arrays[0])
        longest = max(a.shape[0] for a in arrays)
        out = xp.full(
            (len(arrays), longest) + arrays[0].shape[1:], padding_value, dtype=arrays[0].dtype
        )
        self.spans = []
        for i, a in enumerate(arrays):
            span = slice(longest - a.shape[0], longest) if left else slice(0, a.shape[0])
            out[i, span] = a
            self.spans.append(span)
        self.batch_first = batch_first
        return out if batch_first else xp.moveaxis(out, 0, 1).copy()

    def backward(self, grad):
        if not self.batch_first:
            grad = get_array_module(grad).moveaxis(grad, 1, 0)
        return tuple(grad[i, span] for i, span in enumerate(self.spans))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shape (L_i, *) into (max_L, batch, *), or (batch, max_L, *) with
    ``batch_first``, filling the gaps with ``padding_value`` (differentiable).

    >>> import glassnet
    >>> pad_sequence([glassnet.tensor([1, 2, 3]), glassnet.tensor([4])], batch_first=True)
    tensor([[1, 2, 3],
            [4, 0, 0]])
    """
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        )
    trailing = sequences[0]._data.shape[1:]
    for i, s in enumerate(sequences):
        if s._data.ndim == 0 or s._data.shape[1:] != trailing:
            raise ShapeError(
                f"pad_sequence: sequence {i} has shape {tuple(s.shape)}, but sequence 0 has "
                f"{tuple(sequences[0].shape)}; all must be (length, *) with the same trailing "
                "dims."
            )
    return PadSequence.apply(
        *sequences,
        batch_first=batch_first,
        padding_value=padding_value,
        left=padding_side == "left",
    )


# ---- packed sequences (written with the recurrent layers) -----------------------------------
__all__ += [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])
):
    """A batch of sequences of different lengths, without padding (PyTorch's layout).

    ``data`` holds the rows of time step 0 of every sequence, then step 1 of every sequence
    still running, and so on, with sequences sorted by decreasing length; ``batch_sizes[t]`` is
    how many run at step t; ``sorted_indices`` maps that order back to the caller's batch.
    Recurrent layers take it directly and stop each sequence at its own length.

    >>> import glassnet
    >>> p = pack_sequence([glassnet.tensor([1.0, 2.0, 3.0]), glassnet.tensor([4.0])])
    >>> p.data, p.batch_sizes
    (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            xp = get_array_module(sorted_indices._data)
            unsorted_indices = Tensor._make(xp.argsort(sorted_indices._data))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` moved or cast (batch_sizes stay on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = backend.device_of(data._data)
        move = lambda t: None if t is None else Tensor._make(backend.to_device(t._data, device))
        return type(self)(
            data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices)
        )

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def _lengths(lengths):
    if isinstance(lengths, Tensor):
        lengths = backend.to_numpy(lengths._data)
    return np.asarray(lengths).astype(np.int64).reshape(-1)


def _steps(batch_sizes):
    """(time step, rank in sorted order) of every packed row, in packed order."""
    B = int(batch_sizes[0])
    return np.nonzero(np.arange(B)[None, :] < np.asarray(batch_sizes)[:, None])


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) whose sequence ``b`` has
    ``lengths[b]`` valid steps. With ``enforce_sorted=False`` any order of lengths is accepted.

    >>> import glassnet
    >>> x = glassnet.tensor([[1.0, 4.0], [2.0, 0.0], [3.0, 0.0]])    # (T=3, B=2)
    >>> pack_padded_sequence(x, [3, 1]).data
    tensor([1., 4., 2., 3.])
    """
    lengths = _lengths(lengths)
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ShapeError(
            f"pack_padded_sequence: expected input of at least 2 dims (time and "
            f"batch), got shape {shape}"
        )
    T, B = (shape[1], shape[0]) if batch_first else shape[:2]
    if len(lengths) != B:
        raise ShapeError(
            f"pack_padded_sequence: expected {B} lengths (the batch size of input "
            f"of shape {shape}), got {len(lengths)}"
        )
    if lengths.min() <= 0:
        raise ValueError(
            "pack_padded_sequence: length of all samples has to be greater than 0, "
            f"but got lengths {lengths.tolist()}"
        )
    if lengths.max() > T:
        raise ShapeError(
            f"pack_padded_sequence: a length of {lengths.max()} exceeds the "
            f"{T} time steps of input of shape {shape}"
        )
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise ValueError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                f"True (got {lengths.tolist()}). Pass enforce_sorted=False to accept any order."
            )
        order, sorted_indices = np.arange(B), None
    else:
        order = np.argsort(-lengths, kind="stable")
        xp = get_array_module(input._data)
        sorted_indices = Tensor._make(xp.asarray(order))
    batch_sizes = (lengths[order][None, :] > np.arange(lengths.max())[:, None]).sum(1)
    t, j = _steps(batch_sizes)
    index = order[j] * T + t if batch_first else t * B + order[j]
    data = GatherRows.apply(input, get_array_module(input._data).asarray(index))
    return PackedSequence(data, Tensor._make(batch_sizes.astype(np.int64)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo pack_padded_sequence: returns ``(padded, lengths)`` in the original batch order,
    the gaps filled with ``padding_value``; ``total_length`` pads to a fixed number of steps.

    >>> import glassnet
    >>> p = pack_sequence([glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0])])
    >>> pad_packed_sequence(p, batch_first=True)
    (tensor([[1., 2.],
            [3., 0.]]), tensor([2, 1]))
    """
    data, batch_sizes, sorted_indices, _ = sequence
    batch_sizes = backend.to_numpy(batch_sizes._data)
    steps, B = len(batch_sizes), int(batch_sizes[0])
    T = steps if total_length is None else int(total_length)
    if T < steps:
        raise ValueError(
            "Expected total_length to be at least the length of the longest sequence in input, "
            f"but got total_length={total_length} and max sequence length being {steps}"
        )
    order = np.arange(B) if sorted_indices is None else backend.to_numpy(sorted_indices._data)
    t, j = _steps(batch_sizes)
    index = order[j] * T + t if batch_first else t * B + order[j]
    rest = tuple(data.shape[1:])
    shape = ((B, T) if batch_first else (T, B)) + rest
    xp = get_array_module(data._data)
    padded = ScatterRows.apply(data, xp.asarray(index), shape, padding_value)
    lengths = np.empty(B, np.int64)
    lengths[order] = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)
    return padded, Tensor._make(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (longest first, unless ``enforce_sorted=False``).

    >>> import glassnet
    >>> pack_sequence([glassnet.ones(1, 2), glassnet.ones(3, 2)], enforce_sorted=False).batch_sizes
    tensor([2, 1, 1])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of (L_i, *) tensors a PackedSequence holds, in the original order.

    >>> import glassnet
    >>> p = pack_sequence([glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0])])
    >>> unpack_sequence(p)
    [tensor([1., 2.]), tensor([3.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[i, : int(n)] for i, n in enumerate(lengths.tolist())]
