"""Class conditioning shared by the generative models: labels as one-hot vectors or maps.

A conditional model gets the asked-for class as an extra input: concatenated as a one-hot vector
to a flat input (an MLP, a latent code), or as ``num_classes`` constant planes to an image.

>>> import glassnet
>>> one_hot(glassnet.tensor([2, 0]), 3, glassnet.float32).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
>>> label_planes(glassnet.tensor([1]), 2, 2, 2, glassnet.float32).shape
glassnet.Size([1, 2, 2, 2])
"""

from __future__ import annotations

import glassnet
import glassnet.nn.functional as F
from glassnet.nn._arguments import InvalidArgumentError


def check_labels(model, y):
    """Refuse a missing label for a conditional model, or a label for an unconditional one."""
    k = model.num_classes
    if k and y is None:
        raise InvalidArgumentError(
            f"{type(model).__name__} is class-conditional (num_classes={k}): give the labels y, "
            f"one int per example"
        )
    if not k and y is not None:
        raise InvalidArgumentError(
            f"{type(model).__name__} was built without num_classes, so it takes no labels y; "
            f"build it with num_classes=K to condition on the class"
        )


def one_hot(y, num_classes, dtype):
    """``(N,)`` int labels -> ``(N, num_classes)`` floats of ``dtype``."""
    return F.one_hot(y, num_classes).to(dtype)


def label_planes(y, num_classes, height, width, dtype):
    """``(N,)`` int labels -> ``(N, num_classes, height, width)``: plane ``y`` all ones."""
    v = one_hot(y, num_classes, dtype)[:, :, None, None]
    return v * glassnet.ones(1, 1, height, width, dtype=dtype, device=v.device)
