"""Autocast's casts at the Python entry points (``F.mse_loss``, ``F.softmax``, ``Tensor.mean``),
before glassnet's own argument checks run, for the ops kept in float32 and for the ops that
glassnet computes only in float32 but PyTorch runs in bfloat16 on the CPU.

``FP32``: floating inputs cast to float32, result float32 (PyTorch's "fp32" list).
``WIDEN`` (CPU): a bfloat16 input is computed in float32 and the result rounded back to
bfloat16, so the output dtype is PyTorch's (bfloat16) and the arithmetic is float32 (PyTorch's
CPU bfloat16 kernels for these ops accumulate in float32 too).
"""

from __future__ import annotations

import functools
import sys

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
]
FP32 = {
    "cpu": _LOSSES,
    "cuda": _LOSSES
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
}
WIDEN = {
    "cpu": [
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
        "max_pool3d",
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
    "cuda": [],
}
TENSOR_WIDEN = {"cpu": ["mean", "sum", "softmax", "log_softmax", "var", "std", "norm"], "cuda": []}
TENSOR_FP32 = {"cpu": [], "cuda": ["softmax", "log_softmax", "sum", "mean"]}

_cache = {}


def _is_low(t):
    return t._data.dtype.name in ("bfloat16", "float16")


def _map_tensors(obj, fn):
    from glassnet.tensor import Tensor

    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(o, fn) for o in obj)
    return obj


def fp32(original):
    import glassnet

    def up(t):
        return t.to(glassnet.float32) if _is_low(t) else t

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        args = [_map_tensors(a, up) for a in args]
        kwargs = {k: _map_tensors(v, up) for k, v in kwargs.items()}
        return original(*args, **kwargs)

    return wrapper


def widen(original):
    import glassnet
    from glassnet.tensor import Tensor

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        low = [a._data.dtype for a in args if isinstance(a, Tensor) and _is_low(a)]
        if not low:
            return original(*args, **kwargs)

        def up(t):
            return t.to(glassnet.float32) if _is_low(t) else t

        out = original(
            *[_map_tensors(a, up) for a in args],
            **{k: _map_tensors(v, up) for k, v in kwargs.items()},
        )
        return _map_tensors(out, lambda t: t.to(low[0]) if t.is_floating_point() else t)

    return wrapper


def locations(names):
    """(module, attribute, function) for every glassnet module attribute bound to one of
    ``glassnet.nn.functional``'s functions of these names (``from ... import`` copies too)."""
    key = (tuple(names), len(sys.modules))
    if key in _cache:
        return _cache[key]
    from glassnet.nn import functional as F

    originals = {id(getattr(F, n)): getattr(F, n) for n in names if hasattr(F, n)}
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
