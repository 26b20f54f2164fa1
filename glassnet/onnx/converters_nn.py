"""Converters of the layers' ops: linear, convolution, pooling, normalization, embedding,
indexing by arrays and attention (see converters.py for the calling convention)."""

from __future__ import annotations

import numpy as np

from glassnet.nn.functional.sparse import EmbeddingLookup
from glassnet.onnx.converters import converts, dtype_of
from glassnet.onnx.errors import ExportError
from glassnet.ops import (
    attention,
    conv_transpose,
    convolution,
    depthwise_conv,
    index_gather,
    linear,
    normalization,
    pooling,
)


@converts(linear.Linear)
def _linear(g, a, node):
    x, w, b = a["x"], a["weight"], a["bias"]
    if x.ndim == 2:
        inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        return g.add("Gemm", inputs, transB=1)
    y = g.add("MatMul", [g.value(x), g.add("Transpose", [g.value(w)], perm=[1, 0])])
    return y if b is None else g.add("Add", [y, g.value(b)])


def _conv_geometry(x, w, stride, padding, dilation):
    """ONNX's strides, pads and dilations from glassnet's (top, bottom, left, right) pads."""
    if w.ndim == 3:
        return list(stride)[-1:], [padding[0], padding[1]], list(dilation)[-1:]
    return list(stride), [padding[0], padding[2], padding[1], padding[3]], list(dilation)


def _batched(g, x, w, node, what):
    if x.ndim != w.ndim:
        raise ExportError(
            f"{what} of an unbatched input (shape {tuple(x.shape)}) cannot be exported", node
        )


@converts(convolution.Convolution)
def _conv(g, a, node):
    x, w, b = a["x"], a["w"], a["bias"]
    _batched(g, x, w, node, "convolution")
    strides, pads, dilations = _conv_geometry(x, w, a["stride"], a["padding"], a["dilation"])
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    return g.add(
        "Conv",
        inputs,
        kernel_shape=list(w.shape[2:]),
        strides=[int(s) for s in strides],
        pads=[int(p) for p in pads],
        dilations=[int(d) for d in dilations],
        group=int(a["groups"]),
    )


@converts(depthwise_conv.DepthwiseConv)
def _depthwise_conv(g, a, node):
    # The depthwise fast path is ONNX's grouped Conv with one group per channel.
    x, w, b = a["x"], a["w"], a["bias"]
    strides, pads, dilations = _conv_geometry(x, w, a["stride"], a["padding"], a["dilation"])
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    return g.add(
        "Conv",
        inputs,
        kernel_shape=list(w.shape[2:]),
        strides=[int(s) for s in strides],
        pads=[int(p) for p in pads],
        dilations=[int(d) for d in dilations],
        group=int(w.shape[0]),
    )


@converts(conv_transpose.ConvTranspose)
def _conv_transpose(g, a, node):
    x, w, b = a["x"], a["w"], a["bias"]
    _batched(g, x, w, node, "transposed convolution")
    strides, pads, dilations = _conv_geometry(x, w, a["stride"], a["padding"], a["dilation"])
    nd = w.ndim - 2
    kernel = list(w.shape[2:])
    out_size = list(node.out.shape[2:])
    # output_padding: what the requested size adds to (in - 1) s - pads + d (k - 1) + 1
    out_pad = []
    for i in range(nd):
        base = (
            (x.shape[2 + i] - 1) * strides[i]
            - pads[i]
            - pads[nd + i]
            + dilations[i] * (kernel[i] - 1)
            + 1
        )
        out_pad.append(int(out_size[i] - base))
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    return g.add(
        "ConvTranspose",
        inputs,
        kernel_shape=kernel,
        strides=[int(s) for s in strides],
        pads=[int(p) for p in pads],
        dilations=[int(d) for d in dilations],
        group=int(a["groups"]),
        output_padding=out_pad if any(out_pad) else None,
    )


