"""Is it finite? Cheap checks for NaN and infinity in arrays, state dicts and batches, used by
the Trainer (after each optimizer step, before a checkpoint is written, on evaluation inputs)
and by the metrics.

``all_finite`` is the fast screen: one BLAS dot product per array (a NaN or an infinity makes the
sum of squares NaN or infinite) and one device-to-host read for all of them. Only when the screen
trips, which a huge but finite array can also cause (its squares overflow), is each element
looked at, so the answer is always exact.

>>> import numpy as np
>>> all_finite([np.ones(3), np.array([1.0, 2.0])])
True
>>> all_finite([np.ones(3), np.array([1.0, np.inf])])
False
>>> all_finite([np.array([1e30, -1e30], dtype=np.float32)])  # squares overflow, values do not
True
>>> count_nonfinite(np.array([np.nan, 1.0, -np.inf, np.nan]))
(2, 1)
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor
from glassnet.tensor_tree import tensors_in


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _floating(a) -> bool:
    return getattr(getattr(a, "dtype", None), "kind", "") == "f" and a.size > 0


def _screen(a, xp):
    """A number that is finite when ``a`` is (and, rarely, infinite when ``a`` is only huge)."""
    if a.dtype.itemsize >= 4:
        return xp.vdot(a, a)  # a BLAS dot product of the array with itself
    # float16 squares overflow from 256 up; its extremes, widened, never do.
    return xp.abs(a.max().astype(xp.float32)) + xp.abs(a.min().astype(xp.float32))


def count_nonfinite(x) -> tuple[int, int]:
    """``(number of NaNs, number of infinities)`` in an array or Tensor (0, 0 for integers)."""
    a = _array(x)
    if not _floating(a):
        return 0, 0
    xp = backend.get_array_module(a)
    return int(xp.isnan(a).sum()), int(xp.isinf(a).sum())


def all_finite(arrays) -> bool:
    """Whether every floating array (or Tensor) in ``arrays`` is free of NaN and infinity."""
    arrays = [a for a in map(_array, arrays) if _floating(a)]
    if not arrays:
        return True
    xp = backend.get_array_module(arrays[0])
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow here only trips the screen
        if xp is np:
            total = 0.0
            for a in arrays:
                total += _screen(a, np)
        else:  # one read from the device for all of them
            total = xp.stack([_screen(a, xp).astype(xp.float64) for a in arrays]).sum()
        if math.isfinite(float(total)):
            return True
    return not any(sum(count_nonfinite(a)) for a in arrays)


def nonfinite_entries(named) -> list[tuple[str, int, int]]:
    """``(name, NaNs, infinities)`` for each entry of a name -> array mapping (a state_dict)
    that is not finite, in order."""
    named = list(named.items() if hasattr(named, "items") else named)
    if all_finite([value for _, value in named]):
        return []
    out = []
    for name, value in named:
        nans, infs = count_nonfinite(value)
        if nans or infs:
            out.append((name, nans, infs))
    return out


def describe_counts(nans: int, infs: int) -> str:
    """'3 NaN and 1 inf values', '2 NaN values', '1 inf value'.

    >>> describe_counts(3, 1), describe_counts(0, 1)
    ('3 NaN and 1 inf values', '1 inf value')
    """
    parts = [f"{n} {what}" for n, what in ((nans, "NaN"), (infs, "inf")) if n]
    return " and ".join(parts) + (" values" if nans + infs > 1 else " value")


def nonfinite_rows(x):
    """Indices (along the first dimension) of the rows of ``x`` that hold a NaN or an inf."""
    a = _array(x)
    xp = backend.get_array_module(a)
    bad = ~xp.isfinite(a)
    if a.ndim > 1:
        bad = bad.reshape(a.shape[0], -1).any(axis=1)
    else:
        bad = bad.reshape(-1)
    return backend.to_numpy(xp.nonzero(bad)[0])


class InputScreen:
    """Checks each batch that ``Trainer.evaluate`` or ``Trainer.predict`` reads for NaN and
    infinite inputs (and floating targets). ``mode``: 'raise' (a ValueError naming the batch,
    the rows and the count) or 'warn' (one warning at the end, listing the rows; their outputs
    and the scores computed from them are then NaN).

    >>> import glassnet
    >>> screen = InputScreen("Trainer.evaluate", "raise")
    >>> screen.check(0, glassnet.tensor([[1.0, float("nan")], [2.0, 3.0]]), None)
    Traceback (most recent call last):
        ...
    ValueError: Trainer.evaluate: batch 1 holds 1 NaN value in its inputs (row 0 of the batch, ...
    """

    def __init__(self, who: str, mode: str):
        if mode not in ("raise", "warn"):
            raise ValueError(f"{who}: nonfinite must be 'raise' or 'warn', got {mode!r}")
        self.who, self.mode = who, mode
        self.rows_seen = 0
        self.flagged: list[int] = []  # row indices over the whole data
        self.nans = self.infs = 0

    def check(self, batch: int, inputs, targets) -> None:
        size = 0
        for what, obj in (("inputs", inputs), ("targets", targets)):
            arrays = list(tensors_in(obj, arrays=True))
            if arrays and not size and getattr(arrays[0], "ndim", 0):
                size = int(arrays[0].shape[0])
            if all_finite(arrays):
                continue
            rows: set[int] = set()
            nans = infs = 0
            for a in arrays:
                n, i = count_nonfinite(a)
                if n or i:
                    nans, infs = nans + n, infs + i
                    rows.update(int(r) for r in nonfinite_rows(a))
            rows_sorted = sorted(rows)
            if self.mode == "raise":
                raise ValueError(
                    f"{self.who}: batch {batch + 1} holds {describe_counts(nans, infs)} in its "
                    f"{what} ({describe_rows(rows_sorted, 'of the batch')}, "
                    f"{describe_rows([self.rows_seen + r for r in rows_sorted], 'of the data')}). "
                    "Clean the data (drop or fill those rows), or pass nonfinite='warn' to go "
                    "on: those rows then give non-finite outputs, and the loss and the metrics "
                    "come out NaN."
                )
            self.nans, self.infs = self.nans + nans, self.infs + infs
            self.flagged.extend(self.rows_seen + r for r in rows_sorted)
        self.rows_seen += size

    def finish(self) -> None:
        if not self.flagged:
            return
        rows = sorted(set(self.flagged))
        warnings.warn(
            f"{self.who}: {len(rows)} row(s) of the data hold "
            f"{describe_counts(self.nans, self.infs)} ({describe_rows(rows, 'of the data')}); "
            "their outputs, and the loss and the metrics computed from them, are not finite",
            RuntimeWarning,
            stacklevel=3,
        )


def describe_rows(rows, of):
    """'rows 3, 5 of the batch'; past eight rows, 'and N more'.

    >>> describe_rows([4], "of the data"), describe_rows(list(range(10)), "of the batch")
    ('row 4 of the data', 'rows 0, 1, 2, 3, 4, 5, 6, 7 and 2 more of the batch')
    """
    shown = ", ".join(str(r) for r in rows[:8])
    more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more} {of}"
