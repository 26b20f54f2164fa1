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

import heapq
import itertools

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

_ndarray = np.ndarray
_new = object.__new__
# Creation order of graph nodes, counting down: the newest node has the smallest number, so a
# min-heap pops consumers before the nodes they consume.
_sequence = itertools.count(0, -1)


class Function:
    """One differentiable primitive: ``forward`` on arrays, ``backward`` on the output's gradient.

    Class attributes a subclass may set:
    - ``is_view``: the output shares memory with the first input (reshape, transpose, slicing),
      so both share a version counter and in-place changes to either are noticed.
    - ``saves_inputs``: False when backward never reads the inputs' values (add, reshape, sum),
      which lets later in-place changes of those inputs pass.

    The engine's bookkeeping lives in slots with a leading underscore, so a subclass is free to
    keep ``self.shape`` or ``self.dtype`` of its own.
    """

    __slots__ = ("_next", "_out_shape", "_out_dtype", "_saved_versions", "_seq", "__dict__")
    is_view = False
    saves_inputs = True
    # Rarely set, so they live on the class until a hook, retain_grad or release sets them.
    _hooks = None
    _retained = None
    _freed = False

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (non-tensor arguments pass through as constants)."""
        fn = cls()
        # Every op runs through here, so one and two arguments (most ops) get unrolled paths.
        if len(args) == 2:
            a, b = args
            if isinstance(a, Tensor):
                if isinstance(b, Tensor):
                    out = fn.forward(a.data, b.data, **kwargs)
                    track = a.requires_grad or b.requires_grad
                else:
                    out = fn.forward(a.data, b, **kwargs)
                    track = a.requires_grad
            elif isinstance(b, Tensor):
                out = fn.forward(a, b.data, **kwargs)
                track = b.requires_grad
            else:
                out = fn.forward(a, b, **kwargs)
                track = False
        elif len(args) == 1 and isinstance(args[0], Tensor):
            out = fn.forward(args[0].data, **kwargs)
            track = args[0].requires_grad
        else:
            arrays = []
            track = False
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a.data)
                    if a.requires_grad:
                        track = True
                else:
                    arrays.append(a)
            out = fn.forward(*arrays, **kwargs)
        if backend._cupy is not None:  # without CuPy every array is on the CPU
            _check_devices(cls, args)
        if out.__class__ is not _ndarray:
            out = backend.get_array_module(out).asarray(out)
        result = _new(Tensor)
        result.data = out
        result._version = _first_tensor(args)._version if cls.is_view else [0]
        if not track or not grad_mode._enabled or out.dtype.kind != "f":
            return result
        # Record the graph: one node per input (None for constants), and the version of every
        # input tensor, so backward notices in-place changes made to them after this op.
        nodes = []
        versions = []
        save = cls.saves_inputs
        for a in args:
            if isinstance(a, Tensor):
                nodes.append((a.grad_fn or a) if a.requires_grad else None)
                if save:
                    v = a._version
                    versions.append((v, v[0]))
            else:
                nodes.append(None)
        fn._next = nodes
        fn._seq = next(_sequence)
        fn._saved_versions = versions
        fn._out_shape = out.shape
        fn._out_dtype = out.dtype
        result.grad_fn = fn
        result.requires_grad = True
        if cls.is_view:
            result._base = _first_tensor(args)
        return result

    def release(self):
        """Drop what forward saved (after a backward without retain_graph)."""
        self.__dict__.clear()
        self._freed = True

    def name(self):
        """The name PyTorch prints for this node, such as ``MulBackward0``."""
        return type(self).__name__ + "Backward0"

    @property
    def next_functions(self):
        """The nodes this one sends gradients to, one per input (PyTorch's attribute)."""
        return tuple(self._next) if hasattr(self, "_next") else ()

    def __repr__(self):
        return f"<{self.name()}>"


def _first_tensor(args):
    for a in args:
        if isinstance(a, Tensor):
            return a
    return None


def _check_devices(cls, args):
    first = None
    for a in args:
        if isinstance(a, Tensor):
            kind = type(a.data)
            if first is None:
                first = kind
            elif kind is not first:
                _raise_device_mismatch(cls, args)


def _raise_device_mismatch(cls, args):
    devices = [backend.device_of(a.data) for a in args if isinstance(a, Tensor)]
    other = [d for d in devices if d != devices[0]][0]
    raise DeviceError(
        f"{cls.__name__.lower()}: expected all tensors to be on the same device, but found at "
        f"least two devices, {devices[0]} and {other}. Move them together with .to(device) "
        "first."
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


def _raise_modified(fn, counter, expected):
    raise AutogradError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: the input of {fn.name()} is at version {counter[0]}; "
        f"expected version {expected} instead. Use the out-of-place op (x = x * 2 rather "
        "than x.mul_(2)) or .clone() the tensor before changing it."
    )


def _raise_freed():
    raise AutogradError(
        "Trying to backward through the graph a second time (or directly access saved "
        "tensors after they have already been freed). Saved intermediate values of the "
        "graph are freed when you call .backward() or autograd.grad(). Specify "
        "retain_graph=True if you need to backward through the graph a second time."
    )


def _run_hooks(hooks, g):
    for hook in list(hooks):
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
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                "the output was computed without tracking (under no_grad, or from tensors "
                "without requires_grad=True)."
            )
        g = None if grad_outputs is None else grad_outputs[i]
        data = out.data
        if g is None:
            if data.size != 1:
                raise AutogradError(
                    f"grad can be implicitly created only for scalar outputs; the output has "
                    f"shape {tuple(data.shape)}. Pass gradient= (same shape), or reduce with "
                    ".sum()/.mean() first."
                )
            g = backend.get_array_module(data).ones(data.shape, dtype=data.dtype)
        else:
            if isinstance(g, Tensor):
                g = g.data
            else:
                g = backend.get_array_module(data).asarray(g, dtype=data.dtype)
            if g.shape != data.shape:
                raise AutogradError(
                    f"backward: gradient of shape {tuple(g.shape)} does not match the output "
                    f"shape {tuple(data.shape)}."
                )
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
        grads.append(g)
    return grads


