"""Random samplers with PyTorch's names: the in-place fills ``cauchy_``, ``exponential_``,
``geometric_``, ``log_normal_``, ``random_``, the Tensor methods ``bernoulli`` and
``multinomial``, and ``glassnet.binomial``/``glassnet.poisson``. Every draw comes from
glassnet's seeded generator (``glassnet.manual_seed``) or the ``generator`` given; the results
carry no gradient, as in PyTorch.

>>> import glassnet
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.empty(1000).exponential_(2.0)
>>> bool(x.min() > 0), round(float(x.mean()), 1)
(True, 0.5)
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet import random as grandom
from glassnet.ops.filling import _write_sample
from glassnet.tensor import Tensor


def _rng(t, generator):
    return grandom.rng(str(t.device), generator)


def _uniform_open(g, shape):
    """Uniform draws in (0, 1): no endpoint, so logs and tangents stay finite."""
    u = g.random(size=shape)
    xp = backend.get_array_module(u)
    return xp.where(u == 0, 0.5, u)


def cauchy_(t, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) samples: ``median + sigma * tan(pi * (u - 1/2))``."""
    u = _uniform_open(_rng(t, generator), t._data.shape)
    xp = backend.get_array_module(u)
    return _write_sample(t, median + sigma * xp.tan(math.pi * (u - 0.5)))


def exponential_(t, lambd=1.0, *, generator=None):
    """Fill with Exponential(rate ``lambd``) samples: ``-log(u) / lambd``."""
    if lambd <= 0:
        raise ValueError(f"exponential_ expects lambd > 0.0, but found lambd={lambd}")
    u = _uniform_open(_rng(t, generator), t._data.shape)
    xp = backend.get_array_module(u)
    return _write_sample(t, -xp.log(u) / lambd)


def geometric_(t, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise ValueError(f"geometric_ expects p to be in (0, 1), got p={p}")
    u = _uniform_open(_rng(t, generator), t._data.shape)
    xp = backend.get_array_module(u)
    return _write_sample(t, xp.ceil(xp.log(u) / math.log1p(-p)))


def log_normal_(t, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std^2))`` samples."""
    if std <= 0:
        raise ValueError(f"log_normal_ expects std > 0.0, but found std={std}")
    g = _rng(t, generator)
    xp = backend.get_array_module(t._data)
    return _write_sample(t, xp.exp(g.normal(mean, std, size=t._data.shape)))


def _top(dtype):
    """random_()'s upper end: every integer the dtype holds exactly (2^mantissa+1 for floats)."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + 1


def random_(t, *args, generator=None, **kwargs):
    """Fill with integers drawn uniformly: ``random_(to)`` from [0, to), ``random_(from, to)``
    from [from, to), ``random_()`` from [0, the largest integer the dtype holds exactly]."""
    low, high = 0, None
    if "from" in kwargs:
        low = kwargs.pop("from")
    if "to" in kwargs:
        high = kwargs.pop("to")
    if kwargs:
        raise TypeError(f"random_ got unexpected arguments {sorted(kwargs)}")
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    elif args:
        raise TypeError("random_ takes at most two positional arguments (from, to)")
    if high is None:
        high = _top(t._data.dtype)
    if low >= high:
        raise ValueError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    g = _rng(t, generator)
    draw = g.integers(int(low), int(high), size=t._data.shape, dtype=np.int64)
    return _write_sample(t, draw)


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws with the probabilities in ``input`` (or the number ``p``), input's dtype."""
    g = _rng(input, generator)
    u = g.random(size=input._data.shape)
    probs = input._data if p is None else p
    return Tensor._make((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the (unnormalised) weights of each row of ``input``."""
    from glassnet.creation import multinomial as draw

    if not replacement and num_samples > input.shape[-1]:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{input.shape[-1]} categories; pass replacement=True or fewer samples."
        )
    return draw(input, num_samples, replacement, generator)


def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws, elementwise (count and prob broadcast), count's dtype."""
    g = grandom.rng("cpu", generator)
    n = np.asarray(backend.to_numpy(count._data))
    p = np.asarray(backend.to_numpy(prob._data))
    draw = g.binomial(n.astype(np.int64), np.clip(p, 0.0, 1.0)).astype(n.dtype)
    return Tensor._make(backend.to_device(draw, str(count.device)))


def poisson(input, generator=None):
    """Poisson draws with the rates in ``input``, input's dtype."""
    g = grandom.rng("cpu", generator)
    rates = np.asarray(backend.to_numpy(input._data))
    if np.any(rates < 0):
        raise ValueError("poisson: the rates must be non-negative")
    draw = g.poisson(rates).astype(rates.dtype)
    return Tensor._make(backend.to_device(draw, str(input.device)))


TENSOR_METHODS = {
    "cauchy_": cauchy_,
    "exponential_": exponential_,
    "geometric_": geometric_,
    "log_normal_": log_normal_,
    "random_": random_,
    "bernoulli": bernoulli,
    "multinomial": multinomial,
}

__all__ = ["binomial", "poisson"]
