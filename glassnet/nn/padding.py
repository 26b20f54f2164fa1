"""Padding layers: zero, constant, reflection, replication and circular padding in 1-D and 2-D.

``padding`` is an int (the same on every side) or a tuple listing (left, right) for 1-D and
(left, right, top, bottom) for 2-D, as in PyTorch.

>>> import glassnet
>>> from glassnet import nn
>>> nn.ZeroPad2d(1)(glassnet.ones(1, 1, 2, 2)).shape
glassnet.Size([1, 1, 4, 4])
>>> nn.ReflectionPad1d((2, 1))(glassnet.tensor([[[1.0, 2.0, 3.0]]])).tolist()
[[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
"""

from __future__ import annotations

from glassnet.nn.functional.vision import pad
from glassnet.nn.module import Module

__all__ = [
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "CircularPad1d",
    "CircularPad2d",
]


def _amounts(padding, nd):
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * nd:
        raise ValueError(f"padding must be an int or a tuple of {2 * nd} ints, got {padding}")
    return padding


class _PadNd(Module):
    _nd = 2
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _amounts(padding, self._nd)

    def forward(self, input):
        return pad(input, self.padding, mode=self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant.

    >>> import glassnet
    >>> ConstantPad1d(1, 3.5)(glassnet.zeros(1, 2)).tolist()
    [[3.5, 0.0, 0.0, 3.5]]
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant.

    >>> import glassnet
    >>> ConstantPad2d((1, 0, 0, 1), 2.0)(glassnet.zeros(1, 1, 1)).tolist()
    [[[2.0, 0.0], [2.0, 2.0]]]
    """

    _nd = 2


class _ZeroPad:
    """Makes a ConstantPad class pad with zeros (and print as PyTorch's ZeroPad does)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dim with zeros.

    >>> import glassnet
    >>> ZeroPad1d((1, 2))(glassnet.ones(1, 2)).tolist()
    [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last two dims with zeros.

    >>> ZeroPad2d(1)
    ZeroPad2d((1, 1, 1, 1))
    """


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image (edge not repeated).

    >>> import glassnet
    >>> ReflectionPad1d(1)(glassnet.tensor([[1.0, 2.0]])).tolist()
    [[2.0, 1.0, 2.0, 1.0]]
    """

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their mirror image (edge not repeated).

    >>> import glassnet
    >>> ReflectionPad2d(1)(glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 4, 4])
    """

    _nd, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values.

    >>> import glassnet
    >>> ReplicationPad1d((2, 0))(glassnet.tensor([[1.0, 2.0]])).tolist()
    [[1.0, 1.0, 1.0, 2.0]]
    """

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values.

    >>> import glassnet
    >>> ReplicationPad2d(1)(glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 4, 4])
    """

    _nd, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (periodic signals).

    >>> import glassnet
    >>> CircularPad1d(1)(glassnet.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    _nd, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around.

    >>> import glassnet
    >>> CircularPad2d(1)(glassnet.ones(1, 1, 2, 2)).shape
    glassnet.Size([1, 1, 4, 4])
    """

    _nd, _mode = 2, "circular"
