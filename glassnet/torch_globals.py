"""The small torch names around tensors: creation spellings (``asarray``, ``scalar_tensor``,
``range``), in-place helpers at the top level (``fill_``, ``zero_``, ``detach_``,
``index_put_``), global settings (``seed``, ``default_generator``, ``get/set_num_threads``,
``get/set_default_device``, ``set_printoptions``), ``adjoint``/``mH``, ``histogramdd``, and
a few Tensor methods (``detach_``, ``renorm_``, ``register_post_accumulate_grad_hook``,
``name``). Installed into ``glassnet`` and ``glassnet.Tensor`` by ``install``.

>>> import glassnet
>>> glassnet.scalar_tensor(3), glassnet.asarray([1, 2]).dtype
(tensor(3.), dtype('int64'))
>>> glassnet.ones(2, 3).adjoint().shape, glassnet.short
(glassnet.Size([3, 2]), dtype('int16'))
"""

from __future__ import annotations

import builtins
import os
import warnings
from collections import namedtuple

import numpy as np

from glassnet import _tensor_str, backend, creation, dtypes
from glassnet import random as grandom
from glassnet.tensor import Device, Tensor

histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])

_threads = [os.cpu_count() or 1]


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor from ``obj``, sharing memory with a NumPy array or tensor when it can
    (``copy=True`` always copies, ``copy=False`` refuses to), as ``torch.asarray``."""
    if copy:
        data = obj._data if isinstance(obj, Tensor) else obj
        out = creation.tensor(
            np.array(backend.to_numpy(data)) if backend.is_cuda_array(data) else data,
            dtype=dtype,
            device=device,
        )
    else:
        out = creation.as_tensor(obj, dtype=dtype, device=device)
        if copy is False and isinstance(obj, (np.ndarray, Tensor)):
            src = obj._data if isinstance(obj, Tensor) else obj
            if not np.shares_memory(backend.to_numpy(out._data), backend.to_numpy(src)):
                raise ValueError("asarray: copy=False but the data must be copied to convert it")
    return out.requires_grad_(True) if requires_grad else out


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-D tensor of ``s`` (the default float dtype unless ``dtype`` says otherwise)."""
    return creation.tensor(
        s, dtype=dtype or dtypes.get_default_dtype(), device=device, requires_grad=requires_grad
    )


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """``torch.range`` (deprecated there): ``start`` to ``end`` inclusive, default float dtype;
    prefer ``arange``, which leaves ``end`` out."""
    warnings.warn(
        "glassnet.range is deprecated, as torch.range: it includes `end`, unlike Python's range; "
        "use glassnet.arange(start, end + step, step).",
        UserWarning,
        stacklevel=2,
    )
    count = int(np.floor((end - start) / step)) + 1
    values = start + step * np.arange(max(count, 0), dtype=np.float64)
    return creation.tensor(
        values,
        dtype=dtype or dtypes.get_default_dtype(),
        device=device,
        requires_grad=requires_grad,
    )


def fill(input, value):
    """A new tensor of input's shape and dtype, every element ``value``."""
    out = input.detach().clone()
    return (
        out.fill_(value)
        if not isinstance(value, Tensor)
        else (out * 0 + value.to(input.dtype).reshape(()))
    )


def fill_(input, value):
    """``input.fill_(value)``."""
    return input.fill_(value)


def zero_(input):
    """``input.zero_()``."""
    return input.zero_()


def detach_(input):
    """Cut ``input`` from the graph in place: it becomes a leaf that needs no grad."""
    if input._base is not None:
        raise RuntimeError(
            "detach_: cannot detach a view in place (as PyTorch); use .detach() instead."
        )
    input.grad_fn = None
    input.requires_grad = False
    return input


def index_put_(input, indices, values, accumulate=False):
    """``input.index_put_(indices, values, accumulate)``."""
    return input.index_put_(indices, values, accumulate)


def adjoint(input):
    """The conjugate transpose of the last two dims (a view for real tensors)."""
    if input.ndim < 2:
        raise RuntimeError(
            f"adjoint: tensor.adjoint() is only supported on matrices or batches of matrices, "
            f"got a {input.ndim}-D tensor."
        )
    out = input.transpose(-2, -1)
    return out.conj() if input._data.dtype.kind == "c" else out


def renorm_(input, p, dim, maxnorm):
    """``renorm`` in place: each slice along ``dim`` rescaled to p-norm at most ``maxnorm``."""
    return input._inplace(lambda old: old.renorm(p, dim, maxnorm))


