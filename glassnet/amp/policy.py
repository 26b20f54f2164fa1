"""Which ``Function`` classes autocast runs in low precision and which in float32, mirroring
PyTorch's lists (``aten/src/ATen/autocast_mode.cpp``), for the glassnet ops that exist. The
functions PyTorch lists that glassnet composes of other ops (addmm, prod, the linalg solvers,
cat's promotion, ...) are cast at their entry points: ``glassnet.amp.entry_points``; the two
together are the table in ``docs/distributed.md``.

=================  ======================================  ======================================
device             low precision (inputs cast down)        float32 (inputs cast up)
=================  ======================================  ======================================
cpu  (bfloat16)    linear, matmul, mm, bmm, conv1d/2d/3d,  the losses
                   conv_transpose1d/2d/3d, prelu,
                   scaled_dot_product_attention, einsum
cuda (float16)     the cpu list, plus dot                  the cpu list, plus softmax,
                                                           log_softmax, layer_norm, group_norm,
                                                           logsumexp, vector norms, sum, cumsum
=================  ======================================  ======================================

Every other op runs in the dtype of its inputs (PyTorch's "fallthrough"): on the CPU,
``softmax`` of a bfloat16 tensor is bfloat16, as in ``torch.autocast('cpu')``. As in PyTorch,
only float32 tensors are cast down (float64 stays float64), and only float16/bfloat16 are cast up.

>>> sorted(name for name, _ in LOW["cpu"])[:3]
['ConvTranspose', 'ConvTransposeNd', 'Convolution']
"""

from __future__ import annotations

_CONV = [
    ("Convolution", "convolution"),
    ("ConvTranspose", "conv_transpose"),
    ("ConvolutionNd", "conv_nd"),
    ("ConvTransposeNd", "conv_nd"),
]
_MATMUL = [
    ("Linear", "linear"),
    ("MatMul", "linalg"),
    ("MatMul2D", "linalg"),
    ("Prelu", "activation"),
    ("ScaledDotProductAttention", "attention"),
    ("PackedSelfAttention", "attention"),
]
_LOSSES = [
    ("MSE", "loss"),
    ("L1", "loss"),
    ("SmoothL1", "loss"),
    ("Huber", "loss"),
    ("KLDiv", "loss"),
    ("BCE", "loss"),
    ("BCEWithLogits", "loss"),
    ("MarginRanking", "loss"),
    ("CosineEmbedding", "loss"),
    ("ClassLoss", "loss"),
]
_CUDA_FP32 = [
    ("Softmax", "softmax"),
    ("LogSoftmax", "softmax"),
    ("LayerNorm", "normalization"),
    ("GroupNorm", "normalization"),
    ("LogSumExp", "norm"),
    ("VectorNorm", "norm"),
    ("Sum", "reduction"),
    ("Cumsum", "scan"),
]

# einsum is not in PyTorch's CPU list, but it is composed of bmm there, which is
LOW = {
    "cpu": _CONV + _MATMUL + [("Einsum", "linalg")],
    "cuda": _CONV + _MATMUL + [("Einsum", "linalg"), ("Dot", "linalg")],
}
FP32 = {"cpu": _LOSSES, "cuda": _LOSSES + _CUDA_FP32}


def classes(entries):
    """The Function classes of ``(class name, glassnet.ops module)`` entries."""
    import importlib

    out = []
    for name, module in entries:
        mod = importlib.import_module(f"glassnet.ops.{module}")
        out.append(getattr(mod, name))
    return out
