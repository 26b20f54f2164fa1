"""Normalisation as functions: batch_norm, layer_norm, group_norm, rms_norm.

Each checks its arguments (naming the function, the shapes it got and what it expected) and
runs one fused op from ``glassnet.ops.normalization``.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.tensor([[1.0, 3.0], [3.0, 5.0]])
>>> F.batch_norm(x, None, None, training=True).round(decimals=3)
tensor([[-1., -1.],
        [ 1.,  1.]])
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import DTypeError, ShapeError
from glassnet.ops import normalization as ops
from glassnet.ops.low_precision import bfloat16_in_float32, in_float32, is_bf16
from glassnet.tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]


def _data(t):
    return None if t is None else t._data


def _check_float(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise DTypeError(
            f"{name}: expected a floating point input, got dtype {input._data.dtype}; "
            "convert it with .float() first."
        )


def _check_channels(name, what, t, channels, input):
    if t is not None and t._data.shape != (channels,):
        raise ShapeError(
            f"{name}: {what} has shape {tuple(t._data.shape)} but the input of shape "
            f"{tuple(input.shape)} has {channels} channels (dim 1); expected {what} of shape "
            f"({channels},). Check that the layer's num_features matches the channels of the "
            "data reaching it."
        )


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalise each channel (dim 1) of an (N, C, ...) input over the batch and spatial dims.

    With ``training`` the batch statistics are used and ``running_mean``/``running_var`` (when
    given) are updated in place by ``momentum``; otherwise the running statistics are used.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> mean, var = glassnet.zeros(1), glassnet.ones(1)
    >>> _ = F.batch_norm(glassnet.tensor([[1.0], [3.0]]), mean, var, training=True)
    >>> mean, var
    (tensor([0.2000]), tensor([1.1000]))
    """
    if is_bf16(input, weight, bias, running_mean, running_var):
        return _batch_norm_bf16(
            input, running_mean, running_var, weight, bias, training, momentum, eps
        )
    _check_float("batch_norm", input)
    if input._data.ndim < 2:
        raise ShapeError(
            f"batch_norm: expected an input of shape (N, C) or (N, C, ...), got shape "
            f"{tuple(input.shape)}; add a batch dimension with .unsqueeze(0)."
        )
    channels = input._data.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_channels("batch_norm", what, t, channels, input)
    if eps < 0 or (training and eps == 0):
        raise ValueError(f"batch_norm: eps must be positive, but got {eps}")
    if training:
        if input._data.size // max(channels, 1) <= 1:
            raise ValueError(
                "batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(input.shape)}; use a batch of 2 or more, or call .eval()."
            )
    elif running_mean is None or running_var is None:
        raise ValueError(
            "batch_norm: running_mean and running_var must be given when training=False."
        )
    out = ops.BatchNorm.apply(
        input,
        weight,
        bias,
        _data(running_mean),
        _data(running_var),
        bool(training),
        momentum,
        eps,
        needs=ops.needs_grad(input, weight, bias),
    )
    if training and running_mean is not None:
        running_mean._version[0] += 1
        running_var._version[0] += 1
    return out


