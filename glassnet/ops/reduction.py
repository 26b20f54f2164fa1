"""Reductions over dims: sum, mean, prod, var, std, all, any (max, min and the arg- forms are in
extremes.py, with their own gradient rule).

Every reduction takes ``dim`` (an int, or a tuple where PyTorch allows one; None means all dims)
and ``keepdim``. The backward of a reduction broadcasts the output's gradient back over the
reduced dims, so it first puts those dims back as size 1 (``_unsqueeze``).

>>> import glassnet
>>> x = glassnet.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x.sum(dim=1)
tensor([3., 7.], grad_fn=<SumBackward...>)
>>> x.mean().backward()
>>> x.grad
tensor([[0.2500, 0.2500],
        [0.2500, 0.2500]])
"""

from __future__ import annotations

import builtins
import math

import numpy as _np

from glassnet import dtypes
from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError
from glassnet.ops._util import normalize_dim, normalize_dims
from glassnet.ops.low_precision import in_float32, is_bf16
from glassnet.ops.operands import _quiet
from glassnet.tensor import Tensor

_ndarray = _np.ndarray  # NumPy-only fast paths check for it; the math uses xp
_add_reduce = _np.add.reduce


def _axes(input, dim, op):
    """A tuple of axes (None for all), accepting an int, a tuple/list, or None."""
    ndim = input._data.ndim
    if dim is None:
        return None
    if ndim == 0:  # PyTorch lets dim 0 / -1 name the one "dim" of a scalar
        for d in (dim,) if isinstance(dim, int) else dim:
            normalize_dim(d, 0, op)
        return ()
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    return normalize_dims(dim, ndim, op)


def _unsqueeze(g, axes, keepdims, ndim):
    """The gradient with the reduced dims back as size 1, ready to broadcast to the input."""
    if keepdims:
        return g
    if axes is None:
        return g.reshape((1,) * ndim)
    return get_array_module(g).expand_dims(g, axes) if axes else g


def _count(shape, axes):
    n = 1
    for i in range(len(shape)) if axes is None else axes:
        n *= shape[i]
    return n


def _expand(g, shape):
    """``g`` broadcast to ``shape``: small results are written out (cheaper to make than a
    numpy.broadcast_to view, and writeable), large ones stay a view (no memory)."""
    xp = get_array_module(g)
    if math.prod(shape) > 65536:
        return xp.broadcast_to(g, shape)
    out = xp.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


class Sum(Function):
    saves_inputs = False
    supports_complex = True  # linear

    def forward(self, a, axes, keepdims, dtype=None):
        self.in_shape, self.axes, self.keepdims = a.shape, axes, keepdims
        return a.sum(axis=axes, keepdims=keepdims, dtype=dtype)

    def backward(self, grad):
        if self.axes is not None:
            grad = _unsqueeze(grad, self.axes, self.keepdims, len(self.in_shape))
        return _expand(grad, self.in_shape), None, None


class Mean(Function):
    saves_inputs = False
    supports_complex = True

    def forward(self, a, axes, keepdims):
        self.in_shape, self.axes, self.keepdims = a.shape, axes, keepdims
        self.n = n = _count(a.shape, axes)
        if not n:
            return a.mean(axis=axes, keepdims=keepdims)
        # sum / n is the same float math as numpy's mean, without its Python-level overhead
        # (and numpy.add.reduce is what ndarray.sum runs, without its wrapper).
        if axes is None and not keepdims and a.__class__ is _ndarray:
            return _add_reduce(a, None) / n
        return a.sum(axis=axes, keepdims=keepdims) / n

    def backward(self, grad):
        if self.axes is not None:
            grad = _unsqueeze(grad, self.axes, self.keepdims, len(self.in_shape))
        n = self.n
        return _expand(grad / n if n else grad, self.in_shape), None, None


class Prod(Function):
    def forward(self, a, axis, keepdims):
        self.a, self.axis, self.keepdims = a, axis, keepdims
        return a.prod(axis=axis, keepdims=keepdims)

    def backward(self, grad):
        # d prod / d x_i = product of all the others: exclusive products from the left and from
        # the right, which stay exact when some x are 0 (out / x would divide by zero).
        xp = get_array_module(grad)
        a, axis = self.a, self.axis
        x = a.reshape(-1) if axis is None else xp.moveaxis(a, axis, -1)
        one = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([one, x[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([x[..., 1:], one], -1), -1), -1), -1)
        others = left * right
        others = others.reshape(a.shape) if axis is None else xp.moveaxis(others, -1, axis)
        g = _unsqueeze(grad, None if axis is None else (axis,), self.keepdims, a.ndim)
        return g * others, None, None


class Var(Function):
    """Variance (or, with ``root``, standard deviation) with Bessel's ``correction``."""

    saves_output = True

    def forward(self, a, axes, correction, keepdims, root):
        xp = get_array_module(a)
        n = _count(a.shape, axes)
        d = a - a.sum(axis=axes, keepdims=True) / builtins.max(n, 1)
        denom = builtins.max(n - correction, 0)
        with _quiet(xp):
            out = (d * d).sum(axis=axes, keepdims=True) / denom
            if root:
                out = xp.sqrt(out)
        self.d, self.denom, self.out, self.root = d, denom, out, root
        self.axes, self.keepdims = axes, keepdims
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, grad):
        xp = get_array_module(grad)
        g = _unsqueeze(grad, self.axes, self.keepdims, self.d.ndim)
        if not self.root:
            return g * self.d * (2.0 / self.denom if self.denom else float("inf")), None
        # d std = (x - mean) / (std * (N - correction)); PyTorch makes it 0 where std is 0.
        with _quiet(xp):
            scale = xp.where(self.out == 0, 0, g / (self.out * self.denom))
        return scale * self.d, None


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


