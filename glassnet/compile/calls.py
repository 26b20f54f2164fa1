"""The vocabulary of the array-call lowering: a slot argument ``S``, one array call ``Call``,
and the few helpers the op lowerings share (the reductions ndarray.sum makes).

A lowering (lower_ops.py, lower_losses.py, lower_kernels.py) returns a list of ``Call``;
array_calls.py decides where each result goes and binds it into the replay.

>>> c = Call(np.add, [S(0), 1.0], 2)
>>> c.name, c.slots(), c.kind
('add', [0], 'new')
"""

from __future__ import annotations

import operator

import numpy as np

_T = operator.attrgetter("T")  # the transposed view, as ``b.T`` makes it


class S:
    """A slot argument of a Call (anything else in ``args`` is a constant)."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


class Call:
    """One array call of a lowered step.

    ``kind``: "new" (``func(*args)`` makes the slot's array: it may get a buffer and then runs
    as ``func(*args, buffer)``, so ``func`` must take ``out`` as its last positional argument),
    "update" (``func(*args, env[out])``: in place into the slot's array, made by an earlier
    call), "view" (``func(*args)`` is a view of its first argument: never a buffer) or
    "alias" (the slot is the first argument's array itself: no call at all). ``fresh`` is the
    call used instead when the slot gets no buffer (default ``func(*args)``).
    """

    __slots__ = ("func", "args", "out", "kind", "name", "fresh", "pure")

    def __init__(self, func, args, out, kind="new", name=None, fresh=None, pure=True):
        self.func, self.args, self.out, self.kind = func, tuple(args), out, kind
        self.name = name or getattr(func, "__name__", "call")
        self.fresh = fresh
        self.pure = pure  # a function of its arguments only (else never folded)

    def slots(self):
        return [a.k for a in self.args if a.__class__ is S]


def _real_float(*arrays):
    """NumPy float32/float64 arrays only: the lowered formulas mirror those branches."""
    for a in arrays:
        if a.__class__ is not np.ndarray or a.dtype.kind != "f" or a.dtype.itemsize < 4:
            return False
    return True


def _slots_of(spec):
    """The slots of a recorded forward's arguments (None where one is a constant)."""
    return [v if kind is True else None for kind, v in spec]


# ---- shared helpers -------------------------------------------------------------------------
_add_reduce = np.add.reduce  # what ndarray.sum runs


def rows_sum(src, out):
    """``g.sum(axis=0)``: a bias's gradient, the sum over the batch (ndarray.sum's reduce)."""
    return Call(_add_reduce, [S(src), 0], out, name="add.reduce[axis=0]")


def _reduce_call(src, axes, keepdims, out):
    """``a.sum(axis=axes, keepdims=keepdims)`` as the one reduce call it is."""
    name = f"add.reduce[axis={axes}{', keepdims' if keepdims else ''}]"
    if keepdims:
        return Call(_reducer(axes, keepdims), [S(src)], out, name=name)
    return Call(_add_reduce, [S(src), axes], out, name=name)


def _reducer(axes, keepdims):
    def reduce_(a, out=None):
        return np.add.reduce(a, axes, out=out, keepdims=keepdims)

    return reduce_


def _copy_into(a, out):
    np.copyto(out, a)
    return out
