"""Recording the ops a forward runs: every ``Function`` the engine applies, with its arguments,
its output and the path of the layer that ran it (``features.3``).

The engine calls ``glassnet.autograd._tracer`` after each op's forward; this module sets it for
the length of one forward. Layers skip the op machinery when nothing needs a gradient (a fast
inference path), so the forward runs with gradients on and float inputs that require them: then
every step is a ``Function``. Layer paths come from wrapping each submodule's ``forward`` for
the duration (an instance attribute, removed afterwards).

>>> import glassnet
>>> from glassnet import nn
>>> nodes, out = trace(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), (glassnet.ones(1, 3),))
>>> [(type(n.fn).__name__, n.path) for n in nodes]
[('Linear', '0'), ('Relu', '1')]
"""

from __future__ import annotations

from dataclasses import dataclass

from glassnet import autograd, grad_mode
from glassnet.tensor import Tensor


@dataclass
class Node:
    """One op the forward ran: its Function object (forward has set its attributes), the
    arguments as passed to ``apply``, the output tensor and the layer path."""

    fn: object
    args: tuple
    kwargs: dict
    out: Tensor
    path: str


def trace(model, inputs):
    """Run ``model(*inputs)`` once, recording its ops; returns ``(nodes, output)``.

    ``inputs`` are the tensors the graph will take (float ones are given ``requires_grad`` on
    a detached copy so every layer runs its recorded path; the copy shares the array)."""
    if autograd._tracer is not None:
        raise RuntimeError("glassnet.onnx: an export is already tracing in this process")
    nodes = []
    stack = [""]

    def record(cls, fn, args, kwargs, result):
        nodes.append(Node(fn, args, dict(kwargs), result, stack[-1]))

    wrapped = []
    for name, module in model.named_modules():
        if not name or "forward" in module.__dict__:
            continue
        wrapped.append(module)
        module.__dict__["forward"] = _named_forward(module, name, stack)
    from glassnet.onnx.trace_logic import recording

    def record_logic(fn, args, result):
        nodes.append(Node(fn, tuple(args), {}, result, stack[-1]))

    autograd._tracer = record
    try:
        with grad_mode.enable_grad(), recording(record_logic):
            out = model(*inputs)
    finally:
        autograd._tracer = None
        for module in wrapped:
            module.__dict__.pop("forward", None)
    return nodes, out


def traced_inputs(inputs):
    """The example inputs as the tensors to trace with: float ones detached and requiring grad
    (the same arrays, so values are shared), others as given."""
    out = []
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(
                f"glassnet.onnx.export: example inputs must be tensors, got {type(x).__name__}"
            )
        if x._data.dtype.kind == "f":
            x = x.detach().requires_grad_(True)
        out.append(x)
    return tuple(out)


def _named_forward(module, name, stack):
    forward = type(module).forward.__get__(module)

    def named(*args, **kwargs):
        stack.append(name)
        try:
            return forward(*args, **kwargs)
        finally:
            stack.pop()

    return named