@converts(pooling.MaxPool)
def _max_pool(g, a, node):
    if a["indices_out"] is not None:
        raise ExportError("max pooling with return_indices=True cannot be exported", node)
    kernel = [int(k) for k in a["kernel"]]
    pad = [int(p) for p in a["padding"]]
    x = a["x"]
    if len(kernel) == 2 and x.ndim == 3:  # pool1d runs as 2-D with a height of 1
        kernel, pad = kernel[1:], pad[1:]
        stride, dilation = list(a["stride"])[1:], list(a["dilation"])[1:]
    else:
        stride, dilation = list(a["stride"]), list(a["dilation"])
    return g.add(
        "MaxPool",
        [g.value(x)],
        kernel_shape=kernel,
        strides=[int(s) for s in stride],
        pads=pad + pad,
        dilations=[int(d) for d in dilation],
        ceil_mode=int(bool(a["ceil_mode"])),
    )


@converts(pooling.AvgPool)
def _avg_pool(g, a, node):
    if a["divisor_override"] is not None:
        raise ExportError("average pooling with divisor_override cannot be exported", node)
    kernel = [int(k) for k in a["kernel"]]
    pad = [int(p) for p in a["padding"]]
    return g.add(
        "AveragePool",
        [g.value(a["x"])],
        kernel_shape=kernel,
        strides=[int(s) for s in a["stride"]],
        pads=pad + pad,
        ceil_mode=int(bool(a["ceil_mode"])),
        count_include_pad=int(bool(a["count_include_pad"])),
    )


