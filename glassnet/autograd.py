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

import itertools

import numpy as np

from glassnet import backend, grad_mode
from glassnet.autograd_backward import backward, grad  # noqa: F401 - public
from glassnet.autograd_checks import (  # noqa: F401 - re-exported
    _check_broadcast,
    _check_devices,
    _raise_device_mismatch,
    _untracked,
)
from glassnet.engine import _accumulate, _execute, sum_to_shape  # noqa: F401 - public
from glassnet.errors import AutogradError, DeviceError  # noqa: F401 - re-exported
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
# An op tracer (glassnet.onnx export): when set, called as tracer(cls, fn, args, kwargs, result)
# after every op's forward, whether or not a graph is recorded. None costs one global lookup.
_tracer = None


class Function:
    """One differentiable primitive: ``forward`` on arrays, ``backward`` on the output's gradient.

    Class attributes a subclass may set:
    - ``is_view``: the output shares memory with the first input (reshape, transpose, slicing),
      so both share a version counter and in-place changes to either are noticed.
    - ``saves_inputs``: False when backward never reads the inputs' values (add, reshape, sum),
      which lets later in-place changes of those inputs pass.
    - ``saves_output``: True when backward reads the op's own output (exp, tanh, softmax), so an
      in-place change of that output before backward raises instead of giving wrong gradients.

    The engine's bookkeeping lives in slots with a leading underscore, so a subclass is free to
    keep ``self.shape`` or ``self.dtype`` of its own.
    """

    __slots__ = ("_next", "_out_shape", "_out_dtype", "_saved_versions", "_seq", "__dict__")
    is_view = False
    saves_inputs = True
    saves_output = False
    # Elementwise ops between two tensors whose callers leave the check that the shapes
    # broadcast to NumPy, for speed: a failure is then explained with ``error_name``.
    broadcasts = False
    error_name = None
    # Rarely set, so they live on the class until a hook or retain_grad sets them.
    _hooks = None
    _retained = None
    _extras = False  # True once a hook or retain_grad is set: the engine then looks at both
    _is_node = True  # a graph node, where a leaf Tensor has False

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (non-tensor arguments pass through as constants)."""
        if backend._cupy is not None:  # without CuPy every array is on the CPU
            _check_devices(cls, args)
        fn = _new(cls)
        # Every op runs through here, so one and two arguments without keywords (most ops) get
        # unrolled paths that also record the graph without building intermediate lists.
        n = len(args)
        quiet = backend.quiet_start()  # NumPy's floating-point warnings: see backend.quiet_start
        try:
            if kwargs:
                out, track = _forward_general(fn, args, kwargs)
                n = -1  # record through the general path too
            elif n == 2:
                a, b = args
                if isinstance(a, Tensor):
                    if isinstance(b, Tensor):
                        out = fn.forward(a._data, b._data)
                        track = a.requires_grad or b.requires_grad
                    else:
                        out = fn.forward(a._data, b)
                        track = a.requires_grad
                elif isinstance(b, Tensor):
                    out = fn.forward(a, b._data)
                    track = b.requires_grad
                else:
                    out = fn.forward(a, b)
                    track = False
            elif n == 1 and isinstance(args[0], Tensor):
                a = args[0]
                out = fn.forward(a._data)
                track = a.requires_grad
            elif n == 3:  # linear(x, w, b), reductions (x, dims, keepdim)
                a, b, c = args
                ta, tb, tc = isinstance(a, Tensor), isinstance(b, Tensor), isinstance(c, Tensor)
                out = fn.forward(a._data if ta else a, b._data if tb else b, c._data if tc else c)
                track = (
                    (ta and a.requires_grad) or (tb and b.requires_grad) or (tc and c.requires_grad)
                )
            else:
                out, track = _forward_general(fn, args, kwargs)
        except ValueError:
            if cls.broadcasts:  # callers leave the broadcasting check to NumPy: explain it
                _check_broadcast(cls, args)
            raise
        finally:
            backend.quiet_end(quiet)
        if out.__class__ is not _ndarray:
            out = backend.get_array_module(out).asarray(out)
        result = _new(Tensor)
        result._data = out
        if cls.is_view:
            base = _first_tensor(args)
            result._version = base._version
        else:
            result._version = [0]
        if _tracer is not None:
            _tracer(cls, fn, args, kwargs, result)
        if not track or not grad_mode._enabled or out.dtype.kind != "f" and _untracked(cls, out):
            return result
        # Record the graph: one node per input (None for constants), and the version of every
        # input tensor that backward reads, so it notices in-place changes made after this op.
        save = cls.saves_inputs
        if n == 2 and isinstance(a, Tensor):
            na = (a.grad_fn or a) if a.requires_grad else None
            if isinstance(b, Tensor):
                nb = (b.grad_fn or b) if b.requires_grad else None
                if save:
                    va, vb = a._version, b._version
                    versions = ((va, va[0]), (vb, vb[0]))
                else:
                    versions = ()
            else:
                nb = None
                if save:
                    va = a._version
                    versions = ((va, va[0]),)
                else:
                    versions = ()
            nexts = (na, nb)
        elif n == 1:
            nexts = (a.grad_fn or a,)  # tracking, so a requires grad
            if save:
                va = a._version
                versions = ((va, va[0]),)
            else:
                versions = ()
        elif n == 3 and not tb and not tc:  # one tensor and two constants
            nexts = (a.grad_fn or a, None, None)
            if save:
                va = a._version
                versions = ((va, va[0]),)
            else:
                versions = ()
        else:
            nodes = []
            versions = []
            for a in args:
                if isinstance(a, Tensor):
                    nodes.append((a.grad_fn or a) if a.requires_grad else None)
                    if save:
                        v = a._version
                        versions.append((v, v[0]))
                else:
                    nodes.append(None)
            nexts = tuple(nodes)
            versions = tuple(versions)
        if cls.is_view:
            result._base = base
        return _record(cls, fn, result, nexts, versions)

    def release(self):
        """Drop what forward saved (after a backward without retain_graph)."""
        self.__dict__.clear()
        self._saved_versions = None  # how the engine tells a released node

    def name(self):
        """The name PyTorch prints for this node, such as ``MulBackward0``."""
        return type(self).__name__ + "Backward0"

    @property
    def next_functions(self):
        """The nodes this one sends gradients to, one per input (PyTorch's attribute)."""
        return tuple(self._next) if hasattr(self, "_next") else ()

    def __repr__(self):
        return f"<{self.name()}>"


def apply_pair(cls, a, b):
    """``cls.apply(a, b)`` for two Tensors, the commonest call (arithmetic, matmul), with less
    Python: the same result, graph and checks. Not for view ops (``is_view``)."""
    if backend._cupy is not None:
        _check_devices(cls, (a, b))
    fn = _new(cls)
    quiet = backend.quiet_start()
    try:
        out = fn.forward(a._data, b._data)
    except ValueError:
        if cls.broadcasts:
            _check_broadcast(cls, (a, b))
        raise
    finally:
        backend.quiet_end(quiet)
    if out.__class__ is not _ndarray:
        out = backend.get_array_module(out).asarray(out)
    result = _new(Tensor)
    result._data = out
    result._version = [0]
    if _tracer is not None:
        _tracer(cls, fn, (a, b), {}, result)
    need_a, need_b = a.requires_grad, b.requires_grad
    if (
        not (need_a or need_b)
        or not grad_mode._enabled
        or out.dtype.kind != "f"
        and _untracked(cls, out)
    ):
        return result
    nexts = ((a.grad_fn or a) if need_a else None, (b.grad_fn or b) if need_b else None)
    if cls.saves_inputs:
        va, vb = a._version, b._version
        return _record(cls, fn, result, nexts, ((va, va[0]), (vb, vb[0])))
    return _record(cls, fn, result, nexts, ())


def apply_constant(cls, a, b):
    """``cls.apply(a, b)`` for a Tensor and a constant (``x * 0.5``, ``x ** 2``), with less
    Python: the same result, graph and checks. Not for view ops (``is_view``)."""
    fn = _new(cls)
    quiet = backend.quiet_start()
    try:
        out = fn.forward(a._data, b)
    finally:
        backend.quiet_end(quiet)
    if out.__class__ is not _ndarray:
        out = backend.get_array_module(out).asarray(out)
    result = _new(Tensor)
    result._data = out
    result._version = [0]
    if _tracer is not None:
        _tracer(cls, fn, (a, b), {}, result)
    if (
        not a.requires_grad
        or not grad_mode._enabled
        or out.dtype.kind != "f"
        and _untracked(cls, out)
    ):
        return result
    versions = ((a._version, a._version[0]),) if cls.saves_inputs else ()
    return _record(cls, fn, result, (a.grad_fn or a, None), versions)


def _record(cls, fn, result, nexts, input_versions):
    """Make ``fn`` the graph node of ``result`` (the fast paths' shared ending): its parents
    ``nexts`` and the version counters its backward will check."""
    out = result._data
    if cls.saves_output:
        version = result._version  # a view shares its base's counter, already counting
        input_versions += ((version, version[0]),)
    fn._next = nexts
    fn._saved_versions = input_versions
    fn._seq = next(_sequence)
    fn._out_shape = out.shape
    fn._out_dtype = out.dtype
    result.grad_fn = fn
    result.requires_grad = True
    return result


def _forward_general(fn, args, kwargs):
    """forward on any arguments: tensors become their arrays; also says whether to record."""
    arrays = []
    track = False
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a.requires_grad:
                track = True
        else:
            arrays.append(a)
    return fn.forward(*arrays, **kwargs), track


def _first_tensor(args):
    for a in args:
        if isinstance(a, Tensor):
            return a
    return None
