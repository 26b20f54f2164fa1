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

import warnings

from glassnet import dtypes
from glassnet import random as grandom
from glassnet.autograd import Function
from glassnet.backend import device_of, get_array_module
from glassnet.creation import rand
from glassnet.errors import DTypeError, ShapeError
from glassnet.tensor import Tensor

__all__ = [
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
]


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
    if not dtypes.is_floating(input._data.dtype):
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


def _feature_dropout(name, input, p, training, inplace, batched):
    """PyTorch's feature dropout: one draw per (sample, channel) of a batched input (dims 0
    and 1), per channel (dim 0) of an unbatched one; the draw covers the remaining dims."""
    if not training or p == 0.0 or input.numel() == 0:
        return input
    shape = tuple(input.shape)
    lead = 2 if batched else 1
    if len(shape) < lead or (batched and len(shape) < 2):
        raise ShapeError(
            f"{name}: channel-wise dropout needs an input with a channel dim (N, C, ...) while "
            f"training, got shape {shape}; use F.dropout to drop single elements."
        )
    return _masked(input, shape[:lead] + (1,) * (len(shape) - lead), p, inplace)


def _warn_rank(name, ndim, spatial):
    warnings.warn(
        f"{name}: received a {ndim}-D input, which PyTorch deprecates ({name} exists for "
        f"inputs with {spatial} spatial dims, a channel dim and an optional batch dim, i.e. "
        f"{spatial + 1}-D or {spatial + 2}-D inputs); use dropout to drop single elements.",
        stacklevel=3,
    )


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.dropout1d(glassnet.ones(2, 3, 4), training=False).shape
    glassnet.Size([2, 3, 4])
    """
    _check("dropout1d", input, p)
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got a {input.ndim}-D "
            f"input of shape {tuple(input.shape)}."
        )
    return _feature_dropout("dropout1d", input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p``.

    As in PyTorch, other ranks warn and are read as (N, C, ...): a 3-D input as (N, C, L), so
    each (sample, channel) row is dropped together (PyTorch plans to read it as (C, H, W) one
    day; use dropout1d to keep today's meaning without the warning), a 2-D input as (N, C),
    element by element.

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
    ndim = input.ndim
    if ndim not in (3, 4):
        _warn_rank("dropout2d", ndim, 2)
    if ndim == 3:
        warnings.warn(
            "dropout2d: received a 3-D input; as PyTorch does today, it is read as (N, C, L) "
            "and each channel of each sample is dropped together (PyTorch will read it as an "
            "unbatched (C, H, W) in a future release). Use dropout1d for this behaviour "
            "without the warning.",
            stacklevel=2,
        )
    return _feature_dropout("dropout2d", input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``.

    Other ranks warn, as in PyTorch; all but 5-D ones are then read as unbatched (C, ...).

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.dropout3d(glassnet.ones(1, 2, 2, 2, 2), training=False).shape
    glassnet.Size([1, 2, 2, 2, 2])
    """
    _check("dropout3d", input, p)
    ndim = input.ndim
    if ndim not in (4, 5):
        _warn_rank("dropout3d", ndim, 3)
    return _feature_dropout("dropout3d", input, p, training, inplace, ndim == 5)


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


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels: one draw per (sample, channel) of an (N, C, ...) input,
    the dropped channels set to SELU's negative saturation value before the same affine map.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> _ = glassnet.manual_seed(0)
    >>> y = F.feature_alpha_dropout(glassnet.ones(2, 6, 3), 0.5, training=True)
    >>> all(len(set(row)) == 1 for sample in y.tolist() for row in sample)
    True
    """
    _check("feature_alpha_dropout", input, p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ShapeError(
            "feature_alpha_dropout: needs an input with a channel dim (N, C, ...) while "
            f"training, got shape {shape}; use alpha_dropout to drop single elements."
        )
    mask_shape = shape[:2] + (1,) * (len(shape) - 2)
    if p == 1.0:  # every channel dropped: PyTorch gives zeros
        scale = shift = 0.0
    else:
        saturation = 1.7580993408473766  # selu_scale * selu_alpha
        a = ((1 - p) * (1 + p * saturation**2)) ** -0.5
        keep = rand(*mask_shape, device=input.device) >= p
        # kept: a * x + a * saturation * p; dropped: a * saturation * (p - 1), as PyTorch
        scale = keep.to(input.dtype) * a
        shift = keep.to(input.dtype) * (a * saturation) + a * saturation * (p - 1)

    def op(t):
        return t * scale + shift

    return input._inplace(op) if inplace else op(input)
