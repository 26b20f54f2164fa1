"""What a Tensor says about itself: shape, size, dtype, device and the other read-only queries,
PyTorch's names. A mixin of ``glassnet.tensor.Tensor``, kept apart from the class's autograd and
in-place machinery; it holds no state of its own (empty ``__slots__``).

>>> import glassnet
>>> t = glassnet.zeros(2, 3)
>>> t.shape, t.size(1), t.ndim, t.numel(), t.is_cpu
(glassnet.Size([2, 3]), 3, 2, 6, True)
"""

from __future__ import annotations

from glassnet import backend
from glassnet.tensor_meta import Device, Size

__all__ = []


class _TensorProperties:
    """The queries of a Tensor's shape, dtype and device (a mixin: ``Tensor`` holds the data)."""

    __slots__ = ()

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return Device(backend.device_of(self._data))

    @property
    def is_cuda(self):
        return backend.is_cuda_array(self._data)

    @property
    def is_cpu(self):
        return not backend.is_cuda_array(self._data)

    # glassnet's devices are the CPU and NVIDIA GPUs, so these are False, as PyTorch's are on
    # a machine without Apple's GPU (mps), an Intel GPU (xpu) or meta tensors.
    is_mps = is_xpu = is_meta = False

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def is_floating_point(self):
        return self._data.dtype.kind == "f" or self._data.dtype.name == "bfloat16"

    def element_size(self):
        return self._data.itemsize

    @property
    def _version_value(self):
        return self._version[0]
