"""A Conv2d followed by an eval-mode BatchNorm2d, run as one step when nothing is recorded.

In inference the batch norm is a per-channel ``y * scale + shift`` with constants from its
running statistics. ``Sequential``'s gradient-free path (no grad mode, no hooks) hands such a
pair to ``fold_conv_norm``: the convolution makes its output array and the batch norm's
scale and shift are written into that array (``ops.norm_fold``), so the pair costs one layer
call, one output array and no graph. The numbers are the eager ones bit for bit: the same
convolution, then the same scale and shift expressions as ``ops.normalization.BatchNorm``.

Why into the output and not into the weights (``w * scale``): folded weights would have to
be cached to pay off, and a cache of parameters can go stale; ``p.data.mul_(2)`` changes a
weight without any version counter seeing it. Recomputing the C numbers of scale and shift on
every call costs microseconds and can never be stale.

>>> import glassnet
>>> from glassnet import nn
>>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
>>> with glassnet.no_grad():
...     fused = net(glassnet.ones(1, 3, 5, 5))
>>> bool((fused == net[1](net[0](glassnet.ones(1, 3, 5, 5)))).all())
True
"""

from __future__ import annotations

from glassnet import autograd, backend
from glassnet.amp import autocast_mode as _autocast
from glassnet.nn.normalization import BatchNorm2d
from glassnet.ops.norm_fold import eval_batch_norm_
from glassnet.tensor import Tensor
from glassnet.tensor import wrap as _wrap

__all__ = ["fold_conv_norm"]


def fold_conv_norm(conv, norm, input):
    """``norm(conv(input))`` as one step, or None where the pair must run as two layers:
    the norm is not an eval-mode BatchNorm2d with running statistics, something observes or
    rewrites the ops (a tracer, autocast), the input is not a batched (N, C, H, W) CPU
    array, or the dtypes or channel counts disagree (the eager layers then raise their own
    errors). The caller (Sequential) has already checked that no graph is recorded and no
    hook is registered, and that ``conv`` is a plain Conv2d."""
    if (
        type(norm) is not BatchNorm2d
        or norm.training
        or "forward" in norm.__dict__
        or "forward" in conv.__dict__
        or conv.padding_mode != "zeros"
        or autograd._tracer is not None  # compile and ONNX export must see both ops
        or _autocast._saved
        or backend._cupy is not None
        or not isinstance(input, Tensor)
    ):
        return None
    buffers, params = norm._buffers, norm._parameters
    mean, var = buffers["running_mean"], buffers["running_var"]
    if mean is None or var is None:
        return None
    x = input._data
    weight, bias = conv._parameters["weight"], conv._parameters["bias"]
    gamma, beta = params.get("weight"), params.get("bias")
    dtype = x.dtype
    if (
        x.ndim != 4
        or dtype.kind != "f"  # bfloat16 takes the layers (float32 inside)
        or conv.out_channels != norm.num_features
        or mean._data.shape != (norm.num_features,)
        or any(
            t is not None and t._data.dtype != dtype for t in (weight, bias, mean, var, gamma, beta)
        )
    ):
        return None
    y = conv._infer(input, weight, bias)  # a new array only this call holds
    eval_batch_norm_(
        y,
        mean._data,
        var._data,
        None if gamma is None else gamma._data,
        None if beta is None else beta._data,
        norm.eps,
    )
    return _wrap(y)
