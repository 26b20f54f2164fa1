"""glassnet.nn: layers, losses, initialisers and utilities with PyTorch's names.

Each layer file lists its public classes in ``__all__``; they are gathered here so that
``glassnet.nn.Linear`` and ``from glassnet import nn`` work as in PyTorch.
"""

import importlib as _importlib

from glassnet.nn.module import Module
from glassnet.nn.parameter import Buffer, Parameter

_LAYER_MODULES = [
    "linear",
    "containers",
    "activation",
    "conv",
    "pooling",
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

for _name in _LAYER_MODULES:
    _module = _importlib.import_module(f"glassnet.nn.{_name}")
    for _public in getattr(_module, "__all__", ()):
        globals()[_public] = getattr(_module, _public)

from glassnet.nn import functional, init, utils  # noqa: E402