# ---- the public functions ------------------------------------------------------------------
def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    """Sum over ``dim`` (all dims by default); integer and bool tensors sum to int64.

    >>> import glassnet
    >>> glassnet.tensor([[1, 2], [3, 4]]).sum(0)
    tensor([4, 6])
    """
    kind = input._data.dtype.kind
    if dim is None and dtype is None and kind == "f":  # the hot path: loss.sum()
        return Sum.apply(input, None, keepdim)
    if dtype is None and is_bf16(input):  # added up in float32, rounded once (PyTorch's CPU)
        return in_float32(sum, input, dim, keepdim)
    if dtype is not None:
        input = _cast(input, dtype)
    elif kind not in "fc":
        return Sum.apply(input, _axes(input, dim, "sum"), keepdim, dtypes.int64)
    return Sum.apply(input, _axes(input, dim, "sum"), keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all dims by default); needs a floating tensor or ``dtype=``.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(dim=1, keepdim=True)
    tensor([[1.5000],
            [4.0000]])
    """
    if dtype is None and dim is None and input._data.dtype.kind == "f":  # the hot path: loss
        return Mean.apply(input, None, keepdim)
    if dtype is not None:
        input = _cast(input, dtype)
    elif is_bf16(input):
        return in_float32(mean, input, dim, keepdim)
    elif input._data.dtype.kind not in "fc":
        raise DTypeError(
            f"mean(): could not infer output dtype. Input dtype must be a floating point dtype, "
            f"got {input.dtype}. Convert first with .float(), or pass dtype=glassnet.float32."
        )
    return Mean.apply(input, _axes(input, dim, "mean"), keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (or of all elements); exact gradients even with zeros.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
    tensor([ 2., 12.])
    """
    if dtype is not None:
        input = _cast(input, dtype)
    elif input._data.dtype.kind != "f" and not is_bf16(input):
        # (bfloat16 stays: PyTorch's CPU rounds each product to bfloat16, as ml_dtypes does)
        input = _cast(input, dtypes.int64)
    if dim is None:
        return Prod.apply(input, None, False)
    axis = normalize_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        return Prod.apply(input, None, False)
    return Prod.apply(input, axis, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``; ``correction=1`` (the default) divides by N - 1.

    >>> import glassnet
    >>> glassnet.tensor([1.0, 2.0, 3.0, 4.0]).var()
    tensor(1.6667)
    >>> glassnet.tensor([1.0, 2.0, 3.0, 4.0]).var(correction=0)
    tensor(1.2500)
    """
    return _var(input, dim, unbiased, keepdim, correction, root=False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``; ``correction=1`` (the default) divides by N - 1.

    >>> import glassnet
    >>> glassnet.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1, unbiased=False)
    tensor([1., 0.])
    """
    return _var(input, dim, unbiased, keepdim, correction, root=True)


def _var(input, dim, unbiased, keepdim, correction, root):
    name = "std" if root else "var"
    if isinstance(dim, bool):  # the old var(input, unbiased) overload
        dim, unbiased = None, dim
    if is_bf16(input):  # float32 accumulation, one rounding (PyTorch's CPU)
        return in_float32(_var, input, dim, unbiased, keepdim, correction, root)
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"{name}: only floating point tensors are supported, got {input.dtype}; "
            "convert with .float() first."
        )
    if correction is None:
        correction = 0 if unbiased is False else 1
    return Var.apply(input, _axes(input, dim, name), correction, keepdim, root)


def all(input, dim=None, keepdim=False):  # noqa: A001
    """True where every element over ``dim`` is nonzero.

    >>> import glassnet
    >>> glassnet.tensor([[True, False], [True, True]]).all(dim=1)
    tensor([False,  True])
    """
    a = input._data
    return Tensor._make(
        get_array_module(a).asarray(a.all(axis=_axes(input, dim, "all"), keepdims=keepdim))
    )


def any(input, dim=None, keepdim=False):  # noqa: A001
    """True where some element over ``dim`` is nonzero.

    >>> import glassnet
    >>> glassnet.tensor([0.0, 0.0, 1.0]).any()
    tensor(True)
    """
    a = input._data
    return Tensor._make(
        get_array_module(a).asarray(a.any(axis=_axes(input, dim, "any"), keepdims=keepdim))
    )


def _cast(t, dtype):
    from glassnet.ops.conversion import to_dtype

    return to_dtype(t, dtype)


# Reductions with more to them live next door; they are part of this module's API.
from glassnet.ops.norm import logsumexp, norm  # noqa: E402, F401
from glassnet.ops.scan import cumprod, cumsum  # noqa: E402, F401

TENSOR_METHODS = {
    name: globals()[name]
    for name in ("sum mean prod var std all any logsumexp norm cumsum cumprod").split()
}

__all__ = list(TENSOR_METHODS)
