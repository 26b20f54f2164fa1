"""Dropout layers: Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout.

Active in training mode only; ``model.eval()`` turns them into the identity.

>>> import glassnet
>>> from glassnet import nn
>>> drop = nn.Dropout(p=0.5)
>>> drop
Dropout(p=0.5, inplace=False)
>>> drop.eval()(glassnet.ones(3))
tensor([1., 1., 1.])
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from glassnet.nn.module import Module

__all__ = [
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
]


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = arg.check_probability(type(self).__name__, "p", p)
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` while training (a regulariser), scaling the
    kept ones by 1/(1-p) so the expected value is unchanged.

    >>> import glassnet
    >>> glassnet.nn.Dropout(0.1)(glassnet.ones(2, 3)).shape
    glassnet.Size([2, 3])
    """

    _fn = staticmethod(dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) sequences while training.

    >>> import glassnet
    >>> glassnet.nn.Dropout1d(0.5)(glassnet.ones(2, 3, 4)).shape
    glassnet.Size([2, 3, 4])
    """

    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) images while training (neighbouring pixels are
    correlated, so dropping single pixels regularises little). Other ranks warn, as in
    PyTorch, and are read as (N, C, ...): see ``F.dropout2d``.

    >>> import glassnet
    >>> glassnet.nn.Dropout2d(0.5)(glassnet.ones(2, 3, 4, 4)).shape
    glassnet.Size([2, 3, 4, 4])
    """

    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) volumes while training.

    >>> import glassnet
    >>> glassnet.nn.Dropout3d(0.5)(glassnet.ones(1, 2, 2, 2, 2)).shape
    glassnet.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU networks self-normalising (zero mean, unit variance).

    >>> import glassnet
    >>> glassnet.nn.AlphaDropout(0.2)(glassnet.ones(4)).shape
    glassnet.Size([4])
    """

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels of (N, C, ...) input, for SELU convolutional networks.

    >>> import glassnet
    >>> glassnet.nn.FeatureAlphaDropout(0.2)
    FeatureAlphaDropout(p=0.2, inplace=False)
    """

    _fn = staticmethod(feature_alpha_dropout)
