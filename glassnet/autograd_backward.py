"""``backward`` and ``grad``: how user code runs the engine on a graph, PyTorch's
``torch.autograd.backward`` and ``torch.autograd.grad``. Separate from ``glassnet.autograd``,
which records the graph, since these only walk it (through ``glassnet.engine``).
"""

from __future__ import annotations

from glassnet import backend
from glassnet.engine import _accumulate, _execute
from glassnet.errors import AutogradError
from glassnet.tensor import Tensor

__all__ = ["backward", "grad"]


def backward(tensors, grad_tensors=None, retain_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the leaves the gradients of ``tensors`` (PyTorch's
    ``torch.autograd.backward``). With ``inputs``, only those leaves receive gradients.

    >>> import glassnet
    >>> x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    >>> glassnet.autograd.backward(x * 3, glassnet.ones(2))
    >>> x.grad
    tensor([3., 3.])
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if inputs is None:
        _execute(list(tensors), grad_tensors, retain_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    results = grad(tensors, inputs, grad_tensors, retain_graph=retain_graph, allow_unused=True)
    for t, g in zip(inputs, results):
        if g is not None:
            _accumulate(t, g._data)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    >>> import glassnet
    >>> x = glassnet.tensor(3.0, requires_grad=True)
    >>> glassnet.autograd.grad(x * x, x)
    (tensor(6.),)
    """
    single = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    capture = {}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise AutogradError(
                f"autograd.grad: input {i} does not require grad, so it has no gradient; "
                "create it with requires_grad=True (or call .requires_grad_())."
            )
        capture.setdefault(t.grad_fn if t.grad_fn is not None else t, [])
    _execute(outputs, grad_outputs, bool(retain_graph), capture=capture)
    results = []
    for i, t in enumerate(inputs):
        got = capture[t.grad_fn if t.grad_fn is not None else t]
        if not got:
            if not allow_unused:
                raise AutogradError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            results.append(None)
            continue
        g = got[0]
        for extra in got[1:]:
            g = g + extra
        if g.base is not None or not backend.is_writeable(g):
            g = g.copy()
        results.append(Tensor._make(g))
    return tuple(results)
