"""The converter table: for each ``Function`` class, how its traced call becomes ONNX nodes.

A converter is ``f(g, a, node) -> value name``: ``g`` the Graph, ``a`` the call's arguments by
the names of that Function's ``forward`` (defaults filled in), ``node`` the traced op (its
output tensor ``node.out`` gives shapes and dtypes). This file holds pointwise math, arithmetic,
reshapes, indexing and joins; ``converters_nn.py`` the layers, ``converters_rnn.py`` the
recurrent networks.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from glassnet.nn.functional import activation as act
from glassnet.ops import (
    activation,
    arithmetic,
    conversion,
    elementwise,
    extremes,
    linalg,
    reduction,
    selection,
    shape,
    shape_join,
    shape_slice,
    shape_transpose,
    softmax,
)

CONVERTERS: dict = {}
_SIGNATURES: dict = {}
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def converts(*classes):
    """Register the decorated function as the converter of ``classes``."""

    def register(f):
        for cls in classes:
            CONVERTERS[cls] = f
        return f

    return register


def arguments(node) -> dict:
    """The traced call's arguments by name, defaults filled in."""
    cls = type(node.fn)
    sig = _SIGNATURES.get(cls)
    if sig is None:
        sig = _SIGNATURES[cls] = inspect.signature(cls.forward)
    bound = sig.bind(node.fn, *node.args, **node.kwargs)
    bound.apply_defaults()
    out = dict(bound.arguments)
    out.pop("self", None)
    return out


def dtype_of(node):
    return node.out._data.dtype


# ---- pointwise ---------------------------------------------------------------------------
_UNARY = {
    elementwise.Exp: "Exp",
    elementwise.Log: "Log",
    elementwise.Sqrt: "Sqrt",
    elementwise.Reciprocal: "Reciprocal",
    elementwise.Abs: "Abs",
    elementwise.Sin: "Sin",
    elementwise.Cos: "Cos",
    elementwise.Tan: "Tan",
    elementwise.Tanh: "Tanh",
    elementwise.Sigmoid: "Sigmoid",
    elementwise.Relu: "Relu",
    elementwise.Erf: "Erf",
    arithmetic.Neg: "Neg",
    activation.Softsign: "Softsign",
}


def _unary(g, a, node):
    return g.add(_UNARY[type(node.fn)], [g.value(a["a"])])


for _cls in _UNARY:
    CONVERTERS[_cls] = _unary


@converts(conversion.Cast)
def _cast(g, a, node):
    # ONNX Cast from float to an integer type rounds toward zero, as NumPy's astype does
    to = g.helper.np_dtype_to_tensor_dtype(np.dtype(dtype_of(node)))
    return g.add("Cast", [g.value(a["a"])], to=int(to))


@converts(elementwise.Square)
def _square(g, a, node):
    x = g.value(a["a"])
    return g.add("Mul", [x, x])


@converts(elementwise.Rsqrt)
def _rsqrt(g, a, node):
    return g.add("Reciprocal", [g.add("Sqrt", [g.value(a["a"])])])


@converts(elementwise.Log1p)
def _log1p(g, a, node):
    x = g.value(a["a"])
    return g.add("Log", [g.add("Add", [x, g.value(1.0, dtype_of(node))])])


@converts(act.LeakyRelu)
def _leaky_relu(g, a, node):
    return g.add("LeakyRelu", [g.value(a["a"])], alpha=float(a["slope"]))


@converts(act.Hardtanh)
def _hardtanh(g, a, node):
    dt = dtype_of(node)
    return g.add("Clip", [g.value(a["a"]), g.value(a["low"], dt), g.value(a["high"], dt)])


@converts(selection.Clamp)
def _clamp(g, a, node):
    dt = dtype_of(node)
    low = "" if a["low"] is None else g.value(a["low"], dt)  # "": an omitted bound
    high = "" if a["high"] is None else g.value(a["high"], dt)
    return g.add("Clip", [g.value(a["a"]), low, high])


@converts(act.Elu)
def _elu(g, a, node):
    y = g.add("Elu", [g.value(a["a"])], alpha=float(a["alpha"]))
    if a["scale"] != 1:
        y = g.add("Mul", [y, g.value(a["scale"], dtype_of(node))])
    return y


