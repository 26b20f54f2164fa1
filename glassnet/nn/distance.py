"""Distance layers: CosineSimilarity and PairwiseDistance (the functions of
``glassnet.nn.functional`` as modules, with PyTorch's arguments).

>>> import glassnet
>>> from glassnet import nn
>>> nn.CosineSimilarity(dim=1)(glassnet.tensor([[1.0, 0.0]]), glassnet.tensor([[0.0, 1.0]]))
tensor([0.])
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn.functional import distance as F
from glassnet.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine of the angle between two inputs along ``dim``.

    >>> CosineSimilarity()
    CosineSimilarity()
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = arg.check_int("CosineSimilarity", "dim", dim, minimum=None)
        self.eps = arg.check_at_least("CosineSimilarity", "eps", eps, 0)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance between the rows of two inputs (over the last dim).

    >>> import glassnet
    >>> PairwiseDistance(eps=0.0)(glassnet.tensor([[0.0, 0.0]]), glassnet.tensor([[3.0, 4.0]]))
    tensor([5.])
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = arg.check_number("PairwiseDistance", "p", p)
        self.eps = arg.check_number("PairwiseDistance", "eps", eps)
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
