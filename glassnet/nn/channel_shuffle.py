"""nn.ChannelShuffle: the layer form of ``F.channel_shuffle``.

>>> import glassnet
>>> from glassnet import nn
>>> nn.ChannelShuffle(2)(glassnet.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
[0.0, 2.0, 1.0, 3.0]
"""

from __future__ import annotations

from glassnet.nn.functional.channel_shuffling import channel_shuffle
from glassnet.nn.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
