"""Small torch names that are other spellings of what glassnet has: math constants, ``finfo`` and
``iinfo``, ``torch.clip``, ``torch.conv2d`` and the other functional ops PyTorch also puts at
the top level with the same arguments, and a few Tensor conversions.

>>> import glassnet
>>> glassnet.pi == __import__("math").pi, float(glassnet.finfo(glassnet.float32).eps) == 2.0**-23
(True, True)
>>> glassnet.tensor([1.7, -3.2]).short().tolist(), glassnet.ones(2, 3).ndimension()
([1, -3], 2)
"""

from __future__ import annotations

import math

import numpy as np

# torch.conv2d, torch.max_pool2d, ...: the same signature as their nn.functional namesakes.
# (torch.batch_norm, torch.embedding and the torch.* losses, whose arguments differ from F's,
# are in nn/functional/torch_level.py.)
_FUNCTIONAL_AT_TOP = (
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "layer_norm",
    "group_norm",
    "bilinear",
)


def finfo(dtype=None):
    """Machine limits of a float dtype (``eps``, ``max``, ``tiny``...), as ``torch.finfo``."""
    from glassnet import dtypes

    return np.finfo(dtypes.get_default_dtype() if dtype is None else dtype)


def iinfo(dtype):
    """Limits of an integer dtype (``min``, ``max``, ``bits``), as ``torch.iinfo``."""
    return np.iinfo(dtype)


def install(namespace, tensor_class):
    """Add the names to ``namespace`` (the ``glassnet`` package) and the Tensor methods,
    leaving any name that is already defined as it is."""
    from glassnet.nn import functional

    values = {
        "pi": math.pi,
        "e": math.e,
        "inf": math.inf,
        "nan": math.nan,
        "newaxis": None,
        "finfo": finfo,
        "iinfo": iinfo,
        "clip": namespace["clamp"],
    }
    values.update({name: getattr(functional, name) for name in _FUNCTIONAL_AT_TOP})
    for name, value in values.items():
        namespace.setdefault(name, value)
    methods = {
        "ndimension": lambda self: self.ndim,
        "short": lambda self: self.to(np.int16),
        "byte": lambda self: self.to(np.uint8),
        "char": lambda self: self.to(np.int8),
        "cfloat": lambda self: self.to(np.complex64),
        "cdouble": lambda self: self.to(np.complex128),
    }
    for name, method in methods.items():
        if not hasattr(tensor_class, name):
            method.__name__ = name
            setattr(tensor_class, name, method)
