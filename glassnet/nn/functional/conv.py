"""Convolutions as functions: conv1d, conv2d, conv_transpose1d, conv_transpose2d.

Arguments follow PyTorch: ``stride``, ``padding`` (an int, a tuple, ``'valid'`` or ``'same'``),
``dilation`` and ``groups``; an unbatched input (C, H, W) gives an unbatched output. The work is
one fused Function per call (glassnet.ops.convolution), with im2col matrix products both ways.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> x = glassnet.ones(1, 2, 5, 5)
>>> w = glassnet.ones(3, 2, 3, 3)
>>> F.conv2d(x, w, padding="same").shape
glassnet.Size([1, 3, 5, 5])
>>> F.conv2d(x, w, stride=2).shape
glassnet.Size([1, 3, 2, 2])
"""

from __future__ import annotations

from glassnet.errors import DTypeError, ShapeError
from glassnet.ops.convolution import Convolution, ConvTranspose

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

_SPATIAL = {1: "L", 2: "H, W"}


def _where(op):
    """The message prefix naming the caller; a layer passes None (Module adds its path)."""
    return f"{op}: " if op else ""


def _tuple(value, n, name, op):
    # Layers pass tuples of ints already: the common case returns at once (it runs per call).
    if value.__class__ is tuple and len(value) == n and all(v.__class__ is int for v in value):
        return value
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ShapeError(
            f"{_where(op)}expected {name} to be an int or a tuple of {n} ints, got {value}"
        )
    return value


