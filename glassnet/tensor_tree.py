"""Finding the tensors in a nest of tuples, lists and dicts: a batch, a model's outputs, an
op's arguments. Autocast's promotion, DistributedDataParallel's hooks and the trainer's
non-finite check all walk such nests the same way.

>>> import glassnet
>>> a, b = glassnet.ones(1), glassnet.zeros(2)
>>> [t.shape for t in tensors_in({"x": a, "rest": [b, 3, "label"]})]
[glassnet.Size([1]), glassnet.Size([2])]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor


def tensors_in(obj, arrays=False):
    """Every Tensor in ``obj`` (tuples, lists and dict values, to any depth), in order; with
    ``arrays``, NumPy and CuPy arrays too."""
    if isinstance(obj, Tensor):
        yield obj
    elif arrays and (isinstance(obj, np.ndarray) or backend.is_cuda_array(obj)):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from tensors_in(item, arrays)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from tensors_in(item, arrays)
