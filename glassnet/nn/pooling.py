"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, LPPool1d/2d/3d and the adaptive
AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d.

Thin wrappers over glassnet.nn.functional's pooling, with PyTorch's arguments and printed form.
Settings are checked when the layer is made (``MaxPool2d(0)`` fails there, naming the argument).

>>> import glassnet
>>> from glassnet import nn
>>> nn.MaxPool2d(2)
MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
>>> nn.MaxPool2d(2)(glassnet.ones(1, 3, 8, 8)).shape
glassnet.Size([1, 3, 4, 4])
"""

from __future__ import annotations

from glassnet import backend, grad_mode
from glassnet.nn import functional as F
from glassnet.nn.functional.pooling import pool_args, pool_settings
from glassnet.nn.functional.window_args import InvalidArgumentError, check_int
from glassnet.nn.module import Module
from glassnet.ops.pooling import MaxPoolPlan
from glassnet.tensor import wrap as _wrap

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
]


class _MaxPoolNd(Module):
    _pool = None  # F.max_pool1d, 2d or 3d
    _nd = 2

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        pool_settings(type(self).__name__, self._nd, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    _plan = None  # (key, MaxPoolPlan) of the last gradient-free call

    def forward(self, input):
        if (
            backend._cupy is None
            and self._nd < 3
            and not self.return_indices
            and not (grad_mode._enabled and input.requires_grad)
        ):
            # Nothing to record (inference, on the CPU): the same arithmetic, without a node.
            return _wrap(self._infer(input))
        return self._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def _infer(self, input):
        """The output array of a gradient-free call; the shape plan is kept from the last call
        (checked then), so a repeated input shape (batch-1 inference) skips that work."""
        x = input._data
        key = (
            x.shape, x.dtype, self.kernel_size, self.stride, self.padding, self.dilation,
            self.ceil_mode,
        )  # fmt: skip
        cached = self._plan
        if cached is None or cached[0] != key:
            nd = self._nd
            kernel, stride, padding, dilation = pool_args(
                f"max_pool{nd}d", input, nd, *key[2:6], self.ceil_mode
            )
            plan = MaxPoolPlan(x.shape, kernel, stride, padding, dilation, self.ceil_mode)
            self._plan = cached = (key, plan)
        return cached[1].run(x)

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L).

    >>> import glassnet
    >>> MaxPool1d(3, stride=1)(glassnet.ones(2, 4, 10)).shape
    glassnet.Size([2, 4, 8])
    """

    _pool = staticmethod(F.max_pool1d)
    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W): downsampling that keeps the strongest response.

    >>> import glassnet
    >>> MaxPool2d(3, stride=2, padding=1)(glassnet.ones(1, 8, 32, 32)).shape
    glassnet.Size([1, 8, 16, 16])
    """

    _pool = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of volumes (N, C, D, H, W).

    >>> import glassnet
    >>> MaxPool3d(2)(glassnet.ones(1, 2, 4, 8, 8)).shape
    glassnet.Size([1, 2, 2, 4, 4])
    """

    _pool = staticmethod(F.max_pool3d)
    _nd = 3


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride, padding, ceil_mode, count_include_pad):
        super().__init__()
        pool_settings(type(self).__name__, self._nd, kernel_size, stride, padding, 1)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, L).

    >>> AvgPool1d(2)
    AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        # PyTorch keeps 1-D pooling sizes as 1-tuples (it shows in the repr).
        one = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)  # noqa: E731
        stride = one(stride) if stride is not None else None
        super().__init__(one(kernel_size), stride, one(padding), ceil_mode, count_include_pad)

    def forward(self, input):
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class _AvgPool23d(_AvgPoolNd):
    _pool = None  # F.avg_pool2d or F.avg_pool3d

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        if divisor_override is not None:
            check_int(divisor_override, "divisor_override", type(self).__name__, None)
            if divisor_override == 0:
                raise InvalidArgumentError(
                    f"{type(self).__name__}: divisor_override must not be zero; leave it None "
                    "to divide by the window size"
                )
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AvgPool2d(_AvgPool23d):
    """Mean over sliding windows of (N, C, H, W).

    >>> import glassnet
    >>> AvgPool2d(2)(glassnet.ones(1, 1, 4, 4)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _pool = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPool23d):
    """Mean over sliding windows of volumes (N, C, D, H, W).

    >>> import glassnet
    >>> AvgPool3d(2)(glassnet.ones(1, 1, 2, 4, 4)).shape
    glassnet.Size([1, 1, 1, 2, 2])
    """

    _pool = staticmethod(F.avg_pool3d)
    _nd = 3


class _LPPoolNd(Module):
    _pool = None  # F.lp_pool1d, 2d or 3d
    _nd = 2

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        pool_settings(type(self).__name__, self._nd, kernel_size, stride, 0, 1)
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling of (N, C, L): the ``norm_type``-norm of each window.

    >>> import glassnet
    >>> LPPool1d(2, 2)(glassnet.tensor([[[3.0, 4.0]]])).tolist()
    [[[5.0]]]
    """

    _pool = staticmethod(F.lp_pool1d)
    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling of (N, C, H, W): the ``norm_type``-norm of each window.

    >>> import glassnet
    >>> LPPool2d(1, 2)(glassnet.ones(1, 1, 4, 4)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """

    _pool = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling of volumes (N, C, D, H, W).

    >>> import glassnet
    >>> LPPool3d(1, 2)(glassnet.ones(1, 1, 2, 2, 2)).tolist()
    [[[[[8.0]]]]]
    """

    _pool = staticmethod(F.lp_pool3d)
    _nd = 3


class _AdaptivePool(Module):
    _pool = None  # the F.adaptive_* function

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._pool(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self._pool(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average (N, C, L) down to a fixed length, whatever the input length.

    >>> import glassnet
    >>> AdaptiveAvgPool1d(3)(glassnet.ones(2, 4, 10)).shape
    glassnet.Size([2, 4, 3])
    """

    _pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average (N, C, H, W) down to a fixed size (``1`` gives global average pooling).

    >>> import glassnet
    >>> AdaptiveAvgPool2d(1)(glassnet.ones(2, 512, 7, 7)).shape
    glassnet.Size([2, 512, 1, 1])
    """

    _pool = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max of (N, C, L) over a fixed number of evenly spread windows.

    >>> import glassnet
    >>> AdaptiveMaxPool1d(2)(glassnet.ones(1, 1, 5)).shape
    glassnet.Size([1, 1, 2])
    """

    _pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max of (N, C, H, W) over a fixed grid of evenly spread windows.

    >>> import glassnet
    >>> AdaptiveMaxPool2d((2, 3))(glassnet.ones(1, 1, 5, 7)).shape
    glassnet.Size([1, 1, 2, 3])
    """

    _pool = staticmethod(F.adaptive_max_pool2d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average volumes (N, C, D, H, W) down to a fixed size.

    >>> import glassnet
    >>> AdaptiveAvgPool3d((1, 2, 2))(glassnet.ones(2, 3, 4, 7, 7)).shape
    glassnet.Size([2, 3, 1, 2, 2])
    """

    _pool = staticmethod(F.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max of volumes (N, C, D, H, W) over a fixed grid of evenly spread windows.

    >>> import glassnet
    >>> AdaptiveMaxPool3d(2)(glassnet.ones(1, 1, 5, 5, 5)).shape
    glassnet.Size([1, 1, 2, 2, 2])
    """

    _pool = staticmethod(F.adaptive_max_pool3d)
