"""The autograd engine: walks the graph from the outputs back and propagates gradients.

``Function.apply`` (in ``glassnet.autograd``) records the graph; this module runs it backwards:
every node's ``backward`` once, after all its consumers, gradients summed back to the shapes of
broadcast inputs in one place (``sum_to_shape``), then accumulated into the leaves' ``.grad``.
"""

from __future__ import annotations

import heapq

import numpy as np

from glassnet import backend, grad_mode
from glassnet.errors import AutogradError
from glassnet.tensor import Tensor

_ndarray = np.ndarray  # a type check only: the arrays themselves come from the ops
_new = object.__new__
_add_reduce = np.add.reduce
# A backward recorder (glassnet.compile): when set, a backward is handed to it instead, called
# as tracer(outputs, grad_outputs, retain_graph, capture). None costs one global lookup.
_tracer = None


def sum_to_shape(g, shape):
    """Sum a gradient over the dims that broadcasting added or stretched, to match ``shape``.

    >>> import numpy as np
    >>> sum_to_shape(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    >>> sum_to_shape(np.ones((2, 3)), (2, 1)).shape
    (2, 1)
    """
    gshape = g.shape
    if gshape == shape:
        return g
    if gshape[1:] == shape and g.__class__ is _ndarray:  # a bias: summed over the batch only
        # numpy.add.reduce is what ndarray.sum runs, without its Python-level wrapper
        return _add_reduce(g, 0)
    xp = backend.get_array_module(g)
    if 0 < g.size < _prod(shape):  # (an empty g, from a size-0 broadcast, sums to zeros)
        # An op returned a smaller gradient meant to be broadcast: materialise it (writable,
        # and cheaper than numpy.broadcast_to on small arrays).
        out = xp.empty(shape, dtype=g.dtype)
        out[...] = g
        return out
    lead = g.ndim - len(shape)
    if lead == 1 and g.shape[1:] == shape:  # a bias: summed over the batch only
        return g.sum(axis=0)
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
        f"inplace operation: a tensor saved by {fn.name()} is at version {counter[0]}; "
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
            g = out._data if isinstance(out, Tensor) else out
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
        data = out._data
        if g is None:
            if data.size != 1:
                raise AutogradError(
                    f"grad can be implicitly created only for scalar outputs; the output has "
                    f"shape {tuple(data.shape)}. Pass gradient= (same shape), or reduce with "
                    ".sum()/.mean() first."
                )
            xp = backend.get_array_module(data)
            # array(1) is much cheaper than ones() for the usual 0-d loss
            g = xp.array(1, dtype=data.dtype) if not data.ndim else xp.ones(data.shape, data.dtype)
        else:
            if isinstance(g, Tensor):
                g = g._data
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

    Most of a graph is a chain (each node sends its gradient to one node): when nothing else is
    waiting and a node feeds exactly one node, that node runs next without passing through the
    heap or the dict of pending gradients.

    ``capture`` maps nodes (a Function, or a leaf Tensor) to lists: for ``autograd.grad`` the
    gradients reaching those nodes are collected there instead of being accumulated into
    ``.grad``.
    """
    if _tracer is not None:
        return _tracer(outputs, grad_outputs, retain_graph, capture)
    roots = _root_gradients(outputs, grad_outputs)
    grads = {}  # Function -> the sum of the gradients it has received so far
    leaf_grads = {}  # leaf Tensor -> the sum of its gradients
    heap = []
    fn = None  # the next node to run, when it is known without the heap
    if len(roots) == 1 and outputs[0].grad_fn is not None:  # the usual loss.backward()
        fn, g = outputs[0].grad_fn, roots[0]
    else:
        for out, g in zip(outputs, roots):
            node = out.grad_fn
            if node is None:
                leaf_grads[out] = leaf_grads[out] + g if out in leaf_grads else g
            elif node in grads:
                grads[node] = grads[node] + g
            else:
                grads[node] = g
                heap.append((node._seq, node))
        if len(heap) > 1:
            heapq.heapify(heap)

    pop, push = heapq.heappop, heapq.heappush
    get_grad, get_leaf = grads.get, leaf_grads.get
    extras = capture is not None
    enabled = grad_mode._enabled
    grad_mode._enabled = False  # backward formulas run on arrays; nothing to record
    quiet = backend.quiet_start()  # inf and nan as PyTorch gives them, without NumPy's warnings
    try:
        while fn is not None or heap:
            if fn is None:
                fn = pop(heap)[1]
                g = grads.pop(fn)
            saved = fn._saved_versions
            if saved is None:  # released by an earlier backward
                _raise_freed()
            if extras or fn._extras:
                g = _node_extras(fn, g, capture)
            for counter, expected in saved:
                if counter[0] != expected:
                    _raise_modified(fn, counter, expected)
            input_grads = fn.backward(g)
            if input_grads.__class__ is not tuple:
                input_grads = (
                    tuple(input_grads) if isinstance(input_grads, list) else (input_grads,)
                )
            # ``chain``: the one node that received a gradient while no other node waits.
            chain = None
            alone = not heap
            for parent, ig in zip(fn._next, input_grads):
                if parent is None or ig is None:
                    continue
                if parent._is_node:
                    if ig.shape != parent._out_shape or ig.dtype is not parent._out_dtype:
                        ig = _fit(ig, parent._out_shape, parent._out_dtype)
                    if alone:
                        if chain is None:
                            chain, chain_g = parent, ig
                            continue
                        if parent is chain:  # the same node twice (x * x)
                            chain_g = chain_g + ig
                            continue
                        # A second node: both go through the heap after all.
                        alone = False
                        grads[chain] = chain_g
                        push(heap, (chain._seq, chain))
                        chain = None
                    prev = get_grad(parent)
                    if prev is None:
                        grads[parent] = ig
                        push(heap, (parent._seq, parent))
                    else:
                        grads[parent] = prev + ig
                else:
                    data = parent._data
                    if ig.shape != data.shape or ig.dtype is not data.dtype:
                        ig = _fit(ig, data.shape, data.dtype)
                    prev = get_leaf(parent)
                    leaf_grads[parent] = ig = ig if prev is None else prev + ig
                    edge = parent.__dict__.get("_grad_edge_hook")
                    if edge is not None and capture is None:
                        # called with the leaf's gradient summed so far, as each node sends
                        # its share: DistributedDataParallel starts a bucket's all-reduce once
                        # every share of its parameters has arrived (overlap with backward)
                        edge(parent, ig)
            if not retain_graph:
                # release(), inlined: drop what forward saved
                fn.__dict__.clear()
                fn._saved_versions = None
            fn = chain
            if chain is not None:
                g = chain_g
    finally:
        grad_mode._enabled = enabled
        backend.quiet_end(quiet)

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
        key = id(g)
        if key in given:
            g = g.copy()
            key = id(g)
        given.add(key)
        if leaf.grad is None and g.__class__ is _ndarray and g.base is None:
            # _accumulate's commonest case, inlined: a new array the op made (so writeable)
            t = _new(Tensor)
            t._data = g
            t._version = [0]
            leaf.grad = t
        else:
            _accumulate(leaf, g)
        post = leaf.__dict__.get("_post_accumulate_hooks")
        if post:  # Tensor.register_post_accumulate_grad_hook: after .grad is updated
            for hook in list(post):
                hook(leaf)


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
        if g.dtype.kind == "c" and dtype.kind != "c":
            g = g.real  # a real input's gradient is the real part (PyTorch's rule)
        g = g.astype(dtype)
    return g


def _accumulate(t, g):
    grad = t.grad
    if grad is None:
        # Gradients may be read-only broadcast views or views of other arrays: own a copy. (A
        # NumPy array that owns its memory is one an op just made, so writeable.)
        if g.base is not None or (g.__class__ is not _ndarray and not backend.is_writeable(g)):
            g = g.copy()
        t.grad = Tensor._make(g)
    else:
        grad._data = grad._data + g
