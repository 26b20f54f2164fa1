"""Filling and copying tensors in place (``zero_``, ``fill_``, ``copy_``, random ``uniform_`` and
``normal_``) and making new tensors like an existing one (``new_zeros`` and friends).

Under ``no_grad`` (optimizer steps, initialisers) they write straight into memory; while a graph
is recorded they go through ``Tensor._inplace``, so gradients stay correct: the overwritten
values get zero gradient, and ``copy_`` sends the gradient on to its source.

>>> import glassnet
>>> t = glassnet.ones(2, 3)
>>> t.zero_().sum().item()
0.0
>>> t.copy_(glassnet.tensor([1.0, 2.0, 3.0]))[1].tolist()
[1.0, 2.0, 3.0]
"""

from __future__ import annotations

from glassnet import backend, dtypes
from glassnet import random as grandom
from glassnet.grad_mode import is_grad_enabled
from glassnet.tensor import Tensor


def _untracked(t, *others):
    return not is_grad_enabled() or not (
        t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
    )


def fill_(t: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a one-element tensor)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"fill_: the value must be a number or a one-element tensor, got shape "
                f"{tuple(value.shape)}; use copy_ to copy a whole tensor"
            )
        value = value.item() if _untracked(t, value) else value
    if _untracked(t, value):
        t._write(_full(t, value))
        return t
    from glassnet.ops.selection import where

    everywhere = Tensor._make(backend.get_array_module(t._data).ones(t._data.shape, dtype=bool))
    fill = value if isinstance(value, Tensor) else Tensor._make(_full(t, value)[()])
    return t._inplace(lambda old: where(everywhere, fill.to(old.dtype), old))


def _full(t, value):
    xp = backend.get_array_module(t._data)
    return xp.full(t._data.shape, value, dtype=t._data.dtype)


def zero_(t: Tensor) -> Tensor:
    """Set every element to zero."""
    return fill_(t, 0)


def copy_(t: Tensor, src, non_blocking=False) -> Tensor:
    """Copy ``src`` into ``t`` (broadcasting, casting to t's dtype, moving across devices)."""
    if not isinstance(src, Tensor):
        from glassnet.creation import tensor

        src = tensor(src)
    if _untracked(t, src):
        array = backend.to_device(src._data, backend.device_of(t._data))
        xp = backend.get_array_module(t._data)
        t._write(xp.broadcast_to(array, t._data.shape).astype(t._data.dtype, copy=False))
        return t
    from glassnet.ops.selection import where

    source = src.to(str(t.device)).to(t.dtype)
    everywhere = Tensor._make(backend.get_array_module(t._data).ones(t._data.shape, dtype=bool))
    # where() keeps both sides in the graph: the gradient reaches src, and the old values get 0.
    return t._inplace(lambda old: where(everywhere, source, old))


def uniform_(t: Tensor, a=0.0, b=1.0, generator=None) -> Tensor:
    """Fill with samples from U(a, b), drawn from glassnet's seeded generator."""
    g = grandom.rng(str(t.device), generator)
    draw = g.uniform(a, b, size=t._data.shape)
    return _write_sample(t, draw)


def normal_(t: Tensor, mean=0.0, std=1.0, generator=None) -> Tensor:
    """Fill with samples from N(mean, std^2), drawn from glassnet's seeded generator."""
    g = grandom.rng(str(t.device), generator)
    draw = g.normal(mean, std, size=t._data.shape)
    return _write_sample(t, draw)


def bernoulli_(t: Tensor, p=0.5, generator=None) -> Tensor:
    """Fill with 1 where a uniform draw falls below ``p``, else 0."""
    g = grandom.rng(str(t.device), generator)
    return _write_sample(t, g.random(size=t._data.shape) < p)


def _write_sample(t, draw):
    if not _untracked(t):
        raise RuntimeError(
            "a random fill of a tensor that requires grad is not recorded by autograd; "
            "wrap it in `with glassnet.no_grad():` (as nn.init does)"
        )
    t._write(draw.astype(t._data.dtype, copy=False))
    return t


def is_contiguous(t: Tensor, memory_format=None) -> bool:
    """True when the elements are laid out row-major without gaps (as after .contiguous()),
    or with ``memory_format=glassnet.channels_last`` as (N, H, W, C)."""
    from glassnet import memory_formats as formats

    if memory_format is formats.channels_last:
        return t._data.ndim == 4 and formats.is_channels_last_array(t._data)
    return bool(t._data.flags.c_contiguous)


def stride(t: Tensor, dim=None):
    """The step in elements between neighbours along each dim (``x.stride()``), or along one.

    >>> import glassnet
    >>> glassnet.zeros(2, 3).stride(), glassnet.zeros(2, 3).t().stride(0)
    ((3, 1), 1)
    """
    steps = tuple(s // t._data.itemsize for s in t._data.strides)
    return steps if dim is None else steps[dim]


def _new(fill):
    def make(t, *size, dtype=None, device=None, requires_grad=False):
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        xp = backend.get_array_module(t._data)
        if device is not None:
            xp = backend.get_array_module(backend.to_device(t._data[:0], str(device)))
        array = fill(xp, tuple(int(s) for s in shape), dtypes.as_dtype(dtype) or t._data.dtype)
        out = Tensor._make(array)
        return out.requires_grad_(True) if requires_grad else out

    return make


def new_full(t, size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``, with t's dtype and device by default."""
    return _new(lambda xp, s, d: xp.full(s, fill_value, dtype=d))(
        t, size, dtype=dtype, device=device, requires_grad=requires_grad
    )


def new_tensor(t, data, dtype=None, device=None, requires_grad=False):
    """A new tensor from ``data`` with t's dtype and device by default."""
    from glassnet.creation import tensor

    return tensor(
        data, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


TENSOR_METHODS = {
    "fill_": fill_,
    "zero_": zero_,
    "copy_": copy_,
    "uniform_": uniform_,
    "normal_": normal_,
    "bernoulli_": bernoulli_,
    "is_contiguous": is_contiguous,
    "stride": stride,
    "nelement": lambda t: t.numel(),
    "new_zeros": _new(lambda xp, s, d: xp.zeros(s, dtype=d)),
    "new_ones": _new(lambda xp, s, d: xp.ones(s, dtype=d)),
    "new_empty": _new(lambda xp, s, d: xp.empty(s, dtype=d)),
    "new_full": new_full,
    "new_tensor": new_tensor,
}
__all__ = []
