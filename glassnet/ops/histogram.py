"""Counting values: bincount, histc and histogram.

Counts are piecewise constant in the values, so none of these has a derivative (nor in
PyTorch); a backward that reaches one raises, naming it.

>>> import glassnet
>>> glassnet.bincount(glassnet.tensor([0, 1, 1, 3]))
tensor([1, 2, 0, 1])
>>> glassnet.histc(glassnet.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
tensor([0., 2., 1., 0.])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet import dtypes
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops._pointwise import without_derivative
from glassnet.tensor import Tensor

histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative integers
    (or the sum of ``weights`` at those positions); at least ``minlength`` bins.

    >>> import glassnet
    >>> glassnet.bincount(glassnet.tensor([0, 2, 2]), weights=glassnet.tensor([0.5, 1.0, 2.0]))
    tensor([0.5000, 0.0000, 3.0000])
    """
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "biu":
        raise ShapeError(
            f"bincount only supports 1-d non-negative integral inputs, got shape "
            f"{tuple(a.shape)} of dtype {input.dtype}."
        )
    if minlength < 0:
        raise ValueError(f"bincount: minlength should be >= 0, got {minlength}")
    if a.size and int(a.min()) < 0:
        raise RuntimeError(f"bincount: input values must be non-negative, got {int(a.min())}")
    xp = get_array_module(a)
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=minlength).astype(dtypes.int64))
    if weights._data.shape != a.shape:
        raise ShapeError(
            f"bincount: weights should be 1-d and have the same length as input, got "
            f"{tuple(weights.shape)} for input {tuple(a.shape)}"
        )
    # PyTorch keeps floating weights' dtype and sums any other weights in float64.
    dtype = weights._data.dtype if weights._data.dtype.kind == "f" else dtypes.float64
    counts = xp.bincount(a, weights=weights._data.astype(dtypes.float64), minlength=minlength)
    return without_derivative("bincount", counts.astype(dtype), weights)


def _range(op, a, low, high):
    xp = get_array_module(a)
    if low == high and a.size:  # 0 and 0 by default: the data's own range
        low, high = float(xp.nanmin(a)), float(xp.nanmax(a))
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise ValueError(f"{op}: max must be larger than min, got min={low}, max={high}")
    return low, high


def histc(input, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's argument names
    """The counts of ``bins`` equal-width bins from ``min`` to ``max`` (the data's range when
    both are 0); values outside are ignored, ``max`` itself falls in the last bin.

    >>> import glassnet
    >>> glassnet.tensor([1.0, 1.0, 1.0]).histc(bins=4)  # a flat range widens by 1 each way
    tensor([0., 0., 3., 0.])
    """
    a = input._data
    if a.dtype.kind != "f":
        raise DTypeError(f"histc: expected a floating point tensor, got {input.dtype}")
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, got {bins}")
    xp = get_array_module(a)
    low, high = _range("histc", a, float(min), float(max))
    flat = a.reshape(-1)
    inside = (flat >= low) & (flat <= high)
    x = flat[inside]
    # PyTorch's rule: bin (x - min) * bins / (max - min), computed in the input's dtype.
    position = ((x - a.dtype.type(low)) * bins / a.dtype.type(high - low)).astype(dtypes.int64)
    position = xp.minimum(position, bins - 1)
    counts = xp.bincount(position, minlength=bins).astype(a.dtype)
    return without_derivative("histc", counts, input)


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges): counts (or summed ``weight``, or a density) in ``bins`` equal bins
    over ``range`` (the data's range by default), or in the bins a 1-D tensor of edges gives.

    >>> import glassnet
    >>> glassnet.histogram(glassnet.tensor([1.0, 2.0, 1.0]), bins=2)
    histogram(hist=tensor([2., 1.]), bin_edges=tensor([1.0000, 1.5000, 2.0000]))
    """
    a = input._data
    if a.dtype.kind != "f":
        raise DTypeError(f"histogram: expected a floating point tensor, got {input.dtype}")
    xp = get_array_module(a)
    flat = a.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data.astype(a.dtype)
    else:
        if range is None:
            low, high = (float(flat.min()), float(flat.max())) if flat.size else (0.0, 1.0)
        else:
            low, high = float(range[0]), float(range[1])
        if low == high:  # numpy and PyTorch widen a flat range by a half each way
            low, high = low - 0.5, high + 0.5
        edges = xp.linspace(low, high, int(bins) + 1).astype(a.dtype)
    w = None if weight is None else weight._data.reshape(-1)
    hist, _ = xp.histogram(flat, bins=edges, weights=w, density=density)
    inputs = (input,) if weight is None else (input, weight)
    return histogram_result(
        without_derivative("histogram", hist.astype(a.dtype), *inputs), Tensor._make(edges)
    )


__all__ = ["bincount", "histc", "histogram"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
