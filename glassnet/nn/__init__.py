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
    "containers_params",
    "instance_norm",
    "activation",
    "activation_piecewise",
    "activation_smooth",
    "distance",
    "pixel_shuffle",
    "conv",
    "pooling",
    "fractional_pooling",
    "unpool",
    "fold",
    "normalization",
    "dropout",
    "sparse",
    "embedding_bag",
    "upsampling",
    "padding",
    "padding3d",
    "channel_shuffle",
    "recurrent",
    "attention",
    "transformer",
    "loss",
    "loss_margin",
    "adaptive_softmax",
]

_gather("glassnet.nn", _LAYER_MODULES, globals())

# modules: the torch.nn.modules.<file> paths of the layers above
from glassnet.nn import functional, init, modules, parallel, utils  # noqa: E402
from glassnet.nn.parallel import DataParallel  # noqa: E402  (torch.nn.DataParallel)