def _batch_norm_bf16(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """batch_norm on bfloat16 tensors: computed in float32 and rounded once (PyTorch's CPU);
    bfloat16 running statistics are updated in float32 and stored back rounded."""
    stats = [None if t is None or not is_bf16(t) else t for t in (running_mean, running_var)]
    wide = [
        t if s is None else Tensor._make(t._data.astype(np.float32))
        for t, s in zip((running_mean, running_var), stats)
    ]
    out = in_float32(batch_norm, input, wide[0], wide[1], weight, bias, training, momentum, eps)
    for kept, grown in zip(stats, wide):
        if kept is not None and training:
            kept._data[...] = grown._data.astype(kept._data.dtype)
    return out


def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(name, input, shape, weight, bias=None):
    k = len(shape)
    if tuple(input._data.shape[input._data.ndim - k :]) != shape or input._data.ndim < k:
        raise ShapeError(
            f"{name}: normalized_shape is {list(shape)}, so the input's last {k} dim(s) must "
            f"be {shape}, but the input has shape {tuple(input.shape)}. Set normalized_shape "
            "to the trailing feature dims of your data."
        )
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != shape:
            raise ShapeError(
                f"{name}: {what} has shape {tuple(t._data.shape)}, expected normalized_shape "
                f"{shape}."
            )


@bfloat16_in_float32
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.layer_norm(glassnet.tensor([[0.0, 2.0]]), (2,)).round(decimals=3)
    tensor([[-1.,  1.]])
    """
    _check_float("layer_norm", input)
    shape = _normalized_shape(normalized_shape)
    _check_trailing("layer_norm", input, shape, weight, bias)
    return ops.LayerNorm.apply(
        input, weight, bias, len(shape), eps, needs=ops.needs_grad(input, weight, bias)
    )


@bfloat16_in_float32
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into ``num_groups`` groups and normalise each group per sample.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.group_norm(glassnet.tensor([[0.0, 2.0, 5.0, 7.0]]), 2).round(decimals=3)
    tensor([[-1.,  1., -1.,  1.]])
    """
    _check_float("group_norm", input)
    if input._data.ndim < 2:
        raise ShapeError(
            f"group_norm: expected an input of shape (N, C, ...), got shape {tuple(input.shape)}."
        )
    channels = input._data.shape[1]
    if channels % num_groups:
        raise ShapeError(
            f"group_norm: the input has {channels} channels (shape {tuple(input.shape)}), which "
            f"cannot be split into {num_groups} groups; num_channels must be divisible by "
            "num_groups."
        )
    _check_channels("group_norm", "weight", weight, channels, input)
    _check_channels("group_norm", "bias", bias, channels, input)
    return ops.GroupNorm.apply(
        input, weight, bias, int(num_groups), eps, needs=ops.needs_grad(input, weight, bias)
    )


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Divide by the root mean square over the last dims (``eps`` defaults to the dtype's
    machine epsilon, as PyTorch), then scale by ``weight``.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> F.rms_norm(glassnet.tensor([[3.0, 4.0]]), (2,), eps=0.0)
    tensor([[0.8485, 1.1314]])
    """
    if is_bf16(input, weight):  # float32 inside; eps stays bfloat16's own, as PyTorch's
        if eps is None:
            eps = float(np.finfo(input._data.dtype).eps)  # ml_dtypes registers bfloat16's
        return in_float32(rms_norm, input, normalized_shape, weight, eps)
    _check_float("rms_norm", input)
    shape = _normalized_shape(normalized_shape)
    _check_trailing("rms_norm", input, shape, weight)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    return ops.RMSNorm.apply(input, weight, len(shape), eps, needs=ops.needs_grad(input, weight))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each channel (dim 1) by ``(k + alpha * mean of x^2 over size neighbouring
    channels) ** beta`` (AlexNet's normalisation). The window of channel c runs from
    ``c - size // 2`` to ``c + (size - 1) // 2``; channels beyond the edges count as zeros.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> x = glassnet.tensor([[[1.0], [2.0]]])
    >>> F.local_response_norm(x, 2, alpha=1.0, beta=1.0, k=0.0)
    tensor([[[2.0000],
             [0.8000]]])
    """
    _check_float("local_response_norm", input)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
        from glassnet.nn._arguments import InvalidArgumentError

        raise InvalidArgumentError(
            f"local_response_norm: size must be a positive int, got {size!r}"
        )
    if input.ndim < 3:
        raise ShapeError(
            f"local_response_norm: expected an input of 3 or more dims (N, C, ...), got shape "
            f"{tuple(input.shape)}."
        )
    if input.numel() == 0:
        return input
    from glassnet.ops.shape_join import cat

    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    square = (input * input).reshape(n, c, -1)
    rest = square.shape[2]
    front, back = size // 2, (size - 1) // 2
    parts = [square]
    if front:
        parts.insert(0, square.new_zeros((n, front, rest)))
    if back:
        parts.append(square.new_zeros((n, back, rest)))
    padded = cat(parts, dim=1) if len(parts) > 1 else square
    window = padded[:, 0:c]
    for i in range(1, size):
        window = window + padded[:, i : i + c]
    div = (window * (alpha / size) + k) ** beta
    return input / div.reshape(shape)
