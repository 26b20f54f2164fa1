"""``autocast``: run matmuls and convolutions in low precision, keep losses in float32
(PyTorch's ``torch.autocast``; the op lists are in ``glassnet.amp.policy``).

While an autocast region is active, the ``forward`` of each listed op (a ``Function`` class in
``glassnet.ops``) casts its floating inputs on the way in; the op's own backward is unchanged,
and the engine returns each gradient in its input's dtype, so float32 parameters get float32
gradients. On the CPU a low-precision op rounds its inputs to bfloat16, multiplies and adds in
float32 (as PyTorch's CPU kernels do) and rounds its output to bfloat16.

The switch is process-wide (the classes are patched while any region is open), not per thread.

>>> import glassnet
>>> from glassnet import nn
>>> lin = nn.Linear(4, 3)
>>> with autocast("cpu", dtype=glassnet.bfloat16):
...     y = lin(glassnet.randn(2, 4))
...     loss = nn.functional.mse_loss(y, glassnet.zeros(2, 3))
>>> y.dtype == glassnet.bfloat16, loss.dtype == glassnet.float32
(True, True)
"""

from __future__ import annotations

import functools

import numpy as np

from glassnet import backend
from glassnet.amp import policy

_active = []  # the open regions' (device_type, dtype, enabled), innermost last
_saved = {}  # Function class -> its own forward, while patched
_checks_saved = {}  # (module, name) -> a dtype check that autocast relaxes, while patched
# > 0 while an op wrapped at its entry point runs (glassnet.amp.entry_points): the ops it is
# made of run unpatched, as PyTorch turns autocast off inside an op it has cast
_suspended = [0]


def _low_dtype(device_type, dtype):
    if dtype is None:
        dtype = "bfloat16" if device_type == "cpu" else "float16"
    from glassnet.dtypes import as_dtype

    d = as_dtype(dtype)
    if d.name not in ("bfloat16", "float16"):
        raise ValueError(f"autocast: dtype must be glassnet.bfloat16 or glassnet.float16, got {d}")
    return d


def _is_float(a):
    return (
        hasattr(a, "dtype")
        and not isinstance(a, np.dtype)
        and (a.dtype.kind == "f" or a.dtype.name == "bfloat16")
    )


def _cast_down(a, low):
    if not (_is_float(a) and a.dtype.name in ("float32", low.name)):
        return a
    if backend.is_cuda_array(a):
        if low.name == "bfloat16":
            raise TypeError("autocast('cuda'): CuPy has no bfloat16; use dtype=glassnet.float16")
        return a.astype(low)
    # the values of the low dtype, kept in float32 so NumPy's BLAS does the float32
    # accumulation (NumPy's own float16 matmul would add in float16)
    return a.astype(low).astype(np.float32) if a.dtype.name == "float32" else a.astype(np.float32)


def _cast_up(a):
    if _is_float(a) and a.dtype.name in ("bfloat16", "float16"):
        return a.astype(np.float32)
    return a


def _low_forward(original, low):
    @functools.wraps(original)
    def forward(self, *args, **kwargs):
        if _suspended[0]:
            return original(self, *args, **kwargs)
        args = [_cast_down(a, low) for a in args]
        kwargs = {k: _cast_down(v, low) for k, v in kwargs.items()}
        out = original(self, *args, **kwargs)
        if _is_float(out) and out.dtype.name == "float32":
            out = out.astype(low)
        return out

    return forward


def _fp32_forward(original):
    @functools.wraps(original)
    def forward(self, *args, **kwargs):
        if _suspended[0]:
            return original(self, *args, **kwargs)
        args = [_cast_up(a) for a in args]
        kwargs = {k: _cast_up(v) for k, v in kwargs.items()}
        return original(self, *args, **kwargs)

    return forward


def _mixed_ok(original):
    # inside autocast a bfloat16 activation meets float32 weights: the op casts both itself
    @functools.wraps(original)
    def check(op, *tensors):
        if all(t is None or _is_float(t._data) for t in tensors):
            return None
        return original(op, *tensors)

    return check


_CHECKS = [("glassnet.ops.linear", "_check_dtypes")]


def _restore():
    for cls, own in _saved.items():
        if own is None:  # the class inherited its forward: drop the patch
            del cls.forward
        else:
            cls.forward = own
    _saved.clear()
    for (module, name), original in _checks_saved.items():
        setattr(module, name, original)
    _checks_saved.clear()