def _execute(outputs, grad_outputs, retain_graph, capture=None):
    """The engine. Walk the graph from the outputs back and propagate gradients.

    Every node was created after the nodes it consumes, so visiting nodes newest first (a heap
    keyed by creation order) is a topological order: a node runs only once all its consumers
    have sent their gradients. Only nodes that receive a gradient are visited, and the walk is
    a loop, not recursion, so graphs 100,000 ops deep are fine.

    ``capture`` maps nodes (a Function, or a leaf Tensor) to lists: for ``autograd.grad`` the
    gradients reaching those nodes are collected there instead of being accumulated into
    ``.grad``.
    """
    roots = _root_gradients(outputs, grad_outputs)
    grads = {}  # Function -> the sum of the gradients it has received so far
    leaf_grads = {}  # leaf Tensor -> the sum of its gradients
    heap = []
    for out, g in zip(outputs, roots):
        node = out.grad_fn
        if node is None:
            leaf_grads[out] = leaf_grads[out] + g if out in leaf_grads else g
        elif node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            heap.append((node._seq, node))
    heapq.heapify(heap)

    pop, push = heapq.heappop, heapq.heappush
    enabled = grad_mode._enabled
    grad_mode._enabled = False  # backward formulas run on arrays; nothing to record
    try:
        while heap:
            fn = pop(heap)[1]
            if fn._freed:
                _raise_freed()
            g = grads.pop(fn)
            if fn._hooks is not None or fn._retained is not None or capture is not None:
                g = _node_extras(fn, g, capture)
            for counter, expected in fn._saved_versions:
                if counter[0] != expected:
                    _raise_modified(fn, counter, expected)
            input_grads = fn.backward(g)
            if input_grads.__class__ is not tuple:
                input_grads = (
                    tuple(input_grads) if isinstance(input_grads, list) else (input_grads,)
                )
            for parent, ig in zip(fn._next, input_grads):
                if parent is None or ig is None:
                    continue
                if isinstance(parent, Function):
                    if ig.shape != parent._out_shape or ig.dtype is not parent._out_dtype:
                        ig = _fit(ig, parent._out_shape, parent._out_dtype)
                    if parent in grads:
                        grads[parent] = grads[parent] + ig
                    else:
                        grads[parent] = ig
                        push(heap, (parent._seq, parent))
                else:
                    data = parent.data
                    if ig.shape != data.shape or ig.dtype is not data.dtype:
                        ig = _fit(ig, data.shape, data.dtype)
                    if parent in leaf_grads:
                        leaf_grads[parent] = leaf_grads[parent] + ig
                    else:
                        leaf_grads[parent] = ig
            if not retain_graph:
                fn.release()
    finally:
        grad_mode._enabled = enabled

    if not leaf_grads:
        return
    given = {id(g) for g in roots}  # arrays .grad must not share with the caller or each other
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if capture is not None:
            if leaf in capture:
                capture[leaf].append(g)
            continue
        if id(g) in given:
            g = g.copy()
        given.add(id(g))
        _accumulate(leaf, g)


def _node_extras(fn, g, capture):
    """Tensor hooks, retain_grad and autograd.grad's capture for a non-leaf's gradient."""
    if fn._hooks:
        g = _run_hooks(fn._hooks, g)
    if fn._retained is not None:
        t = fn._retained()
        if t is not None:
            _accumulate(t, g.copy())  # the same array flows on to the inputs
    if capture is not None and fn in capture:
        capture[fn].append(g)
    return g


def _fit(g, shape, dtype):
    """A gradient of the input's shape (summing out broadcast dims) and dtype."""
    if g.shape != shape:
        g = sum_to_shape(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _accumulate(t, g):
    grad = t.grad
    if grad is None:
        # Gradients may be read-only broadcast views or views of other arrays: own a copy.
        if g.base is not None or not backend.is_writeable(g):
            g = g.copy()
        t.grad = Tensor._make(g)
    else:
        grad.data = grad.data + g


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
