"""Tensor.unfold: the sliding windows of one dim as a new last dim (a view, as in PyTorch).

``x.unfold(dimension, size, step)`` replaces ``dimension`` by the number of windows,
(n - size) // step + 1, and appends a dim of length ``size``. Windows may overlap, so the
backward adds each window's gradient back into the positions it covers.

>>> import glassnet
>>> glassnet.arange(7.0).unfold(0, 3, 2)
tensor([[0., 1., 2.],
        [2., 3., 4.],
        [4., 5., 6.]])
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim


def _windows(a, axis, size, step):
    xp = get_array_module(a)
    count = (a.shape[axis] - size) // step + 1
    shape = a.shape[:axis] + (count,) + a.shape[axis + 1 :] + (size,)
    strides = (
        a.strides[:axis] + (a.strides[axis] * step,) + a.strides[axis + 1 :] + (a.strides[axis],)
    )
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


class Unfold(Function):
    is_view = True
    saves_inputs = False

    def forward(self, a, axis, size, step):
        self.in_shape, self.axis, self.size, self.step = a.shape, axis, size, step
        return _windows(a, axis, size, step)

    def backward(self, grad):
        xp = get_array_module(grad)
        axis, size, step = self.axis, self.size, self.step
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        count = grad.shape[axis]
        moved = xp.moveaxis(g, axis, -1)  # a view: writes land in g
        windows = xp.moveaxis(grad, axis, -2)  # (..., count, size)
        for k in range(size):  # offset k of every window: positions k, k + step, ...
            moved[..., k : k + step * (count - 1) + 1 : step] += windows[..., k]
        return g, None, None, None


def unfold(input, dimension, size, step):
    """The windows of length ``size``, ``step`` apart, along ``dimension`` (a view).

    >>> import glassnet
    >>> glassnet.zeros(2, 10).unfold(1, 4, 3).shape
    glassnet.Size([2, 3, 4])
    """
    from glassnet.ops.shape_slice import _alias

    if input._data.ndim == 0:
        normalize_dim(dimension, 0, "unfold")
        input = input.reshape(1)
    axis = normalize_dim(dimension, input._data.ndim, "unfold")
    n = input.shape[axis]
    if size > n or size < 0:
        raise ShapeError(
            f"unfold: maximum size for tensor at dimension {axis} is {n} but size is {size}"
        )
    if step <= 0:
        raise ValueError(f"unfold: step is {step} but must be > 0")
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, _windows(input._data, axis, size, step))
    return Unfold.apply(input, axis, size, step)


TENSOR_METHODS = {"unfold": unfold}
__all__ = []  # torch.unfold is not a function; F.unfold (im2col) is a different op
