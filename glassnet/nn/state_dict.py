"""Loading a state dict into a Module: the checks (every missing key, unexpected key and shape
mismatch in one error, in PyTorch's wording and order) and the copy into existing memory.

Values may be glassnet tensors, NumPy arrays, or anything with ``.detach().cpu().numpy()`` (a
PyTorch tensor, read without importing PyTorch), so weights move both ways.

>>> import numpy as np
>>> from glassnet import nn
>>> layer = nn.Linear(2, 1)
>>> layer.load_state_dict({"weight": np.ones((1, 2)), "bias": np.zeros(1)})
IncompatibleKeys(missing_keys=[], unexpected_keys=[])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def load_state_dict(module, state_dict, strict=True, assign=False):
    """``module.load_state_dict``: see Module.load_state_dict."""
    own = module.state_dict(keep_vars=True)
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = []
    for k, target in own.items():
        if k in state_dict:
            shape = tuple(_shape_of(state_dict[k]))
            if shape != tuple(target.shape):
                mismatched.append(
                    f"size mismatch for {k}: copying a param with shape {shape} from "
                    f"checkpoint, the shape in current model is {tuple(target.shape)}."
                )
    problems = []
    if strict and missing:
        problems.append(
            "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
        )
    if strict and unexpected:
        problems.append(
            "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
        )
    problems.extend(mismatched)
    if problems:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
            + "\n\t".join(problems)
        )
    for k, target in own.items():
        if k not in state_dict:
            continue
        value = state_dict[k]
        array = value._data if isinstance(value, Tensor) else _as_array(value)
        xp_array = backend.to_device(
            array.astype(target.dtype, copy=False) if array.dtype != target.dtype else array,
            backend.device_of(target._data),
        )
        if assign:
            target._data = xp_array.copy()
        else:
            target._data[...] = xp_array
        target._version[0] += 1
    return IncompatibleKeys(missing, unexpected)


def _shape_of(value):
    if isinstance(value, Tensor):
        return value.shape
    return getattr(value, "shape", ())


def _as_array(value):
    if hasattr(value, "detach"):  # a torch tensor, read through NumPy without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)
