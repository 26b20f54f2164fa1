"""Reordering dims without copying: transpose, permute, movedim, t, and the ``T``/``mT``
properties. The backward applies the inverse reordering to the gradient.

>>> import glassnet
>>> x = glassnet.zeros(2, 3, 4)
>>> x.permute(2, 0, 1).shape, x.mT.shape
(glassnet.Size([4, 2, 3]), glassnet.Size([2, 4, 3]))
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.autograd import Function
from glassnet.errors import ShapeError
from glassnet.ops._util import normalize_dim
from glassnet.ops.shape_slice import _alias


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


# ---- transpose / permute -------------------------------------------------------------------
class Transpose(Function):
    is_view = True
    saves_inputs = False

    def forward(self, a, d0, d1):
        self.d0, self.d1 = d0, d1
        return a.swapaxes(d0, d1)

    def backward(self, grad):
        return (grad.swapaxes(self.d0, self.d1),)


class Permute(Function):
    is_view = True
    saves_inputs = False

    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return (grad.transpose(inverse),)


def transpose(input, dim0, dim1):
    """Swap two dims (a view).

    >>> import glassnet
    >>> glassnet.zeros(2, 3, 4).transpose(0, 2).shape
    glassnet.Size([4, 3, 2])
    """
    a = input._data
    if not (input.requires_grad and grad_mode._enabled):
        try:
            return _alias(input, a.swapaxes(dim0, dim1))
        except Exception:
            pass  # fall through to the checks below for a clear message
    n = a.ndim
    d0 = normalize_dim(dim0, n, "transpose")
    d1 = normalize_dim(dim1, n, "transpose")
    if n == 0:
        return permute(input)
    return Transpose.apply(input, d0, d1)


def _permutation(op, dims, ndim):
    out = tuple(normalize_dim(d, ndim, op) for d in dims)
    if len(out) != ndim or len(set(out)) != ndim:
        raise ShapeError(
            f"{op}: dims {list(dims)} must be a permutation of the {ndim} dims of the input "
            f"(each of 0..{ndim - 1} exactly once)."
        )
    return out


def permute(input, *dims):
    """Reorder the dims (a view).

    >>> import glassnet
    >>> glassnet.zeros(2, 3, 4).permute(2, 0, 1).shape
    glassnet.Size([4, 2, 3])
    """
    dims = _permutation("permute", _shape_args(dims), input._data.ndim)
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, input._data.transpose(dims))
    return Permute.apply(input, dims)


def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions, keeping the others in order.

    >>> import glassnet
    >>> glassnet.zeros(2, 3, 4).movedim(0, -1).shape
    glassnet.Size([3, 4, 2])
    """
    n = input._data.ndim
    src = (source,) if type(source) is int else tuple(source)
    dst = (destination,) if type(destination) is int else tuple(destination)
    if len(src) != len(dst):
        raise ShapeError(
            f"movedim: source {list(src)} and destination {list(dst)} must have the same length"
        )
    src = [normalize_dim(d, n, "movedim") for d in src]
    dst = [normalize_dim(d, n, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ShapeError("movedim: repeated dim in source or destination")
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src))
    order = [placed[i] if i in placed else next(rest) for i in range(n)]
    return permute(input, order)


def t(input):
    """Transpose a tensor of at most 2 dims (0-d and 1-d come back as they are).

    >>> import glassnet
    >>> glassnet.zeros(2, 3).t().shape
    glassnet.Size([3, 2])
    """
    n = input._data.ndim
    if n > 2:
        raise ShapeError(
            f"t: expects a tensor with <= 2 dimensions, but got {n}D (shape "
            f"{tuple(input._data.shape)}); use .transpose(dim0, dim1) or .mT instead."
        )
    return input if n < 2 else transpose(input, 0, 1)


def _T(input):
    a = input._data
    if a.ndim < 2:
        return input
    if not (input.requires_grad and grad_mode._enabled):
        return _alias(input, a.T)
    return Permute.apply(input, tuple(range(a.ndim - 1, -1, -1)))


def _mT(input):
    if input._data.ndim < 2:
        raise ShapeError(
            f"mT: tensor.mT is only supported on matrices or batches of matrices, got a "
            f"{input._data.ndim}-D tensor."
        )
    return transpose(input, -2, -1)


swapaxes = swapdims = transpose
moveaxis = movedim

TENSOR_METHODS = {
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "permute": permute,
    "movedim": movedim,
    "moveaxis": movedim,
    "t": t,
    "T": property(_T),
    "mT": property(_mT),
}

__all__ = ["transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "t"]
