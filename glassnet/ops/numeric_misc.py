"""Small numeric helpers of torch.*: frexp, renorm, gradient (numerical derivatives), logspace,
nuclear_norm, frobenius_norm, and the questions about dtypes and tensors: result_type,
promote_types, can_cast, is_tensor, is_floating_point, is_nonzero, is_same_size, is_signed,
numel, clone, detach.

>>> import glassnet
>>> glassnet.gradient(glassnet.tensor([1.0, 4.0, 9.0, 16.0]))
(tensor([3., 4., 6., 7.]),)
>>> glassnet.promote_types(glassnet.int64, glassnet.float32)
dtype('float32')
"""

from __future__ import annotations

from collections import namedtuple

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import normalize_dim, result_dtype
from glassnet.tensor import Tensor

frexp_result = namedtuple("frexp", ["mantissa", "exponent"])


class Mantissa(Function):
    def forward(self, a):
        mantissa, exponent = get_array_module(a).frexp(a)
        self.exponent = exponent
        return mantissa

    def backward(self, grad):
        return (grad / get_array_module(grad).exp2(self.exponent).astype(grad.dtype),)


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1).

    >>> import glassnet
    >>> glassnet.frexp(glassnet.tensor([8.0, 0.75]))
    frexp(mantissa=tensor([0.5000, 0.7500]), exponent=tensor([4, 0], dtype=glassnet.int32))
    """
    if input._data.dtype.kind != "f":
        raise TypeError(f"frexp: only floating point tensors are supported, got {input.dtype}")
    xp = get_array_module(input._data)
    _, exponent = xp.frexp(input._data)
    return frexp_result(Mantissa.apply(input), Tensor._make(exponent.astype(dtypes.int32)))


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it.

    >>> import glassnet
    >>> glassnet.tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    from glassnet.ops.linalg_norms import vector_norm
    from glassnet.ops.selection import where

    d = normalize_dim(dim, input._data.ndim, "renorm")
    others = tuple(i for i in range(input._data.ndim) if i != d)
    norm = vector_norm(input, p, others, keepdim=True)
    # PyTorch's factor, with its 1e-7 guard against dividing by a zero norm
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Numerical derivatives along each of ``dim`` (all dims by default): central differences
    inside, one-sided ones of ``edge_order`` (1 or 2) at the ends; ``spacing`` is a number, one
    number per dim, or one tensor of coordinates per dim (not evenly spaced: NumPy's
    second-order formula).

    >>> import glassnet
    >>> x = glassnet.tensor([0.0, 1.0, 3.0])
    >>> glassnet.gradient(glassnet.tensor([1.0, 4.0, 9.0]), spacing=(x,))
    (tensor([3.0000, 2.8333, 2.5000]),)
    """
    if edge_order not in (1, 2):
        raise ValueError(
            f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}"
        )
    ndim = input._data.ndim
    dims = list(range(ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    dims = [normalize_dim(d, ndim, "gradient") for d in dims]
    if not isinstance(spacing, (list, tuple)):
        spacing = [spacing] * len(dims)
    if len(spacing) != len(dims):
        raise ValueError(
            f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"{len(dims)} (one per dim), got {len(spacing)}"
        )
    if input._data.dtype.kind != "f":
        input = input.to(dtypes.get_default_dtype())
    return tuple(_derivative(input, d, h, edge_order) for d, h in zip(dims, spacing))


def _derivative(f, axis, h, edge_order):
    from glassnet.ops.shape_join import cat

    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(
            f"torch.gradient expected each dimension size to be at least edge_order+1, got "
            f"size {n} along dim {axis}"
        )

    def part(start, length):
        return f.narrow(axis, start, length)

    def along(t):  # a 1-D tensor of coordinates, shaped to broadcast along ``axis``
        shape = [1] * f._data.ndim
        shape[axis] = -1
        return t.to(f._data.dtype).reshape(shape)

    if isinstance(h, Tensor):  # coordinates
        x = h.reshape(-1)
        dx = x[1:] - x[:-1]
        a, b = along(dx[:-1]), along(dx[1:])  # the spacing before and after each inner point
        inner = (
            a * a * part(2, n - 2) + (b * b - a * a) * part(1, n - 2) - b * b * part(0, n - 2)
        ) / (a * b * (a + b))
        if edge_order == 1:
            first = (part(1, 1) - part(0, 1)) / along(dx[:1])
            last = (part(n - 1, 1) - part(n - 2, 1)) / along(dx[-1:])
        else:
            d1, d2 = along(dx[:1]), along(dx[1:2])
            first = (
                -(2 * d1 + d2) / (d1 * (d1 + d2)) * part(0, 1)
                + (d1 + d2) / (d1 * d2) * part(1, 1)
                - d1 / (d2 * (d1 + d2)) * part(2, 1)
            )
            d1, d2 = along(dx[-2:-1]), along(dx[-1:])
            last = (
                d2 / (d1 * (d1 + d2)) * part(n - 3, 1)
                - (d2 + d1) / (d1 * d2) * part(n - 2, 1)
                + (2 * d2 + d1) / (d2 * (d1 + d2)) * part(n - 1, 1)
            )
        return cat([first, inner, last], axis)
    h = float(h)
    inner = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / h
        last = (part(n - 1, 1) - part(n - 2, 1)) / h
    else:
        first = (-1.5 * part(0, 1) + 2 * part(1, 1) - 0.5 * part(2, 1)) / h
        last = (0.5 * part(n - 3, 1) - 2 * part(n - 2, 1) + 1.5 * part(n - 1, 1)) / h
    return cat([first, inner, last], axis)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values from base**start to base**end, evenly spaced in the exponent.

    >>> import glassnet
    >>> glassnet.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    from glassnet.creation import tensor

    host = get_array_module()
    values = host.power(float(base), host.linspace(float(start), float(end), int(steps)))
    out = tensor(values, dtype=dtype or dtypes.get_default_dtype(), device=device)
    return out.requires_grad_(True) if requires_grad else out


def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of the singular values (of the matrices in ``dim``, the last two by default)."""
    from glassnet.ops.linalg_norms import matrix_norm

    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input, dim=(-2, -1), keepdim=False):
    """sqrt of the sum of squares over ``dim``."""
    from glassnet.ops.linalg_norms import vector_norm

    return vector_norm(input, 2, dim, keepdim)


def result_type(tensor, other):
    """The dtype PyTorch gives to an op between the two (tensors or numbers).

    >>> import glassnet
    >>> glassnet.result_type(glassnet.tensor([1, 2]), 1.5)
    dtype('float32')
    """
    if not isinstance(tensor, Tensor):
        if not isinstance(other, Tensor):
            return dtypes.scalar_result(dtypes.infer_dtype(tensor), other)
        tensor, other = other, tensor
    return result_dtype(tensor, other)


def promote_types(type1, type2):
    """The smallest dtype both convert to without losing their category (PyTorch's rule)."""
    return dtypes.promote(dtypes.as_dtype(type1), dtypes.as_dtype(type2))


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (no lower category: float to
    int, or anything non-bool to bool, is refused).

    >>> import glassnet
    >>> glassnet.can_cast(glassnet.float64, glassnet.int32)
    False
    >>> glassnet.can_cast(glassnet.int32, glassnet.float16)
    True
    """
    a, b = dtypes.as_dtype(from_), dtypes.as_dtype(to)
    return dtypes._category(a) <= dtypes._category(b)


def is_tensor(obj):
    """True for a glassnet Tensor."""
    return isinstance(obj, Tensor)


def is_distributed(input):
    """False: glassnet has no sharded tensors (each process holds whole tensors, see
    glassnet.distributed)."""
    return False


def is_floating_point(input):
    """True for a tensor of a floating dtype."""
    return input._data.dtype.kind == "f"


def is_signed(input):
    """True unless the dtype is unsigned (uint8) or bool."""
    return input._data.dtype.kind not in "ub"


def is_nonzero(input):
    """The truth of a one-element tensor.

    >>> import glassnet
    >>> glassnet.is_nonzero(glassnet.tensor([0.5]))
    True
    """
    if input._data.size != 1:
        raise RuntimeError(
            "Boolean value of Tensor with more than one value is ambiguous"
            if input._data.size
            else "Boolean value of Tensor with no values is ambiguous"
        )
    return bool(input._data.reshape(-1)[0])


def is_same_size(input, other):
    """True when both have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def numel(input):
    """The number of elements."""
    return int(input._data.size)


def clone(input, *, memory_format=None):
    """A copy that stays in the graph (``Tensor.clone``)."""
    return input.clone()


def detach(input):
    """The same values outside the graph (``Tensor.detach``)."""
    return input.detach()


__all__ = [
    "frexp",
    "renorm",
    "gradient",
    "logspace",
    "nuclear_norm",
    "frobenius_norm",
    "result_type",
    "promote_types",
    "can_cast",
    "is_tensor",
    "is_distributed",
    "is_floating_point",
    "is_signed",
    "is_nonzero",
    "is_same_size",
    "numel",
    "clone",
    "detach",
]
TENSOR_METHODS = {
    name: globals()[name]
    for name in ("frexp", "renorm", "is_signed", "is_nonzero", "is_same_size", "is_distributed")
}
