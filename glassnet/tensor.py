"""Tensor: an n-dimensional array that remembers how it was made, so gradients can flow back.

The values live in ``_data``, a NumPy array (CPU) or a CuPy array (GPU): the name every op
inside glassnet reads. ``.data`` is PyTorch's: a Tensor sharing that memory, without history
(for ``p.data.mul_(0.9)``); ``.numpy()`` gives the array to a user. A tensor made by an op on
tensors that require grad gets a ``grad_fn``: the Function that made it, which knows its inputs
and how to send a gradient back to them. Arithmetic, reductions and the other ops are attached
as methods by ``glassnet.ops`` (one function serves ``glassnet.add(a, b)`` and ``a.add(b)``).

>>> import glassnet
>>> x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, dtypes, grad_mode
from glassnet.errors import AutogradError, DTypeError, ShapeError
from glassnet.tensor_conversion import _TensorConversion
from glassnet.tensor_meta import Device, Size  # noqa: F401 - glassnet.tensor.Size as before
from glassnet.tensor_properties import _TensorProperties

_new = object.__new__


class Tensor(_TensorProperties, _TensorConversion):
    """A multi-dimensional array with autograd. Make one with ``glassnet.tensor(...)``.

    Its shape/dtype/device queries live in ``glassnet.tensor_properties``, its conversions to
    NumPy, Python numbers and text in ``glassnet.tensor_conversion``."""

    # ``_data`` (the array) and ``_version`` are set by every constructor, so they live in slots
    # (a tensor without a graph then needs no instance dict at all, and reading them is a plain
    # slot access on every op's hot path); the rest are class-level defaults, so an op's output
    # only sets what differs.
    __slots__ = ("_data", "_version", "__dict__", "__weakref__")
    grad = None
    grad_fn = None
    requires_grad = False
    _hooks = None
    _base = None  # the tensor this one is a view of, when that one requires grad
    _retains_grad = False
    _is_node = False  # a leaf in the graph, where a Function (grad_fn) has True
    __array_priority__ = 1000  # numpy_scalar * tensor uses Tensor.__rmul__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data._data
        dtype = dtypes.as_dtype(dtype)
        if backend.is_cuda_array(data):
            array = data if dtype is None else data.astype(dtype, copy=False)
        else:
            array = np.asarray(data, dtype=dtype if dtype is not None else dtypes.infer_dtype(data))
        if device is not None:
            array = backend.to_device(array, backend.normalize_device(device))
        self._data = array
        self._version = [0]
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array):
        """Wrap an array without checks or copies (the hot path of every op)."""
        t = _new(cls)
        t._data = array
        t._version = [0]
        return t

    # ---- properties -------------------------------------------------------------------
    @property
    def data(self):
        """This tensor's memory as a new Tensor without history, as ``torch.Tensor.data``.

        Changes made through it reach this tensor, autograd does not see them (no grad_fn, no
        version bump: the old way to update parameters, ``p.data.add_(p.grad, alpha=-lr)``).
        Assigning ``t.data = other`` makes ``t`` use ``other``'s memory, shape and dtype.

        >>> import glassnet
        >>> w = glassnet.nn.Parameter(glassnet.ones(2))
        >>> w.data.mul_(0.5)
        tensor([0.5000, 0.5000])
        >>> w
        Parameter containing:
        tensor([0.5000, 0.5000], requires_grad=True)
        """
        t = _new(Tensor)
        t._data = self._data
        t._version = [0]  # not this tensor's counter: in-place changes stay invisible to autograd
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(value).__name__}; "
                "wrap it first: t.data = glassnet.as_tensor(value)."
            )
        array = value._data
        if self.requires_grad and not dtypes.is_floating(array.dtype):
            raise AutogradError(
                "data set to a tensor that requires gradients must be floating point, got "
                f"{array.dtype}; convert it with .float() first."
            )
        self._data = array

    # ---- autograd ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        """Mark a leaf tensor as a parameter to learn (gradients accumulate in ``.grad``)."""
        if requires_grad and not dtypes.is_floating(self._data.dtype):
            raise AutogradError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}; "
                "convert with .float() first."
            )
        if not requires_grad and self.grad_fn is not None:
            raise AutogradError(
                "requires_grad_(False) on a non-leaf tensor: use .detach() to get a tensor "
                "outside the graph."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=False, inputs=None):
        """Send gradients from this tensor back to every leaf that requires grad."""
        if inputs is None:
            _engine._execute([self], None if gradient is None else [gradient], retain_graph)
        else:
            from glassnet import autograd

            autograd.backward(
                [self], None if gradient is None else [gradient], retain_graph, inputs
            )

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            fn = self.grad_fn
            hooks = fn._hooks
            if hooks is None:
                hooks = fn._hooks = []
            fn._extras = True
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if self.grad_fn is None:
            return
        import weakref

        self.grad_fn._retained = weakref.ref(self)
        self.grad_fn._extras = True
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def detach(self):
        """The same data, cut off from the graph (shares memory, as in PyTorch)."""
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    def detach_(self):
        if self._base is not None:
            raise AutogradError("detach_() on a view of a tensor that requires grad")
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ---- in place ---------------------------------------------------------------------
    def _inplace(self, op, *args, ufunc=None):
        """Apply ``op(self, *args)`` in place, keeping autograd correct.

        Without a graph to record, the result is written into ``self._data``. With one, the op is
        recorded on a copy of the old value and this tensor takes the new ``grad_fn``, as
        PyTorch does; what autograd cannot make correct raises instead of giving wrong grads.

        ``ufunc`` names the NumPy/CuPy ufunc that computes ``op`` ("add", "subtract",
        "multiply", "true_divide"): with nothing to record and one operand of the same dtype
        (or a Python number on a float tensor), it runs straight into this tensor's memory, the
        fast path of optimizer updates such as ``p -= lr * p.grad``.
        """
        if grad_mode._enabled and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        ):
            return self._inplace_tracked(op, args)
        if ufunc is not None and len(args) == 1:
            # With no dtype promotion and no broadcasting of self: the ufunc writes in place.
            data, other = self._data, args[0]
            if data.dtype.kind == "f":
                if isinstance(other, Tensor):
                    other = other._data
                    fits = (
                        other.dtype is data.dtype
                        and other.ndim <= data.ndim
                        and other.__class__ is data.__class__
                    )
                else:
                    fits = other.__class__ is float or other.__class__ is int
                if fits:
                    try:
                        xp = np if data.__class__ is np.ndarray else backend.get_array_module(data)
                        getattr(xp, ufunc)(data, other, out=data)
                    except ValueError:  # does not broadcast to self's shape, or read-only:
                        pass  # the general path below raises the explanatory error
                    else:
                        self._version[0] += 1
                        return self
        # Nothing to record (grad mode is off, or nothing requires grad): compute and write.
        self._write(op(self, *args)._data)
        return self

    def _inplace_tracked(self, op, args):
        if self.grad_fn is None and self.requires_grad:
            raise AutogradError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap parameter updates in `with glassnet.no_grad():`, or use the "
                "out-of-place op."
            )
        if self._base is not None:
            raise AutogradError(
                "in-place operation on a view of a tensor that requires grad is not supported; "
                "use the out-of-place op (for example `y = x * 2` instead of `x[0].mul_(2)`)."
            )
        # The op may save its input for backward, and self's memory is about to change.
        old = Tensor._make(self._data.copy())
        old.grad_fn, old.requires_grad = self.grad_fn, self.requires_grad
        out = op(old, *args)
        self._write(out._data)
        self.grad_fn, self.requires_grad = out.grad_fn, out.requires_grad
        if self._retains_grad and out.grad_fn is not None:
            import weakref

            out.grad_fn._retained = weakref.ref(self)
            out.grad_fn._extras = True
        return self

    def _write(self, array):
        """Copy ``array`` into this tensor's memory (views see it) and bump its version."""
        data = self._data
        if array.shape != data.shape:
            raise ShapeError(
                f"in-place operation: result of shape {tuple(array.shape)} cannot be written "
                f"into a tensor of shape {tuple(data.shape)}; use the out-of-place op."
            )
        if (
            array.dtype is not data.dtype
            and array.dtype != data.dtype
            and not np.can_cast(array.dtype, data.dtype, casting="same_kind")
        ):
            raise DTypeError(
                f"in-place operation: result type {array.dtype} can't be cast to the desired "
                f"output type {data.dtype}; use the out-of-place op or convert first."
            )
        try:
            data[...] = array
        except ValueError:
            if backend.is_writeable(data):
                raise
            raise AutogradError(
                "in-place operation on a read-only tensor (an expand()/broadcast view); "
                "call .clone() first."
            ) from None
        self._version[0] += 1

    # By identity (== is elementwise, as in PyTorch); the C slot keeps dict lookups fast.
    __hash__ = object.__hash__


def wrap(array):
    """``Tensor._make`` as a plain function, a little cheaper on the hottest paths."""
    t = _new(Tensor)
    t._data = array
    t._version = [0]
    return t


class _HookHandle:
    """Returned by register_hook; ``.remove()`` takes the hook off."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# The engine needs Tensor, so it is imported once Tensor exists (backward() calls it).
from glassnet import _tensor_str  # noqa: E402, F401 - glassnet.tensor._tensor_str as before
from glassnet import engine as _engine  # noqa: E402
