"""Module.register_full_backward_hook: call ``hook(module, grad_input, grad_output)`` once the
gradients with respect to a module's inputs have been computed.

Inputs that require grad go through an identity Function whose backward records their gradient;
when the last of them arrives the hook runs. When no input requires grad (the first layer, fed
data), the hook runs as soon as the output's gradient is known, with None for each grad_input.
A hook may return a new grad_input tuple (as in PyTorch); the replacement reaches the input whose
gradient arrived last, which is every input for the usual one-input layer.

>>> import glassnet
>>> from glassnet import nn
>>> layer = nn.Linear(3, 2)
>>> seen = []
>>> _ = layer.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
>>> layer(glassnet.ones(4, 3, requires_grad=True)).sum().backward()
>>> seen
[glassnet.Size([4, 2])]
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.tensor import Tensor


class _Capture(Function):
    saves_inputs = False

    def forward(self, a, record, slot):
        self.record, self.slot = record, slot
        return a.view()

    def backward(self, grad):
        return self.record(self.slot, grad), None, None


def call_with_backward_hooks(module, args, kwargs):
    state = {"grad_output": None, "grad_input": [None] * len(args), "waiting": 0}

    def on_input_grad(slot, grad):
        state["grad_input"][slot] = Tensor._make(grad)
        state["waiting"] -= 1
        if state["waiting"] == 0:
            replaced = _fire(module, state)
            if replaced is not None and replaced[slot] is not None:
                new = replaced[slot]
                return new._data if isinstance(new, Tensor) else new
        return grad

    wrapped = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a.requires_grad:
            state["waiting"] += 1
            wrapped.append(_Capture.apply(a, on_input_grad, i))
        else:
            wrapped.append(a)
    out = module.forward(*wrapped, **kwargs)
    outputs = out if isinstance(out, tuple) else (out,)
    for t in outputs:
        if isinstance(t, Tensor) and t.requires_grad:

            def on_output_grad(grad, _state=state):
                _state["grad_output"] = (grad,)
                if _state["waiting"] == 0:
                    _fire(module, _state)

            t.register_hook(on_output_grad)
            break
    return out


def _fire(module, state):
    grad_input = tuple(state["grad_input"])
    replaced = None
    for hook in list(module._backward_hooks.values()):
        result = hook(module, grad_input, state["grad_output"])
        if result is not None:
            replaced = grad_input = tuple(result)
    return replaced


class HookHandle:
    """Returned by ``register_*_hook``: ``.remove()`` (or a ``with`` block) takes the hook off."""

    def __init__(self, hooks, key):
        self.hooks, self.key = hooks, key

    def remove(self):
        self.hooks.pop(self.key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_hook_ids = iter(range(1 << 62))


def add_hook(hooks, hook):
    """Store ``hook`` in the ordered dict ``hooks`` under a fresh key; return its handle."""
    key = next(_hook_ids)
    hooks[key] = hook
    return HookHandle(hooks, key)
