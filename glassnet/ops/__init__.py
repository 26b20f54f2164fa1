"""The differentiable ops: one Function per primitive, forward and backward side by side.

Each op module lists in ``TENSOR_METHODS`` the functions that also become Tensor methods, so
``glassnet.exp(x)`` and ``x.exp()`` are one function. ``FUNCTIONS`` lists what becomes a
``glassnet.*`` function when the name differs or the module wants to hide something.
"""

from __future__ import annotations

import importlib

from glassnet.ops._util import accept_numpy_names
from glassnet.tensor import Tensor

# Order matters only in that later modules may override earlier names.
MODULES = [
    "conversion",
    "arithmetic",
    "elementwise",
    "comparison",
    "reduction",
    "extremes",
    "shape",
    "indexing",
    "linalg",
    "softmax",
    "operators",
    "filling",
    "sorting",
    # the math surface beyond the basics (PyTorch names; one concept per file)
    "trigonometric",
    "pointwise_binary",
    "pointwise_unary",
    "bitwise",
    "cumulative",
    "order_statistics",
    "moments",
    "histogram",
    "set_ops",
    "diagonals",
    "products",
    "grids",
    "repeats",
    "windows",
    "linalg_solve",
    "linalg_cholesky",
    "linalg_spectral",
    "linalg_norms",
    "linalg_extra",
    "linalg_torch_names",
    "special_erf",
    "special_gamma",
    "special_incomplete_gamma",
    "special_misc",
    "scatter_reduce",
    "complex_ops",
    "fft",
    "shape_more",
    "numeric_misc",
    "inplace_functions",
    "inplace_shape",
    "samplers",
    "spectral_windows",
    "stft",
    "lowrank",
]

_loaded = [importlib.import_module(f"glassnet.ops.{_name}") for _name in MODULES]

# Every function with a ``dim`` also takes ``axis=`` (and ``keepdims=``), as in PyTorch.
_aliased = {}


def _with_aliases(func):
    if not callable(func) or isinstance(func, type):
        return func
    key = id(func)
    if key not in _aliased:
        _aliased[key] = accept_numpy_names(func)
    return _aliased[key]


for _module in _loaded:
    for _method, _func in getattr(_module, "TENSOR_METHODS", {}).items():
        setattr(Tensor, _method, _with_aliases(_func))


def public_functions():
    """name -> function for everything the op modules export as ``glassnet.*``."""
    out = {}
    for module in _loaded:
        for name in getattr(module, "__all__", ()):
            out[name] = _with_aliases(getattr(module, name))
    return out
