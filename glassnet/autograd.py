"""Reverse-mode automatic differentiation: Function (one op's forward and backward) and the engine.

A ``Function`` subclass computes its output from arrays in ``forward`` and keeps on ``self`` only
what ``backward`` needs; ``backward`` gets the gradient of the output and returns one gradient per
input (None where none is needed). ``Function.apply`` runs it on tensors and, when a graph is being
recorded, links the output to the op's inputs. The engine walks that graph from the output back,
in topological order, without recursion, and in one place sums a gradient back to the shape of an
input that was broadcast.

>>> import numpy as np, glassnet
>>> class Cube(Function):
...     def forward(self, x):
...         self.x = x
...         return x ** 3
...     def backward(self, grad):
...         return (3 * self.x ** 2 * grad,)
>>> x = glassnet.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
tensor([12.])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, grad_mode
from glassnet.errors import AutogradError, DeviceError
from glassnet.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.tensor import Tensor

__all__ = [
    "Function",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
]


class Function:
    """One differentiable primitive: ``forward`` on arrays, ``backward`` on the output's gradient.

    Class attributes a subclass may set:
    - ``is_view``: the output shares memory with the first input (reshape, transpose, slicing),
      so both share a version counter and in-place changes to either are noticed.
    - ``saves_inputs``: False when backward never reads the inputs' values (add, reshape, sum),
      which lets later in-place changes of those inputs pass.
    """

    __slots__ = ("next", "shape", "dtype", "versions", "hooks", "retained", "freed", "__dict__")
    is_view = False
    saves_inputs = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (non-tensor arguments pass through as constants)."""
        fn = cls()
        arrays = []
        tensors = []
        array_type = None
        for a in args:
            if isinstance(a, Tensor):
                data = a.data
                if array_type is None:
                    array_type = type(data)
                elif type(data) is not array_type:
                    _raise_device_mismatch(cls, args)
                tensors.append(a)
                arrays.append(data)
            else:
                arrays.append(a)
        out = fn.forward(*arrays, **kwargs)
        if type(out) is not np.ndarray:
            out = backend.get_array_module(out).asarray(out)
        result = Tensor._make(out)
        if cls.is_view and tensors:
            source = tensors[0]
            result._version = source._version
        if grad_mode._enabled and out.dtype.kind == "f":
            for t in tensors:
                if t.requires_grad:
                    break
            else:
                return result
            fn.next = tuple(
                (a.grad_fn or (a if a.requires_grad else None)) if isinstance(a, Tensor) else None
                for a in args
            )
            fn.shape = out.shape
            fn.dtype = out.dtype
            fn.hooks = fn.retained = None
            fn.freed = False
            fn.versions = (
                tuple((t._version, t._version[0]) for t in tensors) if cls.saves_inputs else ()
            )
            result.grad_fn = fn
            result.requires_grad = True
            if cls.is_view:
                result._base = tensors[0]
        return result

    def release(self):
        """Drop what forward saved (after a backward without retain_graph)."""
        self.__dict__.clear()
        self.freed = True

    def name(self):
        return type(self).__name__ + "Backward"


def _raise_device_mismatch(cls, args):
    devices = [backend.device_of(a.data) for a in args if isinstance(a, Tensor)]
    raise DeviceError(
        f"{cls.__name__.lower()}: expected all tensors to be on the same device, but found at "
        f"least two devices, {devices[0]} and {[d for d in devices if d != devices[0]][0]}. "
        "Move them together with .to(device) first."
    )


def sum_to_shape(g, shape):
    """Sum a gradient over the dims that broadcasting added or stretched, to match ``shape``."""
    if g.shape == shape:
        return g
    xp = backend.get_array_module(g)
    if g.size < _prod(shape):  # an op returned a smaller gradient meant to be broadcast
        return xp.broadcast_to(g, shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _check_versions(fn):
    for counter, expected in fn.versions:
        if counter[0] != expected:
            raise AutogradError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: the input of {fn.name()} is at version {counter[0]}; "
                f"expected version {expected} instead. Use the out-of-place op (x = x * 2 rather "
                "than x.mul_(2)) or .clone() the tensor before changing it."
            )


def _run_hooks(hooks, g):
    for hook in hooks:
        out = hook(Tensor._make(g))
        if out is not None:
            g = out.data if isinstance(out, Tensor) else out
    return g


