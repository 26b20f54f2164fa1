"""``weights=`` for the zoo's constructors: None (random initialisation), a path to a
safetensors or glassnet file (read with ``glassnet.load``, never pickle), or a state_dict.

>>> from glassnet.models.vision.resnet import resnet18
>>> model = resnet18(num_classes=2)
>>> again = resnet18(num_classes=2, weights=model.state_dict())
>>> bool((again.fc.weight == model.fc.weight).all())
True
"""

from __future__ import annotations

import os

import glassnet


def load_weights(model, weights, arch: str):
    """Load ``weights`` into ``model`` strictly (every key and shape must match) and return it."""
    if weights is None:
        return model
    if isinstance(weights, (str, os.PathLike)):
        weights = glassnet.load(weights)
    if not isinstance(weights, dict):
        raise TypeError(
            f"{arch}: weights should be None, a file path or a state_dict, "
            f"got {type(weights).__name__}"
        )
    model.load_state_dict(weights, strict=True)
    return model
