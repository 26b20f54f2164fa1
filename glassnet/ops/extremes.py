"""The extremes of a tensor: max, min (with ``dim``, a (values, indices) pair), amax, amin,
argmax, argmin.

The values' gradient has a rule of its own: ``amax``/``amin`` (and ``max()`` over everything)
share it evenly among tied elements, as PyTorch does, while ``max(dim)`` sends it to the one
index it returned.

>>> import glassnet
>>> x = glassnet.tensor([3.0, 1.0, 3.0], requires_grad=True)
>>> x.amax().backward()
>>> x.grad
tensor([0.5000, 0.0000, 0.5000])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import normalize_dim
from glassnet.ops.reduction import _axes, _reduced_shape, _unsqueeze
from glassnet.tensor import Tensor

# What ``x.max(dim)`` returns, like torch.return_types.max: a tuple with named fields.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


class AMax(Function):
    """max/min over dims; ties share the gradient evenly, as PyTorch's amax and max()."""

    def forward(self, a, axes, keepdims, smallest):
        out = a.min(axis=axes, keepdims=True) if smallest else a.max(axis=axes, keepdims=True)
        self.mask = a == out
        self.axes, self.keepdims = axes, keepdims
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, grad):
        mask = self.mask
        g = _unsqueeze(grad, self.axes, self.keepdims, mask.ndim)
        count = mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
        return mask * (g / count), None


class MaxDim(Function):
    """The values of max/min along one dim; the gradient goes to the selected index only."""

    def forward(self, a, index, axis, keepdims):
        xp = get_array_module(a)
        self.index, self.axis, self.keepdims, self.in_shape = index, axis, keepdims, a.shape
        out = xp.take_along_axis(a, index, axis=axis)
        return out if keepdims else out.squeeze(axis)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad if self.keepdims else xp.expand_dims(grad, self.axis)
        n = self.in_shape[self.axis]
        positions = xp.arange(n).reshape((n,) + (1,) * (len(self.in_shape) - self.axis - 1))
        return xp.where(positions == self.index, g, xp.zeros((), dtype=g.dtype)), None


# ---- the public functions ------------------------------------------------------------------
def _extreme(input, dim, keepdim, smallest):
    name = "min" if smallest else "max"
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from glassnet.ops.elementwise import maximum, minimum

        return (minimum if smallest else maximum)(input, dim)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): expected a non-empty tensor (shape {tuple(input.shape)}); "
                f"pass dim= or use a non-empty input."
            )
        return AMax.apply(input, None, False, smallest)
    xp = get_array_module(input._data)
    a = input._data
    if a.ndim == 0:
        normalize_dim(dim, 0, name)
        return (max_result, min_result)[smallest](input, Tensor._make(xp.zeros((), xp.int64)))
    axis = normalize_dim(dim, a.ndim, name)
    index = (xp.argmin if smallest else xp.argmax)(a, axis=axis, keepdims=True)
    values = MaxDim.apply(input, index, axis, keepdim)
    indices = Tensor._make(index if keepdim else index.squeeze(axis))
    return (max_result, min_result)[smallest](values, indices)


def max(input, dim=None, keepdim=False):  # noqa: A001
    """The largest value; with ``dim``, a (values, indices) pair along that dim.

    >>> import glassnet
    >>> x = glassnet.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.max()
    tensor(7.)
    >>> x.max(dim=1).indices
    tensor([1, 0])
    """
    return _extreme(input, dim, keepdim, smallest=False)


def min(input, dim=None, keepdim=False):  # noqa: A001
    """The smallest value; with ``dim``, a (values, indices) pair along that dim.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).values
    tensor([1., 2.])
    """
    return _extreme(input, dim, keepdim, smallest=True)


def amax(input, dim=(), keepdim=False):
    """Largest values over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0)
    tensor([7., 5.])
    """
    return AMax.apply(input, _axes(input, dim, "amax"), keepdim, False)


def amin(input, dim=(), keepdim=False):
    """Smallest values over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(dim=1)
    tensor([1., 2.])
    """
    return AMax.apply(input, _axes(input, dim, "amin"), keepdim, True)


def _arg(input, dim, keepdim, smallest):
    xp = get_array_module(input._data)
    a = input._data
    find = xp.argmin if smallest else xp.argmax
    if dim is None:
        index = find(a.reshape(-1)) if a.ndim else xp.zeros((), xp.int64)
        index = xp.asarray(index, dtype=xp.int64)
        return Tensor._make(index.reshape((1,) * a.ndim) if keepdim else index)
    if a.ndim == 0:
        normalize_dim(dim, 0, "argmin" if smallest else "argmax")
        return Tensor._make(xp.zeros((), xp.int64))
    axis = normalize_dim(dim, a.ndim, "argmin" if smallest else "argmax")
    return Tensor._make(find(a, axis=axis, keepdims=keepdim).astype(xp.int64, copy=False))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (in the flattened tensor, or along ``dim``); first one wins.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax()
    tensor(2)
    """
    return _arg(input, dim, keepdim, smallest=False)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value (in the flattened tensor, or along ``dim``).

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(dim=1)
    tensor([0, 1])
    """
    return _arg(input, dim, keepdim, smallest=True)


TENSOR_METHODS = {name: globals()[name] for name in "max min amax amin argmax argmin".split()}

__all__ = list(TENSOR_METHODS)
