"""Small helpers shared by the data tools: take a Tensor, a NumPy/CuPy array or a list, work on
the raw array, and hand back the same kind of thing that came in.

>>> import numpy as np, glassnet
>>> array, was_tensor = unwrap(glassnet.ones(2))
>>> type(array).__name__, was_tensor
('ndarray', True)
>>> type(wrap(np.zeros(2), was_tensor)).__name__
'Tensor'
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor


def unwrap(x):
    """``(array, was_tensor)``: the raw NumPy/CuPy array behind ``x``, and whether it was a
    Tensor."""
    if isinstance(x, Tensor):
        return x._data, True
    if isinstance(x, np.ndarray) or backend.is_cuda_array(x):
        return x, False
    return np.asarray(x), False


def wrap(array, as_tensor: bool):
    """``array`` as a Tensor when the input was one, else unchanged."""
    return Tensor._make(array) if as_tensor else array


def to_numpy(x) -> np.ndarray:
    """Any array-like (Tensor, CuPy array, list) as a NumPy array on the CPU."""
    return backend.to_numpy(unwrap(x)[0])


def take(x, indices):
    """Rows ``indices`` of ``x`` (Tensor, array or list), keeping its kind."""
    if isinstance(x, Tensor):
        xp = backend.get_array_module(x._data)
        return Tensor._make(x._data[xp.asarray(indices)])
    if isinstance(x, np.ndarray):
        return x[indices]
    if backend.is_cuda_array(x):
        return x[backend.get_array_module(x).asarray(indices)]
    return [x[int(i)] for i in indices]
