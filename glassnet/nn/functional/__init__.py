"""glassnet.nn.functional: the layers as functions (``import glassnet.nn.functional as F``).

One file per topic; each lists its functions in ``__all__`` and they are gathered here.
"""

from glassnet._exports import gather as _gather

_FUNCTIONAL_MODULES = [
    "activation",
    "activation_piecewise",
    "activation_smooth",
    "activation_inplace",
    "pixel_shuffling",
    "linear",
    "conv",
    "pooling",
    "fractional_pooling",
    "pooling_adaptive",
    "unpool",
    "fold",
    "normalization",
    "instance_normalization",
    "dropout",
    "sparse",
    "embedding_bags",
    "vision",
    "channel_shuffling",
    "interpolation",
    "distance",
    "pdist",
    "grid_sampling",
    "attention",
    "loss",
    "loss_margin",
]

_gather("glassnet.nn.functional", _FUNCTIONAL_MODULES, globals())

from glassnet.nn.functional import toplevel, torch_level  # noqa: E402,F401 - torch.<name> spellings
