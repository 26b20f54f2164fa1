"""glassnet.nn.init: fill a parameter in place with the starting values a layer learns from.

The names, arguments and formulas are PyTorch's. Every draw comes from glassnet's seeded
generator (``glassnet.manual_seed``), so a model made twice after the same seed is the same. The
values are written straight into the tensor's memory, outside autograd (as under ``no_grad``).

>>> import glassnet
>>> from glassnet.nn import init
>>> w = glassnet.empty(256, 128)
>>> _ = init.kaiming_uniform_(w, nonlinearity="relu")
>>> bool(abs(w.numpy()).max() <= (6 / 128) ** 0.5)
True
"""

from __future__ import annotations

import math

from glassnet import backend
from glassnet import random as grandom

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through ``nonlinearity``.

    >>> round(calculate_gain("relu"), 4), calculate_gain("tanh")
    (1.4142, 1.6666666666666667)
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


# ---- writing into a tensor -------------------------------------------------------------------
def _draw(tensor, sample, generator=None):
    """Fill ``tensor`` with ``sample(rng, shape, dtype)``, drawn in float32/64 on its device."""
    data = tensor._data
    rng = grandom.rng(backend.device_of(data), generator)
    dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"  # no float16 draws in NumPy
    values = sample(rng, data.shape, dtype)
    _write(tensor, values)
    return tensor


def _write(tensor, values):
    xp = backend.get_array_module(tensor._data)
    xp.copyto(tensor._data, values, casting="unsafe")
    tensor._version[0] += 1


def _floating(tensor, name):
    if tensor._data.dtype.kind != "f":
        raise TypeError(f"init.{name}: expected a floating point tensor, got {tensor.dtype}")


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b).

    >>> import glassnet
    >>> t = uniform_(glassnet.empty(1000), -2.0, 2.0)
    >>> bool(t.numpy().min() >= -2.0) and bool(t.numpy().max() < 2.0)
    True
    """
    _floating(tensor, "uniform_")
    return _draw(tensor, lambda g, s, d: g.random(s, dtype=d) * (b - a) + a, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2).

    >>> import glassnet
    >>> t = normal_(glassnet.empty(100000), 3.0, 0.5)
    >>> bool(abs(t.numpy().mean() - 3.0) < 0.01)
    True
    """
    _floating(tensor, "normal_")
    return _draw(tensor, lambda g, s, d: g.standard_normal(s, dtype=d) * std + mean, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) samples redrawn until they lie in [a, b] (absolute bounds).

    >>> import glassnet
    >>> t = trunc_normal_(glassnet.empty(10000), std=1.0, a=-0.5, b=0.5)
    >>> bool(abs(t.numpy()).max() <= 0.5)
    True
    """
    _floating(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")

    def sample(g, shape, dtype):
        xp = backend.get_array_module(tensor._data)
        out = g.standard_normal(shape, dtype=dtype) * std + mean
        # Rejection sampling is exact; when [a, b] holds almost no mass, clip the stragglers
        # rather than loop for ever.
        for _ in range(100):
            bad = (out < a) | (out > b)
            n_bad = int(bad.sum())
            if n_bad == 0:
                break
            out[bad] = g.standard_normal(n_bad, dtype=dtype) * std + mean
        return xp.clip(out, a, b)

    return _draw(tensor, sample, generator)


def constant_(tensor, val):
    """Fill with ``val``.

    >>> import glassnet
    >>> constant_(glassnet.empty(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    xp = backend.get_array_module(tensor._data)
    _write(tensor, xp.asarray(val, dtype=tensor._data.dtype))
    return tensor


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1)


def zeros_(tensor):
    """Fill with zeros.

    >>> import glassnet
    >>> zeros_(glassnet.ones(2))
    tensor([0., 0.])
    """
    return constant_(tensor, 0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal), e.g. an identity map.

    >>> import glassnet
    >>> eye_(glassnet.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if tensor._data.ndim != 2:
        raise ValueError(
            f"init.eye_: only tensors with 2 dimensions are supported, got shape "
            f"{tuple(tensor.shape)}"
        )
    xp = backend.get_array_module(tensor._data)
    _write(tensor, xp.eye(*tensor._data.shape, dtype=tensor._data.dtype))
    return tensor


# ---- variance-scaling schemes -----------------------------------------------------------------
def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: (out, in, *kernel) -> (in * k, out * k)."""
    shape = tensor._data.shape
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(shape)})"
        )
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); suits tanh/sigmoid nets.

    >>> import glassnet
    >>> w = xavier_uniform_(glassnet.empty(30, 20))
    >>> bool(abs(w.numpy()).max() <= (6 / 50) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tensor._data.shape:
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: U(-b, b) with b = gain * sqrt(3 / fan); suits ReLU nets (``nonlinearity='relu'``).

    >>> import glassnet
    >>> w = kaiming_uniform_(glassnet.empty(64, 32), nonlinearity="relu")
    >>> bool(abs(w.numpy()).max() <= (6 / 32) ** 0.5)
    True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:  # zero-element tensor: nothing to fill
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (rows or columns orthonormal), times ``gain``;
    dims after the first are flattened. Keeps RNN recurrences from exploding or vanishing.

    >>> import glassnet
    >>> import numpy as np
    >>> w = orthogonal_(glassnet.empty(3, 5)).numpy()
    >>> bool(np.allclose(w @ w.T, np.eye(3), atol=1e-5))
    True
    """
    shape = tensor._data.shape
    if len(shape) < 2:
        raise ValueError(
            f"init.orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{tuple(shape)}"
        )
    if tensor._data.size == 0:
        return tensor
    rows, cols = shape[0], tensor._data.size // shape[0]

    def sample(g, _shape, _dtype):
        xp = backend.get_array_module(tensor._data)
        flat = g.standard_normal((rows, cols), dtype="float64")
        if rows < cols:
            flat = flat.T
        q, r = xp.linalg.qr(flat)
        # Sign fix makes Q uniformly distributed (Haar), as in PyTorch.
        q = q * xp.sign(xp.diagonal(r))
        if rows < cols:
            q = q.T
        return (q * gain).reshape(shape)

    return _draw(tensor, sample, generator)
