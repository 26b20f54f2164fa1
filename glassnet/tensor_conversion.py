"""How a Tensor leaves glassnet: ``numpy()``, ``item()``, ``tolist()``, Python's ``float``,
``int``, ``bool`` and ``index``, NumPy's ``__array__``, iteration and printing. A mixin of
``glassnet.tensor.Tensor``, kept apart from the class's autograd and in-place machinery; it holds
no state of its own (empty ``__slots__``).

>>> import glassnet
>>> t = glassnet.tensor([1.5, 2.5])
>>> t.tolist(), float(t[0]), t.numpy().dtype
([1.5, 2.5], 1.5, dtype('float32'))
"""

from __future__ import annotations

from glassnet import _tensor_str, backend
from glassnet.errors import AutogradError, ShapeError

__all__ = []


class _TensorConversion:
    """A Tensor's values as NumPy arrays, Python numbers and text (a mixin of ``Tensor``)."""

    __slots__ = ()

    def numpy(self):
        """The data as a NumPy array (shares memory on the CPU)."""
        if self.requires_grad:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return backend.to_numpy(self._data)

    def item(self):
        if self._data.size != 1:
            raise ShapeError(
                f"item(): a Tensor with {self._data.size} elements (shape "
                f"{tuple(self._data.shape)}) cannot be converted to a Python number; index one "
                "element first or reduce with .sum()/.mean()."
            )
        return backend.to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; "
                "use .any() or .all()."
            )
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        a = backend.to_numpy(self._data)
        return a if dtype is None else a.astype(dtype)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self):
        return _tensor_str.tensor_repr(self)

    __str__ = __repr__

    def __format__(self, format_spec):
        return _tensor_str.tensor_format(self, format_spec)
