"""How a Module moves and casts its parameters and buffers: ``to``, ``cpu``, ``cuda`` and the
dtype shortcuts, all in place, so an optimizer made earlier still holds the same Parameters. A
mixin of ``nn.Module``, kept apart from calling, state and printing.

>>> import glassnet
>>> from glassnet import nn
>>> nn.Linear(2, 3).double().weight.dtype
dtype('float64')
"""

from __future__ import annotations

from glassnet import backend, dtypes
from glassnet.tensor import Tensor

__all__ = []


class _ModuleDevice:
    """Device moves and dtype casts of a module tree (a mixin of ``nn.Module``)."""

    def _convert(self, fn):
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for t in registry.values():
                    if t is not None:
                        t._data = fn(t._data)
                        if t.grad is not None:
                            t.grad._data = fn(t.grad._data)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place
        (the Parameter objects stay the same, so an optimizer made earlier still holds them)."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda"):
                device = a
            else:
                dtype = a
        if device is not None:
            device = backend.normalize_device(device)
            self._convert(lambda a: backend.to_device(a, device))
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if not dtypes.is_floating(dtype):
                raise TypeError(f"Module.to only accepts floating dtypes, got {dtype}")
            self._convert(
                lambda a: a.astype(dtype) if dtypes.is_floating(a.dtype) and a.dtype != dtype else a
            )
        return self

    def cpu(self):
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Move every parameter and buffer to the GPU."""
        return self.to("cuda")

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self.to(dtypes.float32)

    def double(self):
        """Cast floating parameters and buffers to float64 (for gradient checks)."""
        return self.to(dtypes.float64)

    def half(self):
        """Cast floating parameters and buffers to float16."""
        return self.to(dtypes.float16)

    def bfloat16(self):
        """Cast floating parameters and buffers to bfloat16 (needs ml_dtypes, the [amp] extra)."""
        return self.to("bfloat16")
