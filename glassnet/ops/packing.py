"""Packed-sequence bookkeeping and the two row-moving ops behind packing and unpacking.

A packed batch (PyTorch's PackedSequence layout) stores the rows of time step ``t`` as
``batch_sizes[t]`` consecutive rows, sequences sorted by decreasing length. ``plan_for`` turns a
tuple of batch sizes into the row slices a recurrent op reads and writes at each step;
``GatherRows`` and ``ScatterRows`` move rows between a padded batch and the packed layout.

>>> plan = plan_for((2, 2, 1))      # two sequences, of lengths 3 and 2
>>> plan.B, plan.N                  # batch, packed rows
(2, 5)
>>> plan.steps[0][1]                # step 1 forward: packed rows, previous state rows, output rows
(slice(2, 4, None), slice(2, 4, None), slice(4, 6, None))
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError

__all__ = []


# ---- row bookkeeping -----------------------------------------------------------------------
class _Plan:
    """For one batch-size schedule: which rows each step reads and writes, per direction.

    ``steps[d]`` lists ``(rows, prev, out)`` in the order direction ``d`` runs: ``rows`` slices
    the packed (N, *) arrays, ``prev`` and ``out`` select rows of the (B + N, *) state array
    (slices where contiguous, so the common case makes views, never copies).
    """

    def __init__(self, sizes):
        T, B = len(sizes), (sizes[0] if sizes else 0)
        if T == 0 or any(b < a for a, b in zip(sizes[1:], sizes)) or sizes[-1] < 1:
            raise ShapeError(
                f"recurrent layer: batch_sizes must be positive and non-increasing, got "
                f"{list(sizes)}; build packed input with pack_padded_sequence or pack_sequence."
            )
        offs = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.B, self.N = B, offs[-1]
        fwd, rev, fwd_prev, rev_prev = [], [], [], [None] * T
        for t in range(T):
            bs, off = sizes[t], offs[t]
            start = 0 if t == 0 else B + offs[t - 1]
            fwd.append(
                (slice(off, off + bs), slice(start, start + bs), slice(B + off, B + off + bs))
            )
            fwd_prev.append(np.arange(start, start + bs))
        for t in range(T - 1, -1, -1):
            bs, off = sizes[t], offs[t]
            if t == T - 1:
                prev = np.arange(bs)
            else:  # sequences that start at this step read their initial state
                nb, base = sizes[t + 1], B + offs[t + 1]
                prev = np.concatenate([np.arange(base, base + nb), np.arange(nb, bs)])
            rev_prev[t] = prev
            rev.append((slice(off, off + bs), _as_slice(prev), slice(B + off, B + off + bs)))
        lengths = (np.asarray(sizes)[None, :] > np.arange(B)[:, None]).sum(1)
        fwd_final = B + np.asarray(offs)[lengths - 1] + np.arange(B)
        self.steps = (fwd, rev)
        self.prev_all = (_as_slice(np.concatenate(fwd_prev)), _as_slice(np.concatenate(rev_prev)))
        self.final = (_as_slice(fwd_final), slice(B, 2 * B))
        self._converted = {}

    def on(self, xp):
        """This plan with index arrays on ``xp``'s device (CuPy needs its own arrays)."""
        if xp is np:
            return self
        if xp not in self._converted:
            other = object.__new__(_Plan)
            other.__dict__.update(self.__dict__)
            conv = lambda r: r if isinstance(r, slice) else xp.asarray(r)
            other.steps = tuple([(a, conv(p), o) for a, p, o in s] for s in self.steps)
            other.prev_all = tuple(conv(r) for r in self.prev_all)
            other.final = tuple(conv(r) for r in self.final)
            self._converted[xp] = other
        return self._converted[xp]


def _as_slice(idx):
    if len(idx) and (len(idx) == 1 or bool((np.diff(idx) == 1).all())):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


@lru_cache(maxsize=128)
def plan_for(sizes):
    """The cached row plan for a tuple of batch sizes (one entry per time step)."""
    return _Plan(sizes)


class GatherRows(Function):
    """Rows of ``x`` with its first two dims flattened, picked by ``index`` (packing)."""

    saves_inputs = False

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return x.reshape((-1,) + x.shape[2:])[index]

    def backward(self, grad):
        shape = self.shape
        g = get_array_module(grad).zeros((shape[0] * shape[1],) + shape[2:], grad.dtype)
        g[self.index] = grad
        return (g.reshape(shape),)


class ScatterRows(Function):
    """Rows of ``data`` placed at ``index`` of a ``shape`` array (first two dims flattened),
    the rest filled with ``padding_value`` (unpacking)."""

    saves_inputs = False

    def forward(self, data, index, shape, padding_value=0.0):
        xp = get_array_module(data)
        self.index = index
        out = xp.full((shape[0] * shape[1],) + tuple(shape[2:]), padding_value, data.dtype)
        out[index] = data
        return out.reshape(shape)

    def backward(self, grad):
        return (grad.reshape((-1,) + grad.shape[2:])[self.index],)
