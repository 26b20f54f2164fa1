"""Max unpooling layers: MaxUnpool1d/2d/3d, the partial inverse of MaxPool (as in SegNet-style
decoders): each value goes back where the pool found it, zeros elsewhere.

>>> import glassnet
>>> from glassnet import nn
>>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
>>> y, idx = pool(glassnet.ones(1, 3, 4, 4))
>>> unpool(y, idx).shape
glassnet.Size([1, 3, 4, 4])
>>> unpool
MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
"""

from __future__ import annotations

from glassnet.nn import functional as F
from glassnet.nn.functional.window_args import int_tuple
from glassnet.nn.module import Module

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxUnpoolNd(Module):
    _nd = 2
    _unpool = None  # F.max_unpool1d, 2d or 3d

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        layer, nd = type(self).__name__, self._nd
        self.kernel_size = int_tuple(kernel_size, nd, "kernel_size", layer)
        self.stride = int_tuple(stride if stride is not None else kernel_size, nd, "stride", layer)
        self.padding = int_tuple(padding, nd, "padding", layer)

    def forward(self, input, indices, output_size=None):
        return self._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undo MaxPool1d on (N, C, L).

    >>> MaxUnpool1d(2)
    MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    _nd = 1
    _unpool = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Undo MaxPool2d on (N, C, H, W).

    >>> MaxUnpool2d(3, stride=2, padding=1)
    MaxUnpool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    """

    _unpool = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """Undo MaxPool3d on volumes (N, C, D, H, W).

    >>> MaxUnpool3d(2)
    MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))
    """

    _nd = 3
    _unpool = staticmethod(F.max_unpool3d)
