"""How the Trainer reads batches: ``(inputs, targets)`` pairs or dicts with 'input' and
'target', moved to the model's device and passed to the model; and how it saves and restores
each submodule's train/eval flag around evaluation.

>>> import glassnet
>>> x, y = split_batch({"input": glassnet.ones(4, 2), "target": glassnet.zeros(4)})
>>> batch_size(y, x), split_inputs((x, y)) is x
(4, True)
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor


def training_modes(model):
    """Each submodule's train/eval flag, so that a mix (a frozen BatchNorm) survives eval."""
    return [(m, m.training) for m in model.modules()]


def restore_modes(modes):
    for module, mode in modes:
        object.__setattr__(module, "training", mode)


def split_batch(batch):
    """``(inputs, targets)`` from a pair or a dict with 'input' and 'target'."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, dict):
        if "input" in batch and "target" in batch:
            return batch["input"], batch["target"]
        raise ValueError(
            f"Trainer: a dict batch needs the keys 'input' and 'target'; it has {sorted(batch)}"
        )
    raise ValueError(
        f"Trainer: each batch must be an (inputs, targets) pair or a dict with 'input' and "
        f"'target'; got {describe(batch)}. A DataLoader over TensorDataset(x, y) gives pairs."
    )


def split_inputs(batch):
    if isinstance(batch, dict):
        return batch["input"] if "input" in batch else batch
    if isinstance(batch, (tuple, list)) and len(batch) in (1, 2):
        return batch[0]
    return batch


def describe(batch):
    if isinstance(batch, (tuple, list)):
        return f"a {type(batch).__name__} of {len(batch)} items"
    if isinstance(batch, Tensor):
        return f"a single Tensor of shape {tuple(batch.shape)}"
    return f"a {type(batch).__name__}"


def to_device(obj, device):
    """Tensors (in tuples, lists and dicts) moved to ``device``; NumPy arrays become Tensors."""
    if isinstance(obj, Tensor):
        return obj if backend.device_of(obj._data) == device else obj.to(device)
    if isinstance(obj, np.ndarray):
        return to_device(Tensor._make(obj), device)
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def call_model(model, inputs):
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    if isinstance(inputs, dict):
        return model(**inputs)
    return model(inputs)


def batch_size(targets, inputs):
    for obj in (targets, inputs):
        while isinstance(obj, (tuple, list)) and obj:
            obj = obj[0]
        if isinstance(obj, dict) and obj:
            obj = next(iter(obj.values()))
        shape = getattr(obj, "shape", None)
        if shape:
            return int(shape[0])
    return 1