def histogramdd(input, bins, range=None, weight=None, density=False):  # noqa: A002
    """A D-dimensional histogram of the (N, D) points in ``input``: ``(hist, bin_edges)``.
    ``bins``: one count for every dim, a count per dim, or a list of edge tensors; ``range``:
    (min0, max0, min1, max1, ...) (default: each dim's min and max)."""
    points = np.asarray(backend.to_numpy(input.detach()._data), dtype=np.float64)
    d = points.shape[-1]
    points = points.reshape(-1, d)
    if isinstance(bins, (int, np.integer)):
        bins = [int(bins)] * d
    edges_given = not isinstance(bins[0], (int, np.integer))
    np_bins = [
        np.asarray(backend.to_numpy(b._data), dtype=np.float64) if edges_given else int(b)
        for b in bins
    ]
    np_range = None
    if not edges_given:
        if range is not None:
            np_range = [(range[2 * i], range[2 * i + 1]) for i in builtins.range(d)]
        elif points.shape[0]:
            np_range = [(points[:, i].min(), points[:, i].max()) for i in builtins.range(d)]
    w = None if weight is None else np.asarray(backend.to_numpy(weight._data), dtype=np.float64)
    hist, edges = np.histogramdd(points, bins=np_bins, range=np_range, weights=w, density=density)
    dt, dev = input._data.dtype, str(input.device)
    return histogramdd_result(
        creation.tensor(hist.astype(dt), device=dev),
        tuple(creation.tensor(e.astype(dt), device=dev) for e in edges),
    )


def seed():
    """Seed the default generator from the operating system's entropy; return the seed."""
    value = int.from_bytes(os.urandom(8), "little") >> 1
    grandom.manual_seed(value)
    return value


def get_num_threads():
    """The threads glassnet's BLAS may use (set by set_num_threads; the CPU count otherwise)."""
    return _threads[0]


def set_num_threads(n):
    """Limit the threads of the BLAS behind NumPy's matrix products to ``n`` (through
    threadpoolctl when it is installed; otherwise the number is only recorded)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _threads[0] = n
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(n, user_api="blas")


def get_default_device():
    """The device new tensors go to when no ``device=`` is given (cpu unless changed)."""
    return Device(backend.normalize_device(None))


def set_default_device(device):
    """Make ``device`` ('cpu' or 'cuda') where factory functions put new tensors."""
    name = "cpu" if device is None else backend.normalize_device(device)
    backend.DEFAULT_DEVICE[0] = name


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """How tensors print, as ``torch.set_printoptions``: ``profile`` 'default' (4 digits,
    summarise past 1000 elements), 'short' (2 digits) or 'full' (never summarise), then the
    single options on top. ``sci_mode`` True or False forces scientific or fixed notation;
    None (the default, and what any call without it sets, as in PyTorch) picks it from the
    values."""
    profiles = {
        "default": (4, 1000, 3, 80),
        "short": (2, 1000, 2, 80),
        "full": (4, float("inf"), 3, 80),
    }
    if profile is not None:
        if profile not in profiles:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(profiles)}")
        (
            _tensor_str.PRECISION,
            _tensor_str.THRESHOLD,
            _tensor_str.EDGEITEMS,
            _tensor_str.LINEWIDTH,
        ) = profiles[profile]
    if precision is not None:
        _tensor_str.PRECISION = int(precision)
    if threshold is not None:
        _tensor_str.THRESHOLD = threshold
    if edgeitems is not None:
        _tensor_str.EDGEITEMS = int(edgeitems)
    if linewidth is not None:
        _tensor_str.LINEWIDTH = int(linewidth)
    _tensor_str.SCI_MODE = None if sci_mode is None else bool(sci_mode)


def register_post_accumulate_grad_hook(self, hook):
    """Call ``hook(tensor)`` on this leaf after backward has added into its ``.grad`` (an
    optimizer step per parameter, as in PyTorch); returns a handle with ``remove()``."""
    from glassnet.errors import AutogradError
    from glassnet.tensor import _HookHandle

    if not self.requires_grad:
        raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise AutogradError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = self.__dict__.setdefault("_post_accumulate_hooks", [])
    hooks.append(hook)
    return _HookHandle(hooks, hook)


FUNCTIONS = {
    "asarray": asarray,
    "scalar_tensor": scalar_tensor,
    "range": range,
    "fill": fill,
    "fill_": fill_,
    "zero_": zero_,
    "detach_": detach_,
    "index_put_": index_put_,
    "adjoint": adjoint,
    "histogramdd": histogramdd,
    "seed": seed,
    "get_num_threads": get_num_threads,
    "set_num_threads": set_num_threads,
    "get_default_device": get_default_device,
    "set_default_device": set_default_device,
    "set_printoptions": set_printoptions,
    "default_generator": grandom.default_generator,
    "dtype": np.dtype,  # glassnet dtypes are NumPy dtypes: isinstance(x.dtype, glassnet.dtype)
    "short": dtypes.int16,
}

TENSOR_METHODS = {
    "adjoint": adjoint,
    "detach_": detach_,
    "renorm_": renorm_,
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
}


def install(namespace):
    """Add the names to the ``glassnet`` namespace and the methods to Tensor (keeping any
    name already defined)."""
    for name, value in FUNCTIONS.items():
        namespace.setdefault(name, value)
    for name, method in TENSOR_METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, method)
    if not hasattr(Tensor, "mH"):
        Tensor.mH = property(adjoint, doc="The conjugate transpose of the last two dims.")
    if not hasattr(Tensor, "name"):
        # PyTorch's Tensor.name is None unless a graph-capturing tool has named the tensor
        Tensor.name = None
