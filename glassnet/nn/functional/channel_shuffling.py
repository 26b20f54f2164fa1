"""Channel shuffle (ShuffleNet): interleave the channels of ``groups`` groups so that grouped
convolutions that follow see channels of every group.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.channel_shuffle(glassnet.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
"""

from __future__ import annotations

from glassnet.errors import ShapeError

__all__ = ["channel_shuffle"]


def channel_shuffle(input, groups):
    """(N, C, ...) with C = groups * k: channel ``g * k + i`` moves to ``i * groups + g``."""
    if input.ndim < 3:
        raise ShapeError(
            f"channel_shuffle: expected an input of 3 or more dims (N, C, *), got shape "
            f"{tuple(input.shape)}."
        )
    groups = int(groups)
    c = input.shape[1]
    if groups <= 0 or c % groups:
        raise ShapeError(
            f"channel_shuffle: the {c} channels of the input of shape {tuple(input.shape)} "
            f"cannot be split into groups={groups}; use a positive divisor of {c}."
        )
    n, rest = input.shape[0], tuple(input.shape[2:])
    x = input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)