@converts(pooling.AdaptiveMaxPool)
def _adaptive_max_pool(g, a, node):
    x = a["x"]
    if all(int(o) == 1 for o in node.out.shape[2:]):
        return g.add("GlobalMaxPool", [g.value(x)])
    in_size, out_size = x.shape[2:], node.out.shape[2:]
    if any(i % o for i, o in zip(in_size, out_size)):
        raise ExportError(
            f"adaptive max pooling from {tuple(in_size)} to {tuple(out_size)} (not a whole "
            "number of windows) cannot be exported",
            node,
        )
    k = [int(i // o) for i, o in zip(in_size, out_size)]
    return g.add("MaxPool", [g.value(x)], kernel_shape=k, strides=k)


@converts(pooling.SeparableMap)
def _separable_map(g, a, node):
    # out[n, c] = A @ x[n, c] @ B^T with constant matrices (adaptive average pooling, resizing)
    y = g.value(a["x"])
    if a["a"] is not None:
        y = g.add("MatMul", [g.const(a["a"], "rows"), y])
    if a["b"] is not None:
        y = g.add("MatMul", [y, g.const(np.ascontiguousarray(a["b"].T), "columns")])
    return y


@converts(normalization.BatchNorm)
def _batch_norm(g, a, node):
    if a["training"] or a["running_mean"] is None:
        raise ExportError(
            "batch norm with batch statistics (training mode, or track_running_stats=False) "
            "cannot be exported; call model.eval() before exporting",
            node,
        )
    x = a["x"]
    c = x.shape[1]
    dt = dtype_of(node)
    w = g.value(a["weight"]) if a["weight"] is not None else g.const(np.ones(c, dt), "ones")
    b = g.value(a["bias"]) if a["bias"] is not None else g.const(np.zeros(c, dt), "zeros")
    mean, var = g.value(a["running_mean"]), g.value(a["running_var"])
    return g.add("BatchNormalization", [g.value(x), w, b, mean, var], epsilon=float(a["eps"]))


@converts(normalization.LayerNorm)
def _layer_norm(g, a, node):
    x, k = a["x"], int(a["k"])
    dt = dtype_of(node)
    shape = x.shape[x.ndim - k :]
    w = a["weight"]
    w = g.value(w) if w is not None else g.const(np.ones(shape, dt), "ones")
    b = a["bias"]
    inputs = [g.value(x), w] + ([g.value(b)] if b is not None else [])
    return g.add("LayerNormalization", inputs, axis=-k, epsilon=float(a["eps"]))


@converts(normalization.GroupNorm)
def _group_norm(g, a, node):
    # (x - mean) / sqrt(var + eps) over each group of channels, then the per-channel affine
    x, groups, eps = a["x"], int(a["groups"]), float(a["eps"])
    dt = dtype_of(node)
    c = x.shape[1]
    grouped = g.add("Reshape", [g.value(x), g.ints([0, groups, -1])])
    mean = g.reduce("ReduceMean", grouped, [2], True)
    centred = g.add("Sub", [grouped, mean])
    var = g.reduce("ReduceMean", g.add("Mul", [centred, centred]), [2], True)
    std = g.add("Sqrt", [g.add("Add", [var, g.value(eps, dt)])])
    y = g.add("Reshape", [g.add("Div", [centred, std]), g.add("Shape", [g.value(x)])])
    per_channel = g.ints([c] + [1] * (x.ndim - 2))
    if a["weight"] is not None:
        y = g.add("Mul", [y, g.add("Reshape", [g.value(a["weight"]), per_channel])])
    if a["bias"] is not None:
        y = g.add("Add", [y, g.add("Reshape", [g.value(a["bias"]), per_channel])])
    return y


@converts(EmbeddingLookup)
def _embedding(g, a, node):
    return g.add("Gather", [g.value(a["weight"]), g.value(a["indices"])], axis=0)


@converts(index_gather.IndexSelect)
def _index_select(g, a, node):
    index = a["index"]
    return g.add("Gather", [g.value(a["a"]), g.value(np.asarray(index))], axis=int(a["dim"]))


# ---- attention ---------------------------------------------------------------------------
def _attend(g, q, k, v, bias, causal, scale, length, source, dt, node):
    """softmax(q k^T * scale + bias (+ causal mask)) @ v on (N, heads, L, D) values."""
    scores = g.add("MatMul", [q, g.add("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = g.add("Mul", [scores, g.value(scale, dt)])
    if bias is not None:
        scores = g.add("Add", [scores, g.value(bias)])
    if causal:
        mask = np.triu(np.full((length, source), -np.inf, dtype=dt), 1)
        scores = g.add("Add", [scores, g.const(mask, "causal_mask")])
    p = g.add("Softmax", [scores], axis=-1)
    return p if v is None else g.add("MatMul", [p, v])


def _no_dropout(drop, node):
    if drop is not None:
        raise ExportError("attention dropout is active; call model.eval() before exporting", node)


@converts(attention.PackedSelfAttention)
def _packed_self_attention(g, a, node):
    qkv = a["qkv"]
    _no_dropout(a["drop"], node)
    n, length, e3 = qkv.shape
    heads = int(a["heads"])
    e = e3 // 3
    split = g.add("Reshape", [g.value(qkv), g.ints([0, 0, 3, heads, e // heads])])
    split = g.add("Transpose", [split], perm=[2, 0, 3, 1, 4])  # (3, N, heads, L, D)
    q, k, v = (
        g.add("Gather", [split, g.const(np.asarray(i, np.int64), "index")], axis=0)
        for i in range(3)
    )
    dt = dtype_of(node)
    out = _attend(g, q, k, v, a["bias"], a["causal"], a["scale"], length, length, dt, node)
    out = g.add("Transpose", [out], perm=[0, 2, 1, 3])
    return g.add("Reshape", [out, g.ints([0, 0, e])])


@converts(attention.ScaledDotProductAttention)
def _sdpa(g, a, node):
    _no_dropout(a["drop"], node)
    q, k, v = a["q"], a["k"], a["v"]
    if int(a["groups"]) != 1 or q.ndim != 4:
        raise ExportError(
            "scaled dot-product attention is exported for (N, heads, L, D) inputs without "
            f"grouped heads; got q of shape {tuple(q.shape)}, groups={a['groups']}",
            node,
        )
    dt = dtype_of(node)
    length, source = q.shape[-2], k.shape[-2]
    qn, kn, vn = g.value(q), g.value(k), g.value(v)
    return _attend(g, qn, kn, vn, a["bias"], a["causal"], a["scale"], length, source, dt, node)


@converts(attention.AttentionWeights)
def _attention_weights(g, a, node):
    q, k = a["q"], a["k"]
    if int(a["groups"]) != 1 or q.ndim != 4:
        raise ExportError("attention weights are exported for (N, heads, L, D) inputs", node)
    dt = dtype_of(node)
    return _attend(
        g,
        g.value(q),
        g.value(k),
        None,
        a["bias"],
        a["causal"],
        a["scale"],
        q.shape[-2],
        k.shape[-2],
        dt,
        node,
    )