def _root_gradients(outputs, grad_outputs):
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: expected Tensors as outputs, got {type(out).__name__}")
        if not out.requires_grad:
            raise AutogradError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "the output was computed without tracking (under no_grad, or from tensors "
                "without requires_grad=True)."
            )
        g = None if grad_outputs is None else grad_outputs[i]
        xp = backend.get_array_module(out.data)
        if g is None:
            if out.data.size != 1:
                raise AutogradError(
                    f"grad can be implicitly created only for scalar outputs; the output has "
                    f"shape {tuple(out.shape)}. Pass gradient= (same shape), or reduce with "
                    ".sum()/.mean() first."
                )
            g = xp.ones(out.data.shape, dtype=out.data.dtype)
        else:
            g = g.data if isinstance(g, Tensor) else xp.asarray(g, dtype=out.data.dtype)
            if g.shape != out.data.shape:
                raise AutogradError(
                    f"backward: gradient of shape {tuple(g.shape)} does not match the output "
                    f"shape {tuple(out.shape)}."
                )
        grads.append(g)
    return grads


def _execute(outputs, grad_outputs, retain_graph, capture=None):
    """The engine. Walk the graph in reverse topological order and propagate gradients.

    ``capture`` maps nodes (a Function, or a leaf Tensor) to slots of a list: for
    ``autograd.grad`` the gradients of those nodes are returned there instead of being
    accumulated into ``.grad``.
    """
    roots = _root_gradients(outputs, grad_outputs)
    grads = {}
    leaf_grads = {}
    starts = []
    for out, g in zip(outputs, roots):
        node = out.grad_fn if out.grad_fn is not None else out
        if isinstance(node, Function):
            grads[node] = grads[node] + g if node in grads else g
            starts.append(node)
        else:
            leaf_grads[node] = leaf_grads[node] + g if node in leaf_grads else g

    # Count, for every Function, how many consumers will send it a gradient.
    pending = {}
    stack = list(dict.fromkeys(starts))
    seen = set(stack)
    while stack:
        fn = stack.pop()
        if fn.freed:
            raise AutogradError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time."
            )
        for parent in fn.next:
            if isinstance(parent, Function):
                pending[parent] = pending.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)

    ready = [fn for fn in dict.fromkeys(starts) if pending.get(fn, 0) == 0]
    with no_grad():
        while ready:
            fn = ready.pop()
            g = grads.pop(fn, None)
            if g is not None:
                if fn.hooks:
                    g = _run_hooks(fn.hooks, g)
                if fn.retained is not None:
                    t = fn.retained()
                    if t is not None:
                        _accumulate(t, g)
                if capture is not None and fn in capture:
                    capture[fn].append(g)
                _check_versions(fn)
                input_grads = fn.backward(g)
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
            else:
                input_grads = (None,) * len(fn.next)
            for parent, ig in zip(fn.next, input_grads):
                if parent is None:
                    continue
                if isinstance(parent, Function):
                    if ig is not None:
                        ig = _fit(ig, parent.shape, parent.dtype)
                        grads[parent] = grads[parent] + ig if parent in grads else ig
                    pending[parent] -= 1
                    if pending[parent] == 0:
                        ready.append(parent)
                elif ig is not None:
                    ig = _fit(ig, parent.data.shape, parent.data.dtype)
                    leaf_grads[parent] = (
                        leaf_grads[parent] + ig if parent in leaf_grads else ig
                    )
            if not retain_graph:
                fn.release()

    root_arrays = {id(g) for g in roots}
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if capture is not None:
            if leaf in capture:
                capture[leaf].append(g)
            continue
        if id(g) in root_arrays:
            g = g.copy()  # never let .grad alias the gradient the caller passed in
        _accumulate(leaf, g)


def _fit(g, shape, dtype):
    if g.shape != shape:
        g = sum_to_shape(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _accumulate(t, g):
    if t.grad is None:
        # Gradients may be read-only broadcast views or shared between inputs: own a copy.
        if g.base is not None or not g.flags.writeable or not g.flags.c_contiguous:
            g = g.copy()
        t.grad = Tensor._make(g)
    else:
        t.grad.data = t.grad.data + g


def backward(tensors, grad_tensors=None, retain_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the leaves the gradients of ``tensors`` (PyTorch's
    ``torch.autograd.backward``). With ``inputs``, only those leaves receive gradients."""
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
            _accumulate(t, g.data)


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
    for t in inputs:
        if not t.requires_grad:
            raise AutogradError("One of the differentiated Tensors does not require grad")
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
        results.append(Tensor._make(g))
    return tuple(results)
