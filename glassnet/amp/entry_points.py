"""Autocast's casts at the Python entry points (``F.mse_loss``, ``glassnet.addmm``,
``Tensor.prod``), before glassnet's own argument checks run: for the ops PyTorch lists that
glassnet composes of other ops (so no single ``Function`` class to patch), and for the ops
that glassnet computes only in float32 but PyTorch runs in bfloat16 on the CPU.

Policies (each a wrapper below):

``fp32``: floating inputs cast to float32, result float32 (PyTorch's "fp32" list).
``low``: float32 inputs cast to the autocast dtype, so the whole op (``addmm``'s product and
its sum with ``input``) runs in low precision (PyTorch's "lower_precision_fp" list).
``promote``: floating inputs cast to the widest floating dtype among them (``index_copy``).
``widen`` (CPU): a bfloat16 input is computed in float32 and the result rounded back to
bfloat16, so the output dtype is PyTorch's (bfloat16) and the arithmetic is float32 (PyTorch's
CPU bfloat16 kernels for these ops accumulate in float32 too).
``keep``: the op runs as without autocast: ops PyTorch computes in one kernel that is in no
list (``mv``, ``addmv``), which glassnet composes of matmul.

As in PyTorch, an op wrapped here runs with autocast off inside it (``fp32``, ``widen``,
``keep``, ``promote``): the ops it is made of are not cast again.
"""

from __future__ import annotations

import functools
import sys

from glassnet.amp import autocast_mode
from glassnet.tensor_tree import tensors_in

_LOSSES = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "kl_div",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "poisson_nll_loss",
    "hinge_embedding_loss",
    "triplet_margin_loss",
    "ctc_loss",
]
_F = "glassnet.nn.functional"
# PyTorch's CPU fp32 list, for the glassnet functions that exist
_CPU_FP32 = [
    (
        _F,
        _LOSSES
        + [
            "avg_pool3d",
            "max_pool3d",
            "adaptive_avg_pool3d",
            "adaptive_max_pool3d",
            "max_unpool2d",
            "max_unpool3d",
            "fractional_max_pool2d",
            "fractional_max_pool3d",
            "grid_sample",
        ],
    ),
    (
        "glassnet",
        [
            "prod",
            "trace",
            "cdist",
            "quantile",
            "nanquantile",
            "stft",
            "polar",
            "inverse",
            "pinverse",
            "cholesky_inverse",
            "cholesky_solve",
            "triangular_solve",
            "qr",
            "svd",
        ],
    ),
    (
        "glassnet.linalg",
        [
            "inv",
            "inv_ex",
            "solve",
            "cholesky",
            "cholesky_ex",
            "eigvals",
            "eigvalsh",
            "eig",
            "eigh",
            "svd",
            "svdvals",
            "qr",
            "lstsq",
            "householder_product",
            "tensorinv",
            "tensorsolve",
            "matrix_rank",
            "cond",
        ],
    ),
    (
        "glassnet.fft",
        "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn hfft ihfft".split(),
    ),
]
_CUDA_FP32 = [
    (
        _F,
        _LOSSES
        + [
            "softmax",
            "log_softmax",
            "layer_norm",
            "group_norm",
            "softplus",
            "cosine_similarity",
            "pdist",
            "cdist",
        ],
    )
]
_CPU_WIDEN = [
    (
        _F,
        [
            "softmax",
            "log_softmax",
            "layer_norm",
            "group_norm",
            "batch_norm",
            "instance_norm",
            "rms_norm",
            "dropout",
            "max_pool1d",
            "max_pool2d",
            "avg_pool1d",
            "avg_pool2d",
            "adaptive_avg_pool1d",
            "adaptive_avg_pool2d",
            "adaptive_max_pool2d",
            "gelu",
            "silu",
            "softplus",
            "normalize",
        ],
    ),
    ("glassnet", ["norm", "logsumexp"]),
]
# binary ops PyTorch type-promotes: bfloat16 with float32 gives float32
_CPU_WIDEN_PROMOTED = [(_F, ["cosine_similarity", "pairwise_distance"])]
_LOW = [("glassnet", ["addmm", "baddbmm", "addbmm"]), ("glassnet.linalg", ["vecdot"])]
_LOW_METHODS = ["addmm", "baddbmm", "addbmm"]
# matmul, mm, bmm have Function classes in policy.LOW, which cast; the entry casts only
# operands of different dtypes, so that a float32 one meets a low one without the same-dtype
# check refusing it (same dtypes go straight to the Function: a small matmul stays cheap)
_LOW_MIXED = [("glassnet", ["matmul", "mm", "bmm"])]
_LOW_MIXED_METHODS = ["matmul", "__matmul__", "__rmatmul__", "mm", "bmm"]
_PROMOTE = [("glassnet", ["index_copy"])]
_KEEP = [("glassnet", ["mv", "addmv"])]