def conv_padding(padding, kernel, stride, dilation, op):
    """Per-dim (before, after) padding from an int, a tuple, 'valid' or 'same'."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(
                f"{_where(op)}invalid padding string {padding!r}; use 'valid' or 'same'"
            )
        if any(s != 1 for s in stride):
            raise ValueError(
                f"{_where(op)}padding='same' is not supported for strided convolutions (stride="
                f"{stride}); use an explicit padding, or stride=1 and a pooling layer after."
            )
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))  # any odd extra goes after, as PyTorch
        return tuple(out)
    pads = _tuple(padding, n, "padding", op)
    if any(p < 0 for p in pads):
        raise ValueError(f"{_where(op)}negative padding is not supported, got {pads}")
    return tuple((p, p) for p in pads)


def check_conv_input(op, x, weight, nd, groups, transposed=False):
    """Raise an actionable error for a wrong input rank, channel count or dtype. ``op`` names
    the caller (a function name or a layer's label)."""
    shape = tuple(x._data.shape)
    spatial = _SPATIAL[nd]
    if len(shape) not in (nd + 1, nd + 2):
        hint = (
            f"reshape it, for example x.reshape(N, C, {spatial})"
            if len(shape) < nd + 1
            else "merge or remove the extra dims"
        )
        raise ShapeError(
            f"{_where(op)}expected a {nd + 1}-D (C, {spatial}) or {nd + 2}-D (N, C, "
            f"{spatial}) input, got {len(shape)}-D input of shape {shape}; {hint}."
        )
    channels = weight._data.shape[0] if transposed else weight._data.shape[1] * groups
    got = shape[-nd - 1]
    if got != channels:
        batch = "N, " if len(shape) == nd + 2 else ""
        raise ShapeError(
            f"{_where(op)}expected input with {channels} channels (shape ({batch}{channels}, "
            f"{spatial})), got {shape}; make in_channels={got} to match the input, or change "
            f"what feeds it to give {channels} channels (channels are dim {len(shape) - nd - 1})."
        )
    if x._data.dtype != weight._data.dtype:
        raise DTypeError(
            f"{_where(op)}input dtype {x._data.dtype} and weight dtype {weight._data.dtype} "
            f"differ; convert the input (x.to({str(weight._data.dtype)!r})) or the model "
            f"(model.to({str(x._data.dtype)!r}))."
        )


def _check_fits(op, shape, kernel, pads, dilation):
    for size, k, (a, b), d in zip(shape[-len(kernel) :], kernel, pads, dilation):
        if size + a + b < d * (k - 1) + 1:
            sizes = " x ".join(str(s + p[0] + p[1]) for s, p in zip(shape[-len(kernel) :], pads))
            ks = " x ".join(str(dd * (kk - 1) + 1) for kk, dd in zip(kernel, dilation))
            raise ShapeError(
                f"{_where(op)}the padded input ({sizes}, from input shape {tuple(shape)}) is "
                f"smaller than the (dilated) kernel ({ks}); use a larger input, more padding, "
                "a smaller kernel, or fewer downsampling layers before this one."
            )


def _flat_pads(pads):
    return tuple(p for pair in pads for p in pair)


def conv_args(x, weight, stride, padding, dilation, groups, nd, op):
    """Check a convolution call (raising an error a person can act on) and return its
    (stride, flat padding, dilation) as Convolution takes them."""
    check_conv_input(op, x, weight, nd, groups)
    kernel = tuple(weight._data.shape[2:])
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    pads = conv_padding(padding, kernel, stride, dilation, op)
    _check_fits(op, x._data.shape, kernel, pads, dilation)
    if weight._data.shape[0] % groups:
        raise ShapeError(
            f"{_where(op)}out_channels {weight._data.shape[0]} must be divisible by groups={groups}"
        )
    return stride, _flat_pads(pads), dilation


def _conv(x, weight, bias, stride, padding, dilation, groups, nd, op):
    stride, pads, dilation = conv_args(x, weight, stride, padding, dilation, groups, nd, op)
    return Convolution.apply(
        x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups
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


def transpose_output_size(shape, kernel, stride, pads, dilation, output_padding, op):
    """Spatial output size of a transposed convolution."""
    out = []
    for size, k, s, p, d, o in zip(shape, kernel, stride, pads, dilation, output_padding):
        if o >= s and o >= d:
            raise ValueError(
                f"{_where(op)}output_padding ({o}) must be smaller than either stride ({s}) or "
                f"dilation ({d})"
            )
        n = (size - 1) * s - 2 * p + d * (k - 1) + o + 1
        if n < 1:
            raise ShapeError(
                f"{_where(op)}input of spatial size {tuple(shape)} with padding {p} gives a "
                f"non-positive output size {n}; reduce the padding or use a larger input."
            )
        out.append(n)
    return tuple(out)


def _conv_transpose(
    x, weight, bias, stride, padding, output_padding, groups, dilation, nd, op, output_size=None
):
    check_conv_input(op, x, weight, nd, groups, transposed=True)
    kernel = tuple(weight._data.shape[2:])
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    pads = _tuple(padding, nd, "padding", op)
    out_pad = _tuple(output_padding, nd, "output_padding", op)
    spatial = tuple(x._data.shape[-nd:])
    if output_size is not None:
        # PyTorch's ConvTranspose(output_size=...) picks the output_padding that reaches it.
        want = tuple(int(s) for s in tuple(output_size)[-nd:])
        base = transpose_output_size(spatial, kernel, stride, pads, dilation, (0,) * nd, op)
        out_pad = tuple(w - b for w, b in zip(want, base))
        if any(o < 0 or o >= max(s, d) for o, s, d in zip(out_pad, stride, dilation)):
            raise ShapeError(
                f"{_where(op)}requested output size {want} is not reachable; sizes from {base} to "
                f"{tuple(b + max(s, d) - 1 for b, s, d in zip(base, stride, dilation))} are."
            )
    size = transpose_output_size(spatial, kernel, stride, pads, dilation, out_pad, op)
    return ConvTranspose.apply(
        x,
        weight,
        bias,
        stride=stride,
        padding=_flat_pads((p, p) for p in pads),
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
    return _conv_transpose(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        1,
        "conv_transpose1d",
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-D transposed convolution (upsampling by a learned kernel); weight
    (C_in, C_out/groups, kH, kW).

    >>> import glassnet
    >>> conv_transpose2d(glassnet.ones(1, 4, 3, 3), glassnet.ones(4, 2, 2, 2), stride=2).shape
    glassnet.Size([1, 2, 6, 6])
    """
    return _conv_transpose(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        2,
        "conv_transpose2d",
    )
