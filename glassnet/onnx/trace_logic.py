"""Comparisons, logic and attention masks while tracing: the steps a forward computes from its
inputs without a ``Function`` (their results are bool tensors, which carry no gradient).

A text model builds its padding mask from the token ids (``pad = tokens == 0``), attention
turns that mask into an additive one (0 / -inf), and an average skips the padding
(``(~pad).float()``). Left untraced, each would be a constant of the example input, right for
that input only. While tracing, ``recording(record)`` wraps these steps so each becomes a node
of the graph (ONNX Equal, Not, Where...), which then follows any input.

>>> import glassnet
>>> from glassnet import nn
>>> from glassnet.onnx.trace import trace
>>> class Padding(nn.Module):
...     def forward(self, tokens):
...         return (~(tokens == 0)).float()
>>> nodes, _ = trace(Padding(), (glassnet.tensor([[0, 3]]),))
>>> [(type(n.fn).__name__, getattr(n.fn, "op", "")) for n in nodes]
[('Logic', 'eq'), ('Logic', 'not'), ('Cast', '')]
"""

from __future__ import annotations

import contextlib

import numpy as np

from glassnet.onnx.converters import CONVERTERS
from glassnet.tensor import Tensor

_BINARY = {
    "eq": "Equal",
    "ne": "Equal",  # then Not
    "lt": "Less",
    "le": "LessOrEqual",
    "gt": "Greater",
    "ge": "GreaterOrEqual",
    "logical_and": "And",
    "logical_or": "Or",
    "logical_xor": "Xor",
}
_METHODS = {  # Tensor attribute -> (operation, operands reversed)
    **{k: (k, False) for k in _BINARY},
    **{f"__{k}__": (k, False) for k in ("eq", "ne", "lt", "le", "gt", "ge")},
    "__and__": ("and", False),
    "__or__": ("or", False),
    "__xor__": ("xor", False),
    "__rand__": ("and", True),
    "__ror__": ("or", True),
    "__rxor__": ("xor", True),
    "logical_not": ("not", False),
    "bitwise_not": ("not", False),
    "__invert__": ("not", False),
}


class Logic:
    """A traced comparison or logical op: ``forward(a, b)`` (``b`` None for ``not``)."""

    def __init__(self, op):
        self.op = op

    def forward(self, a, b=None):  # the signature the converter table binds arguments with
        raise NotImplementedError


class AdditiveMask:
    """A bool attention mask turned into an additive float one (what ``additive_mask`` does)."""

    def __init__(self, dtype, true_masks_out):
        self.dtype, self.true_masks_out = np.dtype(dtype), true_masks_out

    def forward(self, mask):
        raise NotImplementedError


@contextlib.contextmanager
def recording(record):
    """Wrap the comparison/logic methods of Tensor and the attention masks for the duration;
    ``record(fn, args, result)`` adds a node."""
    from glassnet.nn.functional import attention, multihead_attention

    saved = {name: Tensor.__dict__[name] for name in _METHODS if name in Tensor.__dict__}
    mask_fn = multihead_attention.additive_mask
    try:
        for name, method in saved.items():
            setattr(Tensor, name, _wrap(method, *_METHODS[name], record))

        def additive_mask(label, what, mask, dtype, xp, true_masks_out):
            out = mask_fn(label, what, mask, dtype, xp, true_masks_out)
            if isinstance(mask, Tensor) and mask._data.dtype.kind == "b":
                record(AdditiveMask(dtype, true_masks_out), (mask,), out)
            return out

        multihead_attention.additive_mask = attention.additive_mask = additive_mask
        yield
    finally:
        for name, method in saved.items():
            setattr(Tensor, name, method)
        multihead_attention.additive_mask = attention.additive_mask = mask_fn


def _wrap(method, op, reflected, record):
    def traced(self, *args):
        out = method(self, *args)
        if isinstance(out, Tensor) and out._data.dtype.kind == "b":
            operands = (self, *args)
            if reflected:
                operands = operands[::-1]
            record(Logic(op), operands, out)
        return out

    traced.__name__ = getattr(method, "__name__", op)
    return traced


# ---- their ONNX nodes --------------------------------------------------------------------------
def _operand_dtype(a, b):
    for x in (a, b):
        if isinstance(x, Tensor):
            return x._data.dtype
    return None


def _logic(g, a, node):
    op = node.fn.op
    x, y = a["a"], a["b"]
    if op == "not":
        if x._data.dtype.kind != "b":
            from glassnet.onnx.errors import ExportError

            raise ExportError("bitwise not of integers is not exported; use a bool tensor", node)
        return g.add("Not", [g.value(x)])
    dtype = _operand_dtype(x, y)
    if dtype.kind in "iub" and any(isinstance(v, float) for v in (x, y)):
        # an integer tensor against a Python float compares as floats (PyTorch's promotion)
        dtype = np.dtype(np.float32)
        names = [_as(g, v, dtype) for v in (x, y)]
    else:
        names = [g.value(x, dtype), g.value(y, dtype)]
    if op in ("and", "or", "xor"):
        op = f"logical_{op}"
    out = g.add(_BINARY[op], names)
    return g.add("Not", [out]) if op == "ne" else out


def _as(g, v, dtype):
    if isinstance(v, Tensor):
        to = g.helper.np_dtype_to_tensor_dtype(dtype)
        return g.add("Cast", [g.value(v)], to=int(to))
    return g.value(v, dtype)


def _additive_mask(g, a, node):
    dtype = node.fn.dtype
    blocked, allowed = g.const(np.array(-np.inf, dtype)), g.const(np.array(0, dtype))
    first, second = (blocked, allowed) if node.fn.true_masks_out else (allowed, blocked)
    return g.add("Where", [g.value(a["mask"]), first, second])


CONVERTERS[Logic] = _logic
CONVERTERS[AdditiveMask] = _additive_mask
