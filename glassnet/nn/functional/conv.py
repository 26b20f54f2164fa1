"""Convolutions as functions: conv1d/2d/3d and conv_transpose1d/2d/3d.

Arguments follow PyTorch: ``stride``, ``padding`` (an int, a tuple, ``'valid'`` or ``'same'``),
``dilation`` and ``groups``; an unbatched input (C, *spatial) gives an unbatched output. Each call
is one fused Function: the tuned 2-D kernels of glassnet.ops.convolution for 1-D and 2-D, the N-d
im2col kernels of glassnet.ops.conv_nd for 3-D. Impossible settings (``stride=0``, negative
padding, ``groups`` that do not divide the channels) are refused with an error that names them.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.ones(1, 2, 5, 5)
>>> w = glassnet.ones(3, 2, 3, 3)
>>> F.conv2d(x, w, padding="same").shape
glassnet.Size([1, 3, 5, 5])
>>> F.conv2d(x, w, stride=2).shape
glassnet.Size([1, 3, 2, 2])
>>> F.conv3d(glassnet.ones(1, 2, 4, 5, 5), glassnet.ones(3, 2, 3, 3, 3)).shape
glassnet.Size([1, 3, 2, 3, 3])
"""

from __future__ import annotations

from glassnet.errors import DTypeError, ShapeError
from glassnet.nn.functional.window_args import (
    InvalidArgumentError,
    check_int,
    check_non_negative,
    check_positive,
    int_tuple,
    where,
)
from glassnet.ops.conv_nd import ConvolutionNd, ConvTransposeNd
from glassnet.ops.conv_transpose import ConvTranspose
from glassnet.ops.convolution import Convolution
from glassnet.ops.depthwise_conv import DepthwiseConv, is_depthwise
from glassnet.ops.low_precision import bfloat16_in_float32

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def conv_padding(padding, kernel, stride, dilation, op, allow_negative=False):
    """Per-dim (before, after) padding from an int, a tuple, 'valid' or 'same'. Negative
    amounts are refused unless ``allow_negative`` (a layer whose padding_mode crops)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise InvalidArgumentError(
                f"{where(op)}invalid padding string {padding!r}; use 'valid', 'same', an int or "
                f"a tuple of {n} ints"
            )
        if any(s != 1 for s in stride):
            raise InvalidArgumentError(
                f"{where(op)}padding='same' is not supported for strided convolutions (stride="
                f"{stride}); use an explicit padding, or stride=1 and a pooling layer after."
            )
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))  # any odd extra goes after, as PyTorch
        return tuple(out)
    pads = int_tuple(padding, n, "padding", op)
    if not allow_negative:
        check_non_negative(pads, "padding", op)
    return tuple((p, p) for p in pads)


def _autocast_casts(x, weight):
    """Inside autocast a bfloat16 activation meets float32 weights: the convolution casts
    both itself (glassnet.amp), so the mismatch is no error there."""
    from glassnet import dtypes
    from glassnet.amp.autocast_mode import is_autocast_enabled

    floating = dtypes.is_floating(x._data.dtype) and dtypes.is_floating(weight._data.dtype)
    return floating and is_autocast_enabled()


def check_conv_input(op, x, weight, nd, groups, transposed=False, bias=None):
    """Raise an actionable error for a wrong input or weight rank, channel count, bias shape or
    dtype. ``op`` names the caller (a function name or a layer's label)."""
    shape, w_shape = tuple(x._data.shape), tuple(weight._data.shape)
    spatial = _SPATIAL[nd]
    if len(w_shape) != nd + 2:
        raise ShapeError(
            f"{where(op)}expected a {nd + 2}-D weight (out_channels, in_channels/groups, "
            f"{spatial}), got weight of shape {w_shape}"
        )
    check_int(groups, "groups", op, 1)
    if len(shape) not in (nd + 1, nd + 2):
        hint = (
            f"reshape it, for example x.reshape(N, C, {spatial})"
            if len(shape) < nd + 1
            else "merge or remove the extra dims"
        )
        raise ShapeError(
            f"{where(op)}expected a {nd + 1}-D (C, {spatial}) or {nd + 2}-D (N, C, "
            f"{spatial}) input, got {len(shape)}-D input of shape {shape}; {hint}."
        )
    if w_shape[0] % groups:
        what = "in_channels (weight dim 0)" if transposed else "out_channels (weight dim 0)"
        raise ShapeError(
            f"{where(op)}{what} {w_shape[0]} must be divisible by groups={groups}; weight "
            f"shape {w_shape}"
        )
    channels = w_shape[0] if transposed else w_shape[1] * groups
    got = shape[-nd - 1]
    if got != channels:
        batch = "N, " if len(shape) == nd + 2 else ""
        raise ShapeError(
            f"{where(op)}expected input with {channels} channels (shape ({batch}{channels}, "
            f"{spatial})), got {shape}; make in_channels={got} to match the input, or change "
            f"what feeds it to give {channels} channels (channels are dim {len(shape) - nd - 1})."
        )
    if bias is not None:
        n_out = w_shape[1] * groups if transposed else w_shape[0]
        if tuple(bias._data.shape) != (n_out,):
            raise ShapeError(
                f"{where(op)}expected a bias of shape ({n_out},) (one per output channel), got "
                f"{tuple(bias._data.shape)}"
            )
    if x._data.dtype != weight._data.dtype and not _autocast_casts(x, weight):
        raise DTypeError(
            f"{where(op)}input dtype {x._data.dtype} and weight dtype {weight._data.dtype} differ; "
            f"convert the input (x.to({str(weight._data.dtype)!r})) or the model "
            f"(model.to({str(x._data.dtype)!r}))."
        )
    check_positive(w_shape[2:], "kernel_size", op)


def _check_fits(op, shape, kernel, pads, dilation):
    for size, k, (a, b), d in zip(shape[-len(kernel) :], kernel, pads, dilation):
        if size + a + b < d * (k - 1) + 1:
            sizes = " x ".join(str(s + p[0] + p[1]) for s, p in zip(shape[-len(kernel) :], pads))
            ks = " x ".join(str(dd * (kk - 1) + 1) for kk, dd in zip(kernel, dilation))
            raise ShapeError(
                f"{where(op)}the padded input ({sizes}, from input shape {tuple(shape)}) is "
                f"smaller than the (dilated) kernel ({ks}); use a larger input, more padding, "
                "a smaller kernel, or fewer downsampling layers before this one."
            )


def flat_pads(pads):
    """((before, after), ...) as (before, after, before, after, ...)."""
    return tuple(p for pair in pads for p in pair)


def conv_args(x, weight, bias, stride, padding, dilation, groups, nd, op):
    """Check a convolution call (raising an error a person can act on) and return its
    (stride, ((before, after), ...) padding, dilation)."""
    check_conv_input(op, x, weight, nd, groups, bias=bias)
    kernel = tuple(weight._data.shape[2:])
    stride = check_positive(int_tuple(stride, nd, "stride", op), "stride", op)
    dilation = check_positive(int_tuple(dilation, nd, "dilation", op), "dilation", op)
    pads = conv_padding(padding, kernel, stride, dilation, op)
    _check_fits(op, x._data.shape, kernel, pads, dilation)
    return stride, pads, dilation


@bfloat16_in_float32
def _conv(x, weight, bias, stride, padding, dilation, groups, nd, op):
    stride, pads, dilation = conv_args(x, weight, bias, stride, padding, dilation, groups, nd, op)
    if nd == 3:
        return ConvolutionNd.apply(x, weight, bias, stride, pads, dilation, groups)
    if nd == 2 and is_depthwise(x._data.shape, weight._data.shape, groups):
        return DepthwiseConv.apply(x, weight, bias, stride, flat_pads(pads), dilation)
    return Convolution.apply(
        x, weight, bias, stride=stride, padding=flat_pads(pads), dilation=dilation, groups=groups
    )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C_in, L) with weight (C_out, C_in/groups, k).

    >>> import glassnet
    >>> conv1d(glassnet.ones(1, 1, 4), glassnet.ones(1, 1, 2)).tolist()
    [[[2.0, 2.0, 2.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C_in, H, W) with weight (C_out, C_in/groups, kH, kW).

    >>> import glassnet
    >>> conv2d(glassnet.ones(1, 1, 3, 3), glassnet.ones(1, 1, 2, 2)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over volumes or clips (N, C_in, D, H, W) with weight
    (C_out, C_in/groups, kD, kH, kW).

    >>> import glassnet
    >>> conv3d(glassnet.ones(1, 1, 2, 2, 2), glassnet.ones(1, 1, 2, 2, 2)).tolist()
    [[[[[8.0]]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def transpose_output_size(shape, kernel, stride, pads, dilation, output_padding, op):
    """Spatial output size of a transposed convolution (output_padding already checked)."""
    out = []
    for size, k, s, p, d, o in zip(shape, kernel, stride, pads, dilation, output_padding):
        n = (size - 1) * s - 2 * p + d * (k - 1) + o + 1
        if n < 1:
            raise ShapeError(
                f"{where(op)}input of spatial size {tuple(shape)} with padding {p} gives a "
                f"non-positive output size {n}; reduce the padding or use a larger input."
            )
        out.append(n)
    return tuple(out)


def check_output_padding(out_pad, stride, dilation, op):
    """output_padding must be >= 0 and smaller than the stride or the dilation (PyTorch's
    rule: larger would add output rows that no input reaches)."""
    check_non_negative(out_pad, "output_padding", op)
    for o, s, d in zip(out_pad, stride, dilation):
        if o >= s and o >= d:
            raise InvalidArgumentError(
                f"{where(op)}output_padding must be smaller than either stride or dilation in "
                f"every dim, got output_padding={out_pad}, stride={stride}, dilation={dilation}"
            )
    return out_pad


@bfloat16_in_float32
def _conv_transpose(
    x, weight, bias, stride, padding, output_padding, groups, dilation, nd, op, output_size=None
):
    check_conv_input(op, x, weight, nd, groups, transposed=True, bias=bias)
    kernel = tuple(weight._data.shape[2:])
    stride = check_positive(int_tuple(stride, nd, "stride", op), "stride", op)
    dilation = check_positive(int_tuple(dilation, nd, "dilation", op), "dilation", op)
    if isinstance(padding, str):
        raise TypeError(
            f"{where(op)}padding must be an int or a tuple of {nd} ints for a transposed "
            f"convolution ('same' and 'valid' are for convolutions), got {padding!r}"
        )
    pads = check_non_negative(int_tuple(padding, nd, "padding", op), "padding", op)
    out_pad = int_tuple(output_padding, nd, "output_padding", op)
    spatial = tuple(x._data.shape[-nd:])
    if output_size is not None:
        # PyTorch's ConvTranspose(output_size=...) picks the output_padding that reaches it.
        want = tuple(int(s) for s in tuple(output_size)[-nd:])
        base = transpose_output_size(spatial, kernel, stride, pads, dilation, (0,) * nd, op)
        out_pad = tuple(w - b for w, b in zip(want, base))
        if any(o < 0 or o >= max(s, d) for o, s, d in zip(out_pad, stride, dilation)):
            raise ShapeError(
                f"{where(op)}requested output size {want} is not reachable; sizes from {base} to "
                f"{tuple(b + max(s, d) - 1 for b, s, d in zip(base, stride, dilation))} are."
            )
    check_output_padding(out_pad, stride, dilation, op)
    size = transpose_output_size(spatial, kernel, stride, pads, dilation, out_pad, op)
    pairs = tuple((p, p) for p in pads)
    if nd == 3:
        return ConvTransposeNd.apply(x, weight, bias, stride, pairs, dilation, groups, size)
    return ConvTranspose.apply(
        x,
        weight,
        bias,
        stride=stride,
        padding=flat_pads(pairs),
        dilation=dilation,
        groups=groups,
        out_size=size,
    )


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """1-D transposed convolution ("deconvolution"); weight (C_in, C_out/groups, k).

    >>> import glassnet
    >>> conv_transpose1d(glassnet.ones(1, 1, 2), glassnet.ones(1, 1, 2), stride=2).tolist()
    [[[1.0, 1.0, 1.0, 1.0]]]
    """
    args = (stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")
    return _conv_transpose(input, weight, bias, *args)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-D transposed convolution (upsampling by a learned kernel); weight
    (C_in, C_out/groups, kH, kW).

    >>> import glassnet
    >>> conv_transpose2d(glassnet.ones(1, 4, 3, 3), glassnet.ones(4, 2, 2, 2), stride=2).shape
    glassnet.Size([1, 2, 6, 6])
    """
    args = (stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")
    return _conv_transpose(input, weight, bias, *args)


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """3-D transposed convolution (learned upsampling of volumes); weight
    (C_in, C_out/groups, kD, kH, kW).

    >>> import glassnet
    >>> conv_transpose3d(glassnet.ones(1, 4, 2, 3, 3), glassnet.ones(4, 2, 2, 2, 2), stride=2).shape
    glassnet.Size([1, 2, 4, 6, 6])
    """
    args = (stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d")
    return _conv_transpose(input, weight, bias, *args)
