"""3-D padding layers (volumes, video): padding is an int or (left, right, top, bottom, front,
back), as in PyTorch.

>>> import glassnet
>>> from glassnet import nn
>>> nn.ZeroPad3d(1)(glassnet.ones(1, 1, 2, 2, 2)).shape
glassnet.Size([1, 1, 4, 4, 4])
"""

from __future__ import annotations

from glassnet.nn.padding import _ConstantPadNd, _PadNd, _ZeroPad

__all__ = ["ConstantPad3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"]


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant."""

    _nd = 3


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pad the last three dims with zeros."""


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their mirror image (edge not repeated)."""

    _nd, _mode = 3, "reflect"


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""

    _nd, _mode = 3, "replicate"


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping around."""

    _nd, _mode = 3, "circular"
