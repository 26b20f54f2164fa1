"""Parameter: a tensor a Module learns. Assigning one to a module attribute registers it.

>>> import glassnet
>>> p = glassnet.nn.Parameter(glassnet.zeros(2))
>>> p.requires_grad, p.is_leaf
(True, True)
"""

from __future__ import annotations

from glassnet.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and shows up in ``module.parameters()``."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            import numpy as np

            data = np.empty((0,), dtype="float32")
        if isinstance(data, Tensor):
            data = data._data
        self._data = data
        self._version = [0]
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        raise TypeError("glassnet never pickles parameters; save with glassnet.save (safetensors)")

    def __deepcopy__(self, memo):
        new = Parameter(self._data.copy(), requires_grad=self.requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new


class Buffer(Tensor):
    """Marks a tensor to register as a buffer when assigned to a module (as torch.nn.Buffer)."""

    def __init__(self, data, persistent=True):
        self._data = data._data if isinstance(data, Tensor) else data
        self._version = [0]
        self.persistent = persistent
