"""A fixed linear map along each of the last dims: ``out = x ×_1 A_1 ×_2 A_2 ...``.

Adaptive average pooling and every interpolation mode (nearest, linear, cubic, area) resize each
spatial dim by a small (out, in) matrix that does not depend on the data, so one Function serves
them all in any number of dims: forward contracts each dim with its matrix, backward with the
transposed matrices. (The 1-D and 2-D cases use the two-matmul form in glassnet.ops.pooling.)

>>> import numpy as np, glassnet
>>> x = glassnet.ones(1, 1, 2, 2, 2, requires_grad=True)
>>> up = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
>>> y = AxisMaps.apply(x, (up, None, up))
>>> y.shape
glassnet.Size([1, 1, 4, 2, 4])
>>> y.sum().backward()
>>> x.grad.sum().item()
32.0
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module


def apply_axis_maps(x, mats):
    """x with dim ``x.ndim - len(mats) + i`` mapped by ``mats[i]`` (None: left as it is)."""
    xp = get_array_module(x)
    first = x.ndim - len(mats)
    for i, mat in enumerate(mats):
        if mat is not None:
            axis = first + i
            x = xp.moveaxis(xp.tensordot(x, mat, axes=([axis], [1])), -1, axis)
    return xp.ascontiguousarray(x)


class AxisMaps(Function):
    """out = x with each of its last ``len(mats)`` dims mapped by a constant matrix."""

    saves_inputs = False

    def forward(self, x, mats):
        self.mats = mats
        return apply_axis_maps(x, mats)

    def backward(self, grad):
        return apply_axis_maps(grad, tuple(None if m is None else m.T for m in self.mats)), None
