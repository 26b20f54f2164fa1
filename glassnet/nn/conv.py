"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d.

Parameters, ``state_dict`` keys, default initialisation (kaiming_uniform_ with a=sqrt(5), bias
from U(+-1/sqrt(fan_in))) and the printed form are PyTorch's, so weights move both ways. Settings
are checked when the layer is made: ``Conv2d(3, 8, 3, stride=0)`` fails there, naming the
argument, rather than on the first batch.

>>> import glassnet
>>> from glassnet import nn
>>> conv = nn.Conv2d(3, 16, 3, padding=1)
>>> conv
Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
>>> conv(glassnet.ones(8, 3, 28, 28)).shape
glassnet.Size([8, 16, 28, 28])
"""

from __future__ import annotations

import math

from glassnet import backend, creation, dtypes, grad_mode
from glassnet.amp import autocast_mode as _autocast
from glassnet.nn import init
from glassnet.nn.conv_norm_fold import fold_conv_norm
from glassnet.nn.functional.conv import (
    _conv,
    _conv_transpose,
    check_output_padding,
    conv_args,
    conv_padding,
    flat_pads,
)
from glassnet.nn.functional.vision import pad as _pad
from glassnet.nn.functional.window_args import (
    InvalidArgumentError,
    check_choice,
    check_int,
    check_non_negative,
    check_positive,
    int_tuple,
)
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops.convolution import ConvPlan
from glassnet.tensor import wrap as _wrap

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
]

_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(layer, in_channels, out_channels, groups):
    check_int(in_channels, "in_channels", layer, 0)
    check_int(out_channels, "out_channels", layer, 0)
    check_int(groups, "groups", layer, 1)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise InvalidArgumentError(
                f"{layer}: {name} must be divisible by groups, got {name}={value}, groups="
                f"{groups}; each group convolves {name} // groups channels."
            )


class _ConvNd(Module):
    """What every convolution layer shares: checks, parameters, initialisation and repr. Its
    constructor is Conv1d/Conv2d's; a transposed convolution adds ``output_padding``."""

    _nd = 2
    _transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        nd, layer = self._nd, type(self).__name__
        _check_channels(layer, in_channels, out_channels, groups)
        check_choice(padding_mode, _MODES, "padding_mode", layer)
        kernel_size = int_tuple(kernel_size, nd, "kernel_size", layer)
        check_positive(kernel_size, "kernel_size", layer)
        stride = check_positive(int_tuple(stride, nd, "stride", layer), "stride", layer)
        dilation = check_positive(int_tuple(dilation, nd, "dilation", layer), "dilation", layer)
        # Checked as a call would (strings, 'same' with a stride); a padding_mode other than
        # zeros pads through F.pad, where negative amounts crop, as in PyTorch.
        conv_padding(padding, kernel_size, stride, dilation, layer, padding_mode != "zeros")
        if not isinstance(padding, str):
            padding = int_tuple(padding, nd, "padding", layer)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = (0,) * nd  # a transposed convolution sets its own
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (
            (in_channels, out_channels // groups, *self.kernel_size)
            if self._transposed
            else (out_channels, in_channels // groups, *self.kernel_size)
        )
        dtype = dtype or dtypes.get_default_dtype()
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        nd = len(self.kernel_size)
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d/Conv2d: convolution with any of the padding modes."""

    _plan = None  # (key, ConvPlan) of the last gradient-free call

    def forward(self, input):
        weight, bias = self._parameters["weight"], self._parameters["bias"]
        padding = self.padding
        if (
            backend._cupy is None
            and not _autocast._saved  # autocast casts the op's inputs: take the op
            and input._data.dtype.kind == "f"  # bfloat16 adds up in float32 in the op
            and not (
                grad_mode._enabled
                and (
                    input.requires_grad
                    or weight.requires_grad
                    or (bias is not None and bias.requires_grad)
                )
            )
            and self.padding_mode == "zeros"
        ):
            # Nothing to record (inference, on the CPU): the same arithmetic, without a node.
            return _wrap(self._infer(input, weight, bias))
        if self.padding_mode != "zeros":
            # Pad explicitly with the chosen mode, then convolve without padding.
            pads = conv_padding(padding, self.kernel_size, self.stride, self.dilation, "", True)
            amounts = tuple(p for pair in reversed(pads) for p in pair)
            input = _pad(input, amounts, mode=self.padding_mode)
            padding = 0
        return _conv(
            input, weight, bias, self.stride, padding, self.dilation, self.groups, self._nd, None
        )

    def _infer(self, input, weight, bias):
        """The output array of a gradient-free call; its shape plan is kept from the last call
        (checked then), so a repeated input shape (batch-1 inference) skips that work."""
        x, w = input._data, weight._data
        key = (
            x.shape, x.dtype, w.shape, w.dtype, self.stride, self.padding, self.dilation,
            self.groups,
        )  # fmt: skip
        cached = self._plan
        if cached is None or cached[0] != key:
            stride, pads, dilation = conv_args(
                input, weight, bias, self.stride, self.padding, self.dilation, self.groups,
                self._nd, None,
            )  # fmt: skip
            plan = ConvPlan(x.shape, w.shape, stride, flat_pads(pads), dilation, self.groups)
            self._plan = cached = (key, plan)
        return cached[1].run(x, w, None if bias is None else bias._data)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) (or unbatched (C_in, L)): text, audio, time series.

    >>> import glassnet
    >>> Conv1d(4, 8, 3, padding="same")(glassnet.ones(2, 4, 10)).shape
    glassnet.Size([2, 8, 10])
    """

    _nd = 1


class Conv2d(_Conv):
    """2-D convolution over images (N, C_in, H, W) (or unbatched (C_in, H, W)).

    >>> import glassnet
    >>> Conv2d(1, 6, 5)(glassnet.ones(4, 1, 28, 28)).shape
    glassnet.Size([4, 6, 24, 24])
    """

    _nd = 2
    _folds_next_without_graph = True  # with an eval-mode BatchNorm2d after it

    def _fold_next(self, norm, input):
        """norm(self(input)) as one step where norm is an eval-mode BatchNorm2d (Sequential's
        gradient-free path; nn.conv_norm_fold), else None."""
        return fold_conv_norm(self, norm, input)


class Conv3d(_Conv):
    """3-D convolution over volumes or video clips (N, C_in, D, H, W) (or unbatched).

    >>> import glassnet
    >>> Conv3d(1, 4, 3, padding=1)(glassnet.ones(2, 1, 4, 8, 8)).shape
    glassnet.Size([2, 4, 4, 8, 8])
    """

    _nd = 3

    def _infer(self, input, weight, bias):
        # No shape plan for volumes: the im2col work dwarfs the bookkeeping.
        with grad_mode.no_grad():
            return _conv(
                input, weight, bias, self.stride, self.padding, self.dilation, self.groups, 3, None
            )._data


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        layer = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(
                f'{layer}: only "zeros" padding mode is supported, got padding_mode='
                f"{padding_mode!r}"
            )
        if isinstance(padding, str):
            raise TypeError(
                f"{layer}: padding must be an int or a tuple of {self._nd} ints ('same' and "
                f"'valid' are for convolutions), got {padding!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        output_padding = int_tuple(output_padding, self._nd, "output_padding", layer)
        check_non_negative(output_padding, "output_padding", layer)
        self.output_padding = check_output_padding(
            output_padding, self.stride, self.dilation, layer
        )

    def forward(self, input, output_size=None):
        weight, bias = self._parameters["weight"], self._parameters["bias"]
        return _conv_transpose(
            input,
            weight,
            bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
            self._nd,
            None,
            output_size=output_size,
        )


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution: learned upsampling of (N, C_in, L).

    >>> import glassnet
    >>> ConvTranspose1d(4, 2, 2, stride=2)(glassnet.ones(1, 4, 5)).shape
    glassnet.Size([1, 2, 10])
    """

    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution: learned upsampling of images (decoders, GAN generators).

    >>> import glassnet
    >>> ConvTranspose2d(16, 8, 4, stride=2, padding=1)(glassnet.ones(2, 16, 7, 7)).shape
    glassnet.Size([2, 8, 14, 14])
    """

    _nd = 2


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution: learned upsampling of volumes (N, C_in, D, H, W).

    >>> import glassnet
    >>> ConvTranspose3d(4, 2, 2, stride=2)(glassnet.ones(1, 4, 2, 3, 3)).shape
    glassnet.Size([1, 2, 4, 6, 6])
    """

    _nd = 3
