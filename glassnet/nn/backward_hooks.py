"""Module.register_full_backward_hook: call ``hook(module, grad_input, grad_output)`` once the
gradients with respect to a module's inputs have been computed.

Inputs that require grad go through an identity Function whose backward records their gradient;
when the last of them arrives the hook runs. When no input requires grad (the first layer, fed
data), the hook runs as soon as the output's gradient is known, with None for each grad_input.
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
        self.record(self.slot, grad)
        return grad, None, None


def call_with_backward_hooks(module, args, kwargs):
    state = {"grad_output": None, "grad_input": [None] * len(args), "waiting": 0}

    def on_input_grad(slot, grad):
        state["grad_input"][slot] = Tensor._make(grad)
        state["waiting"] -= 1
        if state["waiting"] == 0:
            _fire(module, state)

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
    for hook in list(module._backward_hooks.values()):
        hook(module, tuple(state["grad_input"]), state["grad_output"])
