"""Memory formats: how a 4-D (N, C, H, W) tensor's elements lie in memory (PyTorch's names).

``contiguous_format`` is row-major NCHW, the default. ``channels_last`` keeps the shape but
lays the memory out as (N, H, W, C), each position's channels side by side: the layout
convolutions run fastest in (``glassnet/ops/conv_channels_last.py``), asked for as in PyTorch
with ``x.to(memory_format=glassnet.channels_last)`` and ``model.to(memory_format=...)``. A
convolution in training mode given a channels-last input (or weight) gives a channels-last
output, which elementwise ops and batch norm pass on. ``preserve_format`` keeps the input's.

>>> import glassnet
>>> x = glassnet.randn(2, 3, 4, 5).to(memory_format=glassnet.channels_last)
>>> x.shape, x.is_contiguous(), x.is_contiguous(memory_format=glassnet.channels_last)
(glassnet.Size([2, 3, 4, 5]), False, True)
>>> x.stride()
(60, 1, 15, 3)
"""

from __future__ import annotations

from glassnet.backend import get_array_module


class memory_format:  # noqa: N801 - PyTorch's spelling: torch.memory_format
    """One of the memory formats below (compare with ``is``, print as ``glassnet.<name>``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"glassnet.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
preserve_format = memory_format("preserve_format")


def is_channels_last_array(a) -> bool:
    """Whether a 4-D array's memory is (N, H, W, C) with the channels fastest
    (``is_contiguous(memory_format=channels_last)``: as in PyTorch, dims of size 1 do not
    count, so a single-channel NCHW array is both)."""
    return a.ndim == 4 and a.transpose(0, 2, 3, 1).flags.c_contiguous


def suggests_channels_last(a) -> bool:
    """Whether an op should give a channels-last result for input ``a`` (PyTorch's
    ``suggest_memory_format``): its memory is (N, H, W, C) and, where that is ambiguous (one
    channel, a 1x1 image), its strides say so: the channel step no longer than the column step.
    """
    if not is_channels_last_array(a):
        return False
    return not a.flags.c_contiguous or a.strides[1] <= a.strides[3]


def channels_last_array(a):
    """The array with the same (N, C, H, W) values and (N, H, W, C) memory (``a`` itself when it
    is already so); written into a new buffer, so that a single channel's strides say
    channels-last too."""
    if suggests_channels_last(a):
        return a
    xp = get_array_module(a)
    n, c, h, w = a.shape
    out = xp.empty((n, h, w, c), dtype=a.dtype)
    out[...] = a.transpose(0, 2, 3, 1)
    return out.transpose(0, 3, 1, 2)


def check_format(fmt, ndim, where):
    """Refuse what is not a memory format, and channels_last on a tensor that is not 4-D."""
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{where}: memory_format must be glassnet.contiguous_format, glassnet.channels_last "
            f"or glassnet.preserve_format, got {fmt!r}"
        )
    if fmt is channels_last and ndim != 4:
        raise ValueError(
            f"{where}: channels_last needs a 4-D (N, C, H, W) tensor, got {ndim} dims; "
            "use it on image batches (unsqueeze(0) a single image first)"
        )


__all__ = ["memory_format", "contiguous_format", "channels_last", "preserve_format"]
