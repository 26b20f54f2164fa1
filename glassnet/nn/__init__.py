"""glassnet.nn: layers, losses, initialisers and utilities with PyTorch's names.

Each layer file lists its public classes in ``__all__``; they are gathered here so that
``glassnet.nn.Linear`` and ``from glassnet import nn`` work as in PyTorch.
"""

from glassnet._exports import gather as _gather
from glassnet.nn.module import Module
from glassnet.nn.parameter import Buffer, Parameter

_LAYER_MODULES = [
    "linear",
    "containers",
    "activation",
    "conv",
    "pooling",
    "unpool",
    "fold",
    "normalization",
    "dropout",
    "sparse",
    "upsampling",
    "padding",
    "recurrent",
    "attention",
    "transformer",
    "loss",
]

_gather("glassnet.nn", _LAYER_MODULES, globals())

from glassnet.nn import functional, init, utils  # noqa: E402
