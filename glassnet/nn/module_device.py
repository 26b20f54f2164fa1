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
from glassnet import memory_formats as formats
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

    def to(self, *args, dtype=None, device=None, non_blocking=False, memory_format=None):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place
        (the Parameter objects stay the same, so an optimizer made earlier still holds them);
        ``memory_format=glassnet.channels_last`` lays the 4-D ones (convolution weights) out
        as (O, kh, kw, C), as PyTorch does."""
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
        if memory_format is formats.channels_last:
            self._convert(lambda a: formats.channels_last_array(a) if a.ndim == 4 else a)
        elif memory_format is formats.contiguous_format:
            self._convert(lambda a: backend.get_array_module(a).ascontiguousarray(a))
        elif memory_format is not None and memory_format is not formats.preserve_format:
            formats.check_format(memory_format, 4, "Module.to")
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