@converts(act.Gelu)
def _gelu(g, a, node):
    dt = dtype_of(node)
    x = g.value(a["a"])
    if a["approximate"] == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.add("Mul", [g.add("Mul", [x, x]), x])
        inner = g.add("Add", [x, g.add("Mul", [cube, g.value(0.044715, dt)])])
        t = g.add("Tanh", [g.add("Mul", [inner, g.value(math.sqrt(2 / math.pi), dt)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2)), opset 17 has no Gelu node
        t = g.add("Erf", [g.add("Mul", [x, g.value(1 / math.sqrt(2), dt)])])
    half = g.add("Mul", [x, g.value(0.5, dt)])
    return g.add("Mul", [half, g.add("Add", [t, g.value(1.0, dt)])])


@converts(act.Silu)
def _silu(g, a, node):
    x = g.value(a["a"])
    return g.add("Mul", [x, g.add("Sigmoid", [x])])


@converts(act.Mish)
def _mish(g, a, node):
    x = g.value(a["a"])
    return g.add("Mul", [x, g.add("Tanh", [g.add("Softplus", [x])])])


@converts(act.Softplus)
def _softplus(g, a, node):
    dt = dtype_of(node)
    x = g.value(a["a"])
    beta, threshold = float(a["beta"]), float(a["threshold"])
    bx = g.add("Mul", [x, g.value(beta, dt)])
    soft = g.add("Div", [g.add("Softplus", [bx]), g.value(beta, dt)])
    # PyTorch's softplus is linear above the threshold
    above = g.add("Greater", [bx, g.value(threshold, dt)])
    return g.add("Where", [above, x, soft])


@converts(activation.Hardsigmoid)
def _hardsigmoid(g, a, node):
    return g.add("HardSigmoid", [g.value(a["a"])], alpha=1 / 6, beta=0.5)


@converts(activation.Hardswish)
def _hardswish(g, a, node):
    return g.add("HardSwish", [g.value(a["a"])])


@converts(activation.LogSigmoid)
def _logsigmoid(g, a, node):
    x = g.value(a["a"])
    return g.add("Neg", [g.add("Softplus", [g.add("Neg", [x])])])


@converts(activation.Prelu)
def _prelu(g, a, node):
    x, w = a["a"], a["weight"]
    slope = g.value(w)
    if x.ndim >= 2 and w._data.size > 1:  # one slope per channel (axis 1)
        slope = g.add("Reshape", [slope, g.ints([-1] + [1] * (x.ndim - 2))])
    return g.add("PRelu", [g.value(x), slope])


@converts(softmax.Softmax)
def _softmax(g, a, node):
    return g.add("Softmax", [g.value(a["a"])], axis=int(a["axis"]))


@converts(softmax.LogSoftmax)
def _log_softmax(g, a, node):
    return g.add("LogSoftmax", [g.value(a["a"])], axis=int(a["axis"]))


# ---- arithmetic --------------------------------------------------------------------------
def _binary(op):
    def convert(g, a, node):
        dt = dtype_of(node)
        x, y = g.value(a["a"], dt), g.value(a["b"], dt)
        if a.get("alpha", 1) != 1:
            y = g.add("Mul", [y, g.value(a["alpha"], dt)])
        return g.add(op, [x, y])

    return convert


CONVERTERS[arithmetic.Add] = _binary("Add")
CONVERTERS[arithmetic.Sub] = _binary("Sub")
CONVERTERS[arithmetic.Mul] = _binary("Mul")
CONVERTERS[arithmetic.Div] = _binary("Div")
CONVERTERS[arithmetic.Pow] = _binary("Pow")


@converts(linalg.MatMul, linalg.MatMul2D)
def _matmul(g, a, node):
    return g.add("MatMul", [g.value(a["a"]), g.value(a["b"])])


# ---- reductions --------------------------------------------------------------------------
def _axes(axes, ndim):
    if axes is None:
        return list(range(ndim))
    if isinstance(axes, int):
        return [axes]
    return [int(x) for x in axes]


@converts(reduction.Sum)
def _sum(g, a, node):
    x = a["a"]
    return g.reduce("ReduceSum", g.value(x), _axes(a["axes"], x.ndim), bool(a["keepdims"]))


@converts(reduction.Mean)
def _mean(g, a, node):
    x = a["a"]
    return g.reduce("ReduceMean", g.value(x), _axes(a["axes"], x.ndim), bool(a["keepdims"]))


@converts(extremes.AMax)
def _amax(g, a, node):
    x = a["a"]
    op = "ReduceMin" if a["smallest"] else "ReduceMax"
    return g.reduce(op, g.value(x), _axes(a["axes"], x.ndim), bool(a["keepdims"]))


# ---- shapes ------------------------------------------------------------------------------
@converts(shape.View, shape.ReshapeCopy)
def _view(g, a, node):
    x = a["a"]
    target = list(node.out.shape)
    # A leading dim kept as it is (the batch) is copied from the input (0), so a file exported
    # with a dynamic batch reshapes any batch size.
    if target and x.ndim and target[0] == x.shape[0]:
        target[0] = 0
    return g.add("Reshape", [g.value(x), g.ints(target)])


@converts(shape.Expand)
def _expand(g, a, node):
    x = a["a"]
    target = [int(d) for d in node.out.shape]
    lead = len(target) - x.ndim
    # A dim the input already has stays as it is (1 broadcasts to it), so it follows the input
    dims = [1 if i >= lead and x.shape[i - lead] == d else d for i, d in enumerate(target)]
    if g.batch is not None and dims and dims[0] == g.batch[1] != 1:
        # a leading dim of the dynamic batch's size, grown from 1 (a class token expanded to
        # the batch): taken from the batch input's shape, so other batch sizes work
        return g.batch_expand(g.value(x), dims[1:])
    return g.add("Expand", [g.value(x), g.ints(dims)])


@converts(shape_transpose.Transpose)
def _transpose(g, a, node):
    n = a["a"].ndim
    perm = list(range(n))
    d0, d1 = a["d0"] % n, a["d1"] % n
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return g.add("Transpose", [g.value(a["a"])], perm=perm)


@converts(shape_transpose.Permute)
def _permute(g, a, node):
    n = a["a"].ndim
    return g.add("Transpose", [g.value(a["a"])], perm=[int(d) % n for d in a["dims"]])


@converts(shape_join.Cat)
def _cat(g, a, node):
    dt = dtype_of(node)
    parts = [g.value(x, dt) for x in a["arrays"] if x is not None and np.size(_arr(x))]
    return g.add("Concat", parts, axis=int(a["dim"]))


@converts(shape_join.Stack)
def _stack(g, a, node):
    dim = int(a["dim"])
    if dim < 0:
        dim += node.out.ndim
    axes = g.ints([dim], "axes")
    parts = [g.add("Unsqueeze", [g.value(x), axes]) for x in a["arrays"]]
    return g.add("Concat", parts, axis=dim)


def _arr(x):
    return x._data if hasattr(x, "_data") else x


@converts(shape_slice.BasicIndex)
def _basic_index(g, a, node):
    x = a["a"]
    key = a["key"] if isinstance(a["key"], tuple) else (a["key"],)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - n_real) + key[i + 1 :]
    key = key + (slice(None),) * (x.ndim - sum(1 for k in key if k is not None))
    starts, ends, axes, steps, ints, news = [], [], [], [], [], []
    axis = out_axis = 0
    for k in key:
        if k is None:
            news.append(out_axis)
            out_axis += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else int(k.step)
                lo, hi = (0, INT64_MAX) if step > 0 else (-1, INT64_MIN)
                starts.append(lo if k.start is None else int(k.start))
                ends.append(hi if k.stop is None else int(k.stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:
            ints.append((axis, int(k)))
        axis += 1
    y = g.value(x)
    if axes:
        y = g.add("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    for ax, i in reversed(ints):  # from the last axis, so earlier axis numbers still hold
        y = g.add("Gather", [y, g.const(np.asarray(i, dtype=np.int64), "index")], axis=ax)
    if news:
        y = g.add("Unsqueeze", [y, g.ints(news, "axes")])
    return y


@converts(shape_join.Triangle)
def _triangle(g, a, node):
    return g.add(
        "Trilu",
        [g.value(a["a"]), g.const(np.asarray(a["k"], np.int64))],
        upper=int(bool(a["upper"])),
    )
