"""Dropout as functions: zero random units while training and scale the rest by 1 / (1 - p).

The masks come from ``glassnet.random`` (seeded by ``glassnet.manual_seed``), so a seeded run
repeats exactly. In evaluation (``training=False``) every function is the identity.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> _ = glassnet.manual_seed(0)
>>> y = F.dropout(glassnet.ones(1000), p=0.2)
>>> sorted(set(y.tolist()))
[0.0, 1.25]
>>> F.dropout(glassnet.ones(3), p=0.2, training=False)
tensor([1., 1., 1.])
"""

from __future__ import annotations

from glassnet import random as grandom
from glassnet.autograd import Function
from glassnet.backend import device_of, get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


class ApplyMask(Function):
    """``x * mask`` for a constant (broadcastable) mask: the gradient is ``grad * mask``."""

    saves_inputs = False

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, grad):
        return (grad * self.mask, None)


def _check(name, input, p):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"{name}: expected a floating point input, got dtype {input._data.dtype}; "
            "convert it with .float() first."
        )


def keep_mask(shape, p, like):
    """A mask of ``shape`` in ``like``'s dtype and device: 0 with probability ``p``, otherwise
    1 / (1 - p). Shared by every dropout (attention's included)."""
    xp = get_array_module(like)
    if p >= 1.0:
        return xp.zeros(shape, dtype=like.dtype)
    draw_dtype = like.dtype if like.dtype.itemsize >= 4 else "float32"
    u = grandom.rng(device_of(like)).random(shape, dtype=draw_dtype)
    scale = like.dtype.type(1.0 / (1.0 - p))
    if u.dtype == like.dtype:  # the mask overwrites the draws: one pass, no second array
        return xp.multiply(u >= p, scale, out=u)
    return (u >= p).astype(like.dtype) * scale


def _masked(input, mask_shape, p, inplace):
    mask = keep_mask(mask_shape, p, input._data)
    if inplace:
        return input._inplace(lambda t: ApplyMask.apply(t, mask))
    return ApplyMask.apply(input, mask)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` during training, scaling the rest by 1/(1-p).

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.dropout(glassnet.ones(4), p=0.0)
    tensor([1., 1., 1., 1.])
    """
    _check("dropout", input, p)
    if not training or p == 0.0:
        return input
    return _masked(input, input._data.shape, p, inplace)


def _channel_dropout(name, input, p, training, inplace, spatial):
    _check(name, input, p)
    ndim = input._data.ndim
    if ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(
            f"{name}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, "
            f"got shape {tuple(input.shape)}."
        )
    if not training or p == 0.0:
        return input
    # One draw per channel (and sample): whole feature maps are kept or dropped together.
    lead = ndim - spatial
    mask_shape = input._data.shape[:lead] + (1,) * spatial
    return _masked(input, mask_shape, p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.dropout1d(glassnet.ones(2, 3, 4), training=False).shape
    glassnet.Size([2, 3, 4])
    """
    return _channel_dropout("dropout1d", input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p``.

    A 3-D input is read as (N, C, L), as PyTorch does, so each (sample, channel) row is dropped
    together.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> _ = glassnet.manual_seed(0)
    >>> y = F.dropout2d(glassnet.ones(1, 8, 2, 2)).numpy()
    >>> [set(channel.ravel().tolist()) <= {0.0, 2.0} for channel in y[0]] == [True] * 8
    True
    >>> [len(set(channel.ravel().tolist())) for channel in y[0]] == [1] * 8
    True
    """
    _check("dropout2d", input, p)
    if input._data.ndim == 3:  # PyTorch's reading of 3-D input: (N, C, L)
        return _channel_dropout("dropout2d", input, p, training, inplace, 1)
    if input._data.ndim != 4:
        raise ShapeError(
            f"dropout2d: expected a 4-D (N, C, H, W) input, got shape {tuple(input.shape)}."
        )
    return _channel_dropout("dropout2d", input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.dropout3d(glassnet.ones(1, 2, 2, 2, 2), training=False).shape
    glassnet.Size([1, 2, 2, 2, 2])
    """
    return _channel_dropout("dropout3d", input, p, training, inplace, 3)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value, then an
    affine map keeps the mean and variance of the input.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.alpha_dropout(glassnet.ones(3), 0.5)
    tensor([1., 1., 1.])
    """
    _check("alpha_dropout", input, p)
    if not training or p == 0.0:
        return input
    xp = get_array_module(input._data)
    dtype = input._data.dtype
    alpha_p = -1.7580993408473766  # -selu_scale * selu_alpha
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    if p == 1.0:  # every unit dropped: PyTorch gives zeros
        a = b = 0.0
    keep = grandom.rng(device_of(input._data)).random(input._data.shape) >= p
    scale = xp.where(keep, a, 0.0).astype(dtype)
    shift = xp.where(keep, b, a * alpha_p + b).astype(dtype)

    def op(t):
        return ApplyMask.apply(t, scale) + Tensor._make(shift)

    return input._inplace(op) if inplace else op(input)
