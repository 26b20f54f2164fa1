"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm.

Parameters and buffers carry PyTorch's names (``weight``, ``bias``, ``running_mean``,
``running_var``, ``num_batches_tracked``), so a ``state_dict`` moves between the two libraries.

>>> import glassnet
>>> from glassnet import nn
>>> bn = nn.BatchNorm1d(3)
>>> sorted(bn.state_dict())
['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
>>> bn(glassnet.randn(4, 3)).shape
glassnet.Size([4, 3])
"""

from __future__ import annotations

import glassnet
from glassnet import autograd, backend, grad_mode
from glassnet.amp import autocast_mode as _autocast
from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn.functional import normalization as F
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops.normalization import layer_norm_array
from glassnet.tensor import Tensor
from glassnet.tensor import wrap as _wrap

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "LocalResponseNorm",
]


def _dtype(dtype):
    return dtype if dtype is not None else glassnet.get_default_dtype()


class _AffineNorm(Module):
    """What the norm layers share: a learned per-element scale ``weight`` (ones) and shift
    ``bias`` (zeros), either of which may be switched off (registered as None, as in PyTorch)."""

    def _affine_parameters(self, shape, affine, bias, device, dtype):
        """Register ``weight`` and ``bias`` in PyTorch's order; ``bias=None``: no bias at all."""
        kw = dict(dtype=_dtype(dtype), device=device)
        if affine:
            self.weight = Parameter(glassnet.ones(shape, **kw))
        else:
            self.register_parameter("weight", None)
        if bias is not None:
            if affine and bias:
                self.bias = Parameter(glassnet.zeros(shape, **kw))
            else:
                self.register_parameter("bias", None)

    def reset_parameters(self):
        """The weight back to ones and the bias back to zeros."""
        weight, bias = self._parameters["weight"], self._parameters.get("bias")
        if weight is not None:
            weight._data[...] = 1
        if bias is not None:
            bias._data[...] = 0


class _TrackedNorm(_AffineNorm):
    """An affine norm that can keep running statistics of its inputs: the batch and instance
    norms."""

    def _running_stats_buffers(self, track_running_stats, device, dtype):
        """Register ``running_mean`` (zeros), ``running_var`` (ones) and
        ``num_batches_tracked``, or all three as None when no statistics are tracked, as the
        batch and instance norms of PyTorch do."""
        kw = dict(dtype=_dtype(dtype), device=device)
        if track_running_stats:
            self.register_buffer("running_mean", glassnet.zeros(self.num_features, **kw))
            self.register_buffer("running_var", glassnet.ones(self.num_features, **kw))
            self.register_buffer(
                "num_batches_tracked", glassnet.tensor(0, dtype=glassnet.int64, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        """Forget the running statistics (mean 0, variance 1, no batches seen)."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0


class _BatchNorm(_TrackedNorm):
    """What BatchNorm1d/2d/3d share; they differ only in the input dims they accept."""

    _dims: tuple = ()
    _layout = ""

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = arg.check_size(name, "num_features", num_features)
        self.eps = arg.check_at_least(name, "eps", eps, 0, error=ValueError)
        if momentum is not None:  # None: a cumulative average; else a weight in [0, 1]
            arg.check_probability(name, "momentum", momentum)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._affine_parameters(self.num_features, affine, bias, device, dtype)
        self._running_stats_buffers(track_running_stats, device, dtype)

    def reset_parameters(self):
        """Forget the running statistics; the weight back to ones, the bias to zeros."""
        self.reset_running_stats()
        super().reset_parameters()

    def forward(self, input):
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._version[0] += 1
            if self.momentum is None:  # a cumulative moving average over all batches seen
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def _check_input(self, input):
        shape = tuple(input.shape)
        if len(shape) not in self._dims:
            dims = " or ".join(f"{d}-D" for d in self._dims)
            raise ShapeError(
                f"{type(self).__name__} expects a {dims} input {self._layout}, got a "
                f"{len(shape)}-D input of shape {shape}."
            )
        if shape[1] != self.num_features:
            raise ShapeError(
                f"expected input with {self.num_features} channels (dim 1) but got shape "
                f"{shape} with {shape[1]} channels. Set num_features to {shape[1]} or check the "
                "layer before this one."
            )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) features or (N, C, L) sequences, per channel C.

    >>> import glassnet
    >>> glassnet.nn.BatchNorm1d(4)(glassnet.randn(8, 4, 10)).shape
    glassnet.Size([8, 4, 10])
    """

    _dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) images, per channel C: the usual layer after a Conv2d.

    >>> import glassnet
    >>> glassnet.nn.BatchNorm2d(3)(glassnet.randn(2, 3, 4, 4)).shape
    glassnet.Size([2, 3, 4, 4])
    """

    _dims = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm of (N, C, D, H, W) volumes, per channel C.

    >>> import glassnet
    >>> glassnet.nn.BatchNorm3d(2)(glassnet.randn(2, 2, 3, 3, 3)).shape
    glassnet.Size([2, 2, 3, 3, 3])
    """

    _dims = (5,)
    _layout = "(N, C, D, H, W)"


def _as_shape(layer, normalized_shape):
    return arg.check_shape(layer, "normalized_shape", normalized_shape)


class LayerNorm(_AffineNorm):
    """Normalise each sample over its last dims (``normalized_shape``): the transformer's norm.

    >>> import glassnet
    >>> ln = glassnet.nn.LayerNorm(4)
    >>> y = ln(glassnet.randn(2, 4))
    >>> [round(v, 4) + 0.0 for v in y.mean(-1).tolist()]
    [0.0, 0.0]
    """

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _as_shape("LayerNorm", normalized_shape)
        self.eps = arg.check_at_least("LayerNorm", "eps", eps, 0, error=ValueError)
        self.elementwise_affine = elementwise_affine
        self._affine_parameters(self.normalized_shape, elementwise_affine, bias, device, dtype)

    def forward(self, input):
        params = self._parameters
        weight, bias = params["weight"], params["bias"]
        shape = self.normalized_shape
        if (
            input.__class__ is Tensor
            and backend._cupy is None
            and autograd._tracer is None  # ONNX export and compile see F.layer_norm's op
            and not _autocast._saved  # autocast wraps F.layer_norm
            and input._data.dtype.kind == "f"
            and input._data.shape[input._data.ndim - len(shape) :] == shape
            and not (
                grad_mode._enabled
                and (
                    input.requires_grad
                    or (weight is not None and weight.requires_grad)
                    or (bias is not None and bias.requires_grad)
                )
            )
        ):
            # Nothing to record (inference): the arithmetic without the checks and the node.
            return _wrap(
                layer_norm_array(
                    input._data,
                    None if weight is None else weight._data,
                    None if bias is None else bias._data,
                    len(shape),
                    self.eps,
                )
            )
        return F.layer_norm(input, shape, weight, bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
            f", bias={self.bias is not None}"
        )


class GroupNorm(_AffineNorm):
    """Normalise groups of channels per sample: batch-size independent, good for small batches.

    >>> import glassnet
    >>> glassnet.nn.GroupNorm(2, 4)(glassnet.randn(1, 4, 3, 3)).shape
    glassnet.Size([1, 4, 3, 3])
    """

    def __init__(
        self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True
    ):
        super().__init__()
        num_groups = arg.check_size("GroupNorm", "num_groups", num_groups, positive=True)
        num_channels = arg.check_size("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups}); pick num_groups among the divisors of {num_channels}."
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = arg.check_at_least("GroupNorm", "eps", eps, 0, error=ValueError)
        self.affine = affine
        self._affine_parameters(self.num_channels, affine, bias, device, dtype)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(
                f"expected input of shape (N, {self.num_channels}, ...) but got shape "
                f"{tuple(input.shape)}. Set num_channels to the channels (dim 1) of your data."
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(_AffineNorm):
    """Scale each sample by the root mean square of its last dims (no centring): used by
    LLaMA-style transformers.

    >>> import glassnet
    >>> glassnet.nn.RMSNorm(8)(glassnet.randn(2, 8)).shape
    glassnet.Size([2, 8])
    """

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None
    ):
        super().__init__()
        self.normalized_shape = _as_shape("RMSNorm", normalized_shape)
        if eps is not None:  # None: the dtype's machine epsilon
            arg.check_at_least("RMSNorm", "eps", eps, 0, error=ValueError)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._affine_parameters(self.normalized_shape, elementwise_affine, None, device, dtype)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Normalise each channel by the energy of ``size`` neighbouring channels (AlexNet).

    >>> import glassnet
    >>> lrn = LocalResponseNorm(3)
    >>> lrn
    LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)
    >>> lrn(glassnet.ones(1, 4, 2, 2)).shape
    glassnet.Size([1, 4, 2, 2])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = arg.check_size("LocalResponseNorm", "size", size, positive=True)
        self.alpha = arg.check_number("LocalResponseNorm", "alpha", alpha)
        self.beta = arg.check_number("LocalResponseNorm", "beta", beta)
        self.k = arg.check_number("LocalResponseNorm", "k", k)

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
