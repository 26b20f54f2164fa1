"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn`` and the rest.

Names, arguments and default dtypes follow PyTorch (floats are float32, integers int64).

>>> import glassnet
>>> glassnet.zeros(2, 3).shape
glassnet.Size([2, 3])
>>> glassnet.arange(3)
tensor([0, 1, 2])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, dtypes
from glassnet import random as grandom
from glassnet.tensor import Tensor


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _xp(device):
    return np if device == "cpu" else backend.cupy_module()


def _finish(array, requires_grad):
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (a list, a number, a NumPy array or a tensor)."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = [_as_plain(d) for d in data]
    dtype = dtypes.as_dtype(dtype)
    if backend.is_cuda_array(data):
        array = data.astype(dtype or data.dtype, copy=True)
    else:
        array = np.array(data, dtype=dtype if dtype is not None else dtypes.infer_dtype(data))
    array = backend.to_device(array, backend.normalize_device(device))
    return _finish(array, requires_grad)


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _as_plain(d):
    if isinstance(d, Tensor):
        return backend.to_numpy(d._data)
    if isinstance(d, (list, tuple)):
        return [_as_plain(x) for x in d]
    return d


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array when no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, np.ndarray) and device in (None, "cpu"):
        dtype = dtypes.as_dtype(dtype)
        return Tensor._make(data if dtype is None else data.astype(dtype, copy=False))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def _filled(fill, size, dtype, device, requires_grad, default=None):
    """A new tensor made by ``fill(xp, shape, dtype)``; ``default``: the dtype when none is
    given (None: the default float dtype)."""
    device = backend.normalize_device(device)
    dtype = dtypes.as_dtype(dtype) or default or dtypes.get_default_dtype()
    return _finish(fill(_xp(device), _shape(size), dtype), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size (``zeros(2, 3)`` or ``zeros((2, 3))``).

    >>> import glassnet
    >>> glassnet.zeros(2, 2)
    tensor([[0., 0.],
            [0., 0.]])
    """
    return _filled(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size.

    >>> import glassnet
    >>> glassnet.ones(3, dtype=glassnet.int64)
    tensor([1, 1, 1])
    """
    return _filled(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size whose values are whatever the memory held (fill it yourself).

    >>> import glassnet
    >>> glassnet.empty(2, 3).shape
    glassnet.Size([2, 3])
    """
    return _filled(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size filled with ``fill_value`` (its dtype follows the value).

    >>> import glassnet
    >>> glassnet.full((2,), 7)
    tensor([7, 7])
    """
    default = dtypes.scalar_result(dtypes.bool_, fill_value)
    if isinstance(fill_value, bool):
        default = dtypes.bool_
    return _filled(
        lambda xp, s, d: xp.full(s, fill_value, d),
        (size,) if isinstance(size, int) else size,
        dtype,
        device,
        requires_grad,
        default,
    )


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An (n, m) matrix with ones on the diagonal (m defaults to n).

    >>> import glassnet
    >>> glassnet.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _filled(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from start (inclusive) to end (exclusive); int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    is_float = any(isinstance(v, float) for v in (start, end, step))
    default = dtypes.get_default_dtype() if is_float else dtypes.int64
    return _filled(
        lambda xp, s, d: xp.arange(start, end, step).astype(d),
        (),
        dtype,
        device,
        requires_grad,
        default,
    )


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end, both included.

    >>> import glassnet
    >>> glassnet.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    return _filled(
        lambda xp, s, d: xp.linspace(start, end, int(steps)).astype(d),
        (),
        dtype,
        device,
        requires_grad,
    )


def _like(fill, other, dtype, device, requires_grad):
    device = backend.normalize_device(device) if device is not None else other.device
    dtype = dtypes.as_dtype(dtype) or other.dtype
    return _finish(fill(_xp(device), tuple(other.shape), dtype), requires_grad)


def zeros_like(other, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape, dtype and device of ``other`` (unless given).

    >>> import glassnet
    >>> glassnet.zeros_like(glassnet.tensor([1, 2]))
    tensor([0, 0])
    """
    return _like(lambda xp, s, d: xp.zeros(s, d), other, dtype, device, requires_grad)


def ones_like(other, dtype=None, device=None, requires_grad=False):
    """Ones with the shape, dtype and device of ``other`` (unless given).

    >>> import glassnet
    >>> glassnet.ones_like(glassnet.zeros(2))
    tensor([1., 1.])
    """
    return _like(lambda xp, s, d: xp.ones(s, d), other, dtype, device, requires_grad)


def empty_like(other, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with the shape, dtype and device of ``other``.

    >>> import glassnet
    >>> glassnet.empty_like(glassnet.zeros(2, 3)).shape
    glassnet.Size([2, 3])
    """
    return _like(lambda xp, s, d: xp.empty(s, d), other, dtype, device, requires_grad)


def full_like(other, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, with the shape, dtype and device of ``other``.

    >>> import glassnet
    >>> glassnet.full_like(glassnet.zeros(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    return _like(lambda xp, s, d: xp.full(s, fill_value, d), other, dtype, device, requires_grad)


# ---- random --------------------------------------------------------------------------------
def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1)."""
    return _random(
        lambda g, s, d: g.random(s, dtype=d), size, dtype, device, requires_grad, generator
    )


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples."""
    return _random(
        lambda g, s, d: g.standard_normal(s, dtype=d), size, dtype, device, requires_grad, generator
    )


def _random(draw, size, dtype, device, requires_grad, generator):
    device = backend.normalize_device(device)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    g = grandom.rng(device, generator)
    # NumPy draws float32/float64 directly; float16 goes through float32.
    draw_dtype = dtype if dtype in (dtypes.float32, dtypes.float64) else dtypes.float32
    return _finish(draw(g, _shape(size), draw_dtype).astype(dtype, copy=False), requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None):
    """Integers drawn uniformly from [low, high)."""
    if high is None or isinstance(high, (tuple, list)):  # randint(high, size), as in PyTorch
        low, high, size = 0, low, size if high is None else high
    device = backend.normalize_device(device)
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    g = grandom.rng(device, generator)
    return Tensor._make(g.integers(low, high, size=_shape((size,)), dtype=np.int64).astype(dtype))


def randperm(n, dtype=None, device=None, generator=None):
    """A random ordering of 0..n-1.

    >>> import glassnet
    >>> sorted(glassnet.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    device = backend.normalize_device(device)
    g = grandom.rng(device, generator)
    return Tensor._make(g.permutation(n).astype(dtypes.as_dtype(dtype) or dtypes.int64))


def _random_like(draw, other, dtype, device, requires_grad):
    return draw(
        *other.shape,
        dtype=dtype or other.dtype,
        device=device or other.device,
        requires_grad=requires_grad,
    )


def rand_like(other, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) with the shape, dtype and device of ``other``.

    >>> import glassnet
    >>> glassnet.rand_like(glassnet.zeros(2, 3)).shape
    glassnet.Size([2, 3])
    """
    return _random_like(rand, other, dtype, device, requires_grad)


def randn_like(other, dtype=None, device=None, requires_grad=False):
    """Standard normal samples with the shape, dtype and device of ``other``.

    >>> import glassnet
    >>> glassnet.randn_like(glassnet.zeros(4)).shape
    glassnet.Size([4])
    """
    return _random_like(randn, other, dtype, device, requires_grad)


def randint_like(other, low, high=None, dtype=None, device=None):
    """Integers drawn uniformly from [low, high) with the shape of ``other``.

    >>> import glassnet
    >>> glassnet.randint_like(glassnet.zeros(3, dtype=glassnet.int64), 5).shape
    glassnet.Size([3])
    """
    return randint(
        low, high, tuple(other.shape), dtype=dtype or other.dtype, device=device or other.device
    )


def normal(mean, std, size, generator=None, dtype=None, device=None):
    """Normal samples of mean ``mean`` and standard deviation ``std`` (numbers).

    >>> import glassnet
    >>> glassnet.normal(0.0, 2.0, (2, 2)).shape
    glassnet.Size([2, 2])
    """
    return randn(*_shape((size,)), dtype=dtype, device=device, generator=generator) * std + mean


def bernoulli(probs, generator=None):
    """1 with probability ``probs`` (a tensor), else 0."""
    g = grandom.rng(probs.device, generator)
    draw = g.random(tuple(probs.shape), dtype=dtypes.float32)
    return Tensor._make((draw < probs._data).astype(probs.dtype))


def multinomial(probs, num_samples, replacement=False, generator=None):
    """Indices sampled from the rows of ``probs`` (unnormalised weights), as torch.multinomial."""
    p = backend.to_numpy(probs._data).astype(np.float64)
    squeeze = p.ndim == 1
    p = p.reshape(-1, p.shape[-1])
    g = grandom.rng("cpu", generator)
    rows = [
        g.choice(p.shape[1], size=num_samples, replace=replacement, p=row / row.sum()) for row in p
    ]
    out = np.stack(rows).astype(np.int64)
    out = out[0] if squeeze else out
    return Tensor._make(backend.to_device(out, str(probs.device)))
