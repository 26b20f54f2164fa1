"""Size and Device: what a tensor reports about its shape and where it lives, printed and
compared as PyTorch's ``torch.Size`` and ``torch.device``.

>>> import glassnet
>>> glassnet.ones(2, 3).shape
glassnet.Size([2, 3])
>>> glassnet.ones(1).device, glassnet.ones(1).device == "cpu"
(device(type='cpu'), True)
"""

from __future__ import annotations


class Size(tuple):
    """A shape, printed like PyTorch's ``torch.Size([2, 3])`` and compared like a tuple."""

    def __repr__(self):
        return f"glassnet.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class Device(str):
    """'cpu' or 'cuda': compares equal to the string, and has ``.type`` like torch.device."""

    @property
    def type(self):
        return str(self)

    def __repr__(self):
        return f"device(type='{self}')"