# device -> [(policy, module, names)]: module functions (every glassnet module attribute
# bound to one of them is patched); Tensor methods in TENSOR.
FUNCTIONS = {
    "cpu": [("fp32", m, n) for m, n in _CPU_FP32]
    + [("widen", m, n) for m, n in _CPU_WIDEN]
    + [("widen_promoted", m, n) for m, n in _CPU_WIDEN_PROMOTED]
    + [("low", m, n) for m, n in _LOW]
    + [("low_mixed", m, n) for m, n in _LOW_MIXED]
    + [("promote", m, n) for m, n in _PROMOTE]
    + [("keep", m, n) for m, n in _KEEP]
    + [("pad", _F, ["pad"])],
    "cuda": [("fp32", m, n) for m, n in _CUDA_FP32]
    + [("low", m, n) for m, n in _LOW]
    + [("low_mixed", m, n) for m, n in _LOW_MIXED]
    + [("promote", m, n) for m, n in _PROMOTE],
}
TENSOR = {
    "cpu": [
        ("widen", ["mean", "sum", "softmax", "log_softmax", "var", "std", "norm", "logsumexp"]),
        ("fp32", ["prod", "trace", "inverse", "pinverse", "quantile", "nanquantile"]),
        ("low", _LOW_METHODS),
        ("low_mixed", _LOW_MIXED_METHODS),
        ("promote", ["index_copy"]),
        ("keep", ["mv", "addmv"]),
    ],
    "cuda": [
        ("fp32", ["softmax", "log_softmax", "sum", "mean"]),
        ("low", _LOW_METHODS),
        ("low_mixed", _LOW_MIXED_METHODS),
        ("promote", ["index_copy"]),
    ],
}

_cache = {}
# > 0 inside a ``low`` op: the entry points it calls (addmm's matmul) do not cast again; the
# Function patches still give their float32 accumulation
_in_low = [0]


def _is_low(t):
    return t._data.dtype.name in ("bfloat16", "float16")


def _map_tensors(obj, fn):
    from glassnet.tensor import Tensor

    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(o, fn) for o in obj)
    return obj


def _call(original, fn, args, kwargs):
    """``original`` on the arguments mapped by ``fn``, with the Function patches off."""
    args = [_map_tensors(a, fn) for a in args]
    kwargs = {k: _map_tensors(v, fn) for k, v in kwargs.items()}
    autocast_mode._suspended[0] += 1
    try:
        return original(*args, **kwargs)
    finally:
        autocast_mode._suspended[0] -= 1


def fp32(original, low=None):
    import glassnet

    def up(t):
        return t.to(glassnet.float32) if _is_low(t) else t

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return _call(original, up, args, kwargs)

    return wrapper


def widen(original, low=None, promoted=False):
    import glassnet
    from glassnet.tensor import Tensor

    def up(t):
        return t.to(glassnet.float32) if _is_low(t) else t

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        found = [a._data.dtype for a in args if isinstance(a, Tensor) and _is_low(a)]
        wider = promoted and any(
            isinstance(a, Tensor) and a._data.dtype.name in ("float32", "float64") for a in args
        )
        out = _call(original, up, args, kwargs)
        if not found or wider:
            return out
        return _map_tensors(out, lambda t: t.to(found[0]) if t.is_floating_point() else t)

    return wrapper


def low(original, low, mixed_only=False):
    from glassnet.tensor import Tensor

    def down(t):
        return t.to(low) if t._data.dtype.name == "float32" else t

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if autocast_mode._suspended[0] or _in_low[0]:
            return original(*args, **kwargs)
        if mixed_only and len({a._data.dtype for a in args if isinstance(a, Tensor)}) < 2:
            return original(*args, **kwargs)
        args = [_map_tensors(a, down) for a in args]
        kwargs = {k: _map_tensors(v, down) for k, v in kwargs.items()}
        _in_low[0] += 1
        try:
            return original(*args, **kwargs)
        finally:
            _in_low[0] -= 1

    return wrapper


_WIDTH = {"bfloat16": 1, "float16": 1, "float32": 2, "float64": 3}


def promote(original, low=None):
    import numpy as np

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        found = {t._data.dtype for t in tensors_in([args, kwargs]) if t._data.dtype.name in _WIDTH}
        if len(found) <= 1:
            return _call(original, lambda t: t, args, kwargs)
        widest = max(found, key=lambda d: _WIDTH[d.name])
        if _WIDTH[widest.name] == 1:  # bfloat16 with float16: PyTorch meets in float32
            widest = np.dtype(np.float32)

        def to_widest(t):
            return t.to(widest) if t._data.dtype.name in _WIDTH else t

        return _call(original, to_widest, args, kwargs)

    return wrapper


def keep(original, low=None):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return _call(original, lambda t: t, args, kwargs)

    return wrapper


def pad(original, low=None):
    """PyTorch's fp32 list has reflection_pad1d/2d and replication_pad1d/2d/3d, not the
    constant, circular or 3-d reflection padding."""
    as_fp32 = fp32(original)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        amounts = kwargs.get("pad", args[1] if len(args) > 1 else ())
        mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
        if mode == "replicate" or (mode == "reflect" and len(amounts) <= 4):
            return as_fp32(*args, **kwargs)
        return original(*args, **kwargs)

    return wrapper


WRAPPERS = {
    "fp32": fp32,
    "widen": widen,
    "widen_promoted": functools.partial(widen, promoted=True),
    "low": low,
    "low_mixed": functools.partial(low, mixed_only=True),
    "promote": promote,
    "keep": keep,
    "pad": pad,
}


def locations(module_name, names):
    """(module, attribute, function) for every glassnet module attribute bound to one of
    ``module_name``'s functions of these names (``from ... import`` copies too)."""
    key = (module_name, tuple(names), len(sys.modules))
    if key in _cache:
        return _cache[key]
    import importlib

    source = importlib.import_module(module_name)
    originals = {id(getattr(source, n)): getattr(source, n) for n in names if hasattr(source, n)}
    found = []
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "glassnet" or modname.startswith("glassnet.")):
            continue
        if modname.startswith("glassnet.amp"):
            continue
        for attr, value in list(vars(mod).items()):
            if id(value) in originals and originals[id(value)] is value:
                found.append((mod, attr, value))
    _cache[key] = found
    return found