_plans = {}  # (device, dtype, number of modules) -> the patches, built once


def _plan(device_type, low):
    """The Function forwards and the other attributes to patch for a region on
    ``device_type`` with ``low``, as (owner, attribute, original, patched), built while
    nothing is patched; the wrappers are made once and reused by every region."""
    import sys

    key = (device_type, low.name, len(sys.modules))
    if key in _plans:
        return _plans[key]
    import importlib

    from glassnet.amp import entry_points as ep
    from glassnet.tensor import Tensor

    forwards = [
        (cls, "forward", cls.__dict__.get("forward"), _low_forward(cls.forward, low))
        for cls in policy.classes(policy.LOW[device_type])
    ]
    patches = {}
    for module_name, name in _CHECKS:
        module = importlib.import_module(module_name)
        patches[(module, name)] = (getattr(module, name), _mixed_ok(getattr(module, name)))
    # every location is found before any is patched: a function bound in two places
    # (glassnet.qr and glassnet.linalg.qr) is saved as itself, never as a wrapper
    found = [(ep.WRAPPERS[p], ep.locations(m, n)) for p, m, n in ep.FUNCTIONS[device_type]]
    found += [
        (ep.WRAPPERS[p], [(Tensor, n, Tensor.__dict__[n]) for n in names if n in Tensor.__dict__])
        for p, names in ep.TENSOR[device_type]
    ]
    for wrap, places in found:
        for owner, attr, fn in places:
            patches[(owner, attr)] = (fn, wrap(fn, low))
    if len(_plans) > 8:  # modules were imported since: the old plans are stale
        _plans.clear()
    others = [(owner, attr, own, new) for (owner, attr), (own, new) in patches.items()]
    _plans[key] = (forwards, others)
    return _plans[key]


def _apply(state):
    _restore()
    if state is None:
        return
    device_type, low, enabled = state
    if not enabled:
        return
    forwards, others = _plan(device_type, low)
    for cls, _, own, new in forwards:
        _saved[cls] = own
        cls.forward = new
    for owner, attr, own, new in others:
        _checks_saved[(owner, attr)] = own
        setattr(owner, attr, new)


class autocast:  # noqa: N801 - PyTorch's name
    """``with autocast("cpu", dtype=glassnet.bfloat16):`` or ``@autocast("cuda")``; nested
    regions (``enabled=False`` inside an enabled one) restore the outer policy on exit."""

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        if device_type not in ("cpu", "cuda"):
            raise ValueError(f"autocast: device_type must be 'cpu' or 'cuda', got {device_type!r}")
        self.device = device_type
        # no dtype given: the current one for the device (an inner ``enabled=False`` region
        # keeps the outer float16), as in PyTorch
        self.fast_dtype = (
            _low_dtype(device_type, dtype) if dtype else get_autocast_dtype(device_type)
        )
        self._enabled = bool(enabled)

    def __enter__(self):
        _active.append((self.device, self.fast_dtype, self._enabled))
        _apply(_active[-1])
        return self

    def __exit__(self, *exc):
        _active.pop()
        _apply(_active[-1] if _active else None)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type=None) -> bool:
    """Whether an enabled autocast region (for ``device_type``, if given) is open."""
    for device, _, enabled in reversed(_active):  # the innermost region for the device
        if device_type is None or device == device_type:
            return enabled
    return False


def _default_dtype(device_type):
    return _low_dtype(device_type, None)


def get_autocast_dtype(device_type: str = "cpu"):
    """The low-precision dtype autocast uses on ``device_type``: the innermost open region's
    for that device, else the default (bfloat16 on the CPU, float16 on CUDA), as in PyTorch.

    >>> from glassnet.amp import autocast
    >>> with autocast("cpu"):
    ...     str(get_autocast_dtype("cpu"))
    'bfloat16'
    """
    for device, dtype, _ in reversed(_active):
        if device == device_type:
            return dtype
    return _default_dtype(device_type)


def is_autocast_cpu_enabled() -> bool:
    """``torch.is_autocast_cpu_enabled``: an enabled CPU autocast region is open."""
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    """``torch.get_autocast_cpu_dtype``: get_autocast_dtype("cpu")."""
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    """``torch.get_autocast_gpu_dtype``: get_autocast_dtype("cuda")."""
    return get_autocast_dtype("cuda")
