"""Masks and index lists: masked_fill, masked_select, nonzero, argwhere, one_hot.

A mask is a bool tensor that broadcasts against the input. ``masked_fill`` routes the gradient
of filled positions to the fill value (when it is a 0-d tensor) and of the others to the input.

>>> import glassnet
>>> x = glassnet.tensor([1.0, -2.0, 3.0])
>>> x.masked_fill(x < 0, 0.0)
tensor([1., 0., 3.])
>>> (x > 0).nonzero()
tensor([[0],
        [2]])
"""

from __future__ import annotations

from glassnet import dtypes, grad_mode
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import AutogradError, DTypeError, ShapeError
from glassnet.ops.index_gather import _scalar_value
from glassnet.tensor import Tensor


# ---- masks ---------------------------------------------------------------------------------
def _mask_array(op, mask, like):
    m = mask._data if isinstance(mask, Tensor) else get_array_module(like._data).asarray(mask)
    if m.dtype.kind != "b":
        raise DTypeError(
            f"{op}: only supports boolean masks, but got mask with dtype {m.dtype}; build it "
            "with a comparison (x > 0) or convert it with .bool()."
        )
    return m


class MaskedFill(Function):
    saves_inputs = False

    def forward(self, a, mask, value):
        xp = get_array_module(a)
        self.mask = mask
        self.value_grad = isinstance(value, xp.ndarray)  # a 0-d tensor's array, not a number
        return xp.where(mask, value, a)

    def backward(self, grad):
        xp = get_array_module(grad)
        zero = xp.zeros((), dtype=grad.dtype)
        gv = xp.where(self.mask, grad, zero).sum() if self.value_grad else None
        return xp.where(self.mask, zero, grad), None, gv


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` where ``mask`` is True (the mask broadcasts).

    >>> import glassnet
    >>> x = glassnet.tensor([1.0, -2.0, 3.0])
    >>> x.masked_fill(x < 0, 0.0)
    tensor([1., 0., 3.])
    """
    m = _mask_array("masked_fill", mask, input)
    return MaskedFill.apply(input, m, _scalar_value("masked_fill", value, input))


def masked_fill_(input, mask, value):
    """In-place ``masked_fill``."""
    if not grad_mode._enabled or not (
        input.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
    ):
        a = input._data
        m = _mask_array("masked_fill_", mask, input)
        if not getattr(a.flags, "writeable", True):  # CuPy arrays have no such flag
            raise AutogradError("masked_fill_: the tensor is read-only (an expand() view)")
        v = _scalar_value("masked_fill_", value, input)
        xp = get_array_module(a)
        try:
            xp.copyto(a, v._data if isinstance(v, Tensor) else v, where=m)
        except ValueError:
            raise ShapeError(
                f"masked_fill_: the mask of shape {tuple(m.shape)} does not broadcast to the "
                f"tensor's shape {tuple(a.shape)}."
            ) from None
        input._version[0] += 1
        return input
    return input._inplace(lambda t, v: masked_fill(t, mask, v), value)


class MaskedSelect(Function):
    saves_inputs = False

    def forward(self, a, mask):
        xp = get_array_module(a)
        self.full_shape = xp.broadcast_shapes(a.shape, mask.shape)
        self.mask = xp.broadcast_to(mask, self.full_shape)
        return xp.broadcast_to(a, self.full_shape)[self.mask]

    def backward(self, grad):
        g = get_array_module(grad).zeros(self.full_shape, dtype=grad.dtype)
        g[self.mask] = grad
        return g, None


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor.

    >>> import glassnet
    >>> x = glassnet.tensor([[1, 2], [3, 4]])
    >>> x.masked_select(x > 2)
    tensor([3, 4])
    """
    m = _mask_array("masked_select", mask, input)
    try:
        get_array_module(m).broadcast_shapes(input._data.shape, m.shape)
    except ValueError:
        raise ShapeError(
            f"masked_select: the mask of shape {tuple(m.shape)} and the input of shape "
            f"{tuple(input._data.shape)} cannot be broadcast together."
        ) from None
    return MaskedSelect.apply(input, m)


# ---- index lists ---------------------------------------------------------------------------
def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per
    dim with ``as_tuple=True``.

    >>> import glassnet
    >>> glassnet.tensor([[0, 1], [1, 0]]).nonzero()
    tensor([[0, 1],
            [1, 0]])
    """
    a = input._data
    xp = get_array_module(a)
    if a.ndim == 0:
        n = int(bool(a))
        if as_tuple:
            return (Tensor._make(xp.zeros(n, dtype=dtypes.int64)),)
        return Tensor._make(xp.zeros((n, 0), dtype=dtypes.int64))
    idx = [i.astype(dtypes.int64, copy=False) for i in xp.nonzero(a)]
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1))


def argwhere(input):
    """``nonzero(input)``: the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


def one_hot(tensor, num_classes=-1):
    """Class indices as one-hot rows: shape ``(*tensor.shape, num_classes)``, int64.

    >>> import glassnet
    >>> one_hot(glassnet.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise DTypeError(
            f"one_hot: is only applicable to an index tensor of integer type, got {a.dtype}; "
            "convert it with .long()."
        )
    xp = get_array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        low, high = int(a.min()), int(a.max())
        if low < 0:
            raise ValueError(f"one_hot: class values must be non-negative, got {low}.")
        if high >= num_classes:
            raise ValueError(
                f"one_hot: class values must be smaller than num_classes ({num_classes}), "
                f"got {high}."
            )
    out = a[..., None] == xp.arange(num_classes)
    return Tensor._make(out.astype(dtypes.int64))


TENSOR_METHODS = {
    "masked_fill": masked_fill,
    "masked_fill_": masked_fill_,
    "masked_select": masked_select,
    "nonzero": nonzero,
    "argwhere": argwhere,
}

__all__ = ["masked_fill", "masked_select", "nonzero", "argwhere", "one_hot"]
