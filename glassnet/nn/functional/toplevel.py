"""The functions PyTorch also offers as ``torch.<name>`` (``torch.celu``, ``torch.prelu``,
``torch.pixel_shuffle``, ...) and as Tensor methods (``x.prelu(w)``, ``x.hardshrink()``): the
same functions as in ``glassnet.nn.functional``, installed into ``glassnet`` by ``install``.

>>> import glassnet
>>> glassnet.celu is glassnet.nn.functional.celu
True
>>> glassnet.tensor([-1.0, 0.2]).hardshrink(0.5)
tensor([-1.,  0.])
"""

from __future__ import annotations

import importlib

from glassnet.nn.functional import activation as _basic
from glassnet.nn.functional import activation_inplace as _inplace
from glassnet.nn.functional import activation_piecewise as _piecewise
from glassnet.nn.functional import activation_smooth as _smooth
from glassnet.nn.functional import distance as _distance
from glassnet.nn.functional import pixel_shuffling as _pixel
from glassnet.tensor import Tensor

# by its full name: glassnet.nn.functional.dropout is the function, which shadows the module
_dropout = importlib.import_module("glassnet.nn.functional.dropout")

__all__: list = []  # not gathered into glassnet.nn.functional: they are there already


def feature_dropout(input, p, train):
    """``torch.feature_dropout``: one draw per (sample, channel) of an (N, C, ...) input, on
    any rank (what ``F.dropout2d`` does, without its warnings about the rank).

    >>> import glassnet
    >>> feature_dropout(glassnet.ones(2, 3), 0.5, False).shape
    glassnet.Size([2, 3])
    """
    _dropout._check("feature_dropout", input, p)
    return _dropout._feature_dropout("feature_dropout", input, p, train, False, True)


FUNCTIONS = {
    "selu": _basic.selu,
    "celu": _smooth.celu,
    "rrelu": _piecewise.rrelu,
    "prelu": _piecewise.prelu,
    "threshold": _piecewise.threshold,
    "hardshrink": _piecewise.hardshrink,
    "relu_": _inplace.relu_,
    "selu_": _inplace.selu_,
    "celu_": _inplace.celu_,
    "rrelu_": _inplace.rrelu_,
    "threshold_": _inplace.threshold_,
    "pixel_shuffle": _pixel.pixel_shuffle,
    "pixel_unshuffle": _pixel.pixel_unshuffle,
    "cosine_similarity": _distance.cosine_similarity,
    "pairwise_distance": _distance.pairwise_distance,
    "dropout": _dropout.dropout,
    "alpha_dropout": _dropout.alpha_dropout,
    "feature_alpha_dropout": _dropout.feature_alpha_dropout,
    "feature_dropout": feature_dropout,
}

TENSOR_METHODS = {"prelu": _piecewise.prelu, "hardshrink": _piecewise.hardshrink}


def install(namespace):
    """Add the functions to ``namespace`` (the ``glassnet`` package) and the methods to Tensor,
    leaving any name that is already defined as it is."""
    for name, fn in FUNCTIONS.items():
        namespace.setdefault(name, fn)
    for name, fn in TENSOR_METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
