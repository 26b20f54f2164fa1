"""What the recorder must see besides ops: the effects of a step that are not Function calls.

While a function is recorded (and only then), ``recording(rec)`` wraps a few methods:

- ``Optimizer.step``, ``Optimizer.zero_grad`` and ``Module.zero_grad``: recorded as one call
  each, replayed by calling them again (optimizer updates are already graph-free array code);
- ``keep_mask`` (every dropout's mask): replayed as a fresh draw from glassnet's generator;
- ``Tensor._write`` and ``Tensor._inplace``: an in-place op's write into the tensor's memory;
- ``_BatchNorm.forward``: the ``num_batches_tracked`` counter it bumps in Python;
- ``Tensor.item/tolist/numpy/__bool__/__float__/__int__/__index__/__array__``: Python reading a
  tensor's value, which a replay could not follow, raises ``CompileError`` naming the line;
- ``Generator.for_device``: any other random draw raises ``CompileError`` (it would be frozen).

The wrapped methods are restored when recording ends, even on an error. The nn and optim
modules are imported here, lazily, because their effects are what this file knows about.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types

from glassnet import autograd, engine
from glassnet import random as grandom
from glassnet.compile.errors import CompileError
from glassnet.tensor import Tensor

_GLASSNET_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_VALUE_READS = (
    "item",
    "tolist",
    "numpy",
    "__bool__",
    "__float__",
    "__int__",
    "__index__",
    "__array__",
)


def _user_line(code):
    """``file:line: source`` of the compiled function's frame (or the first frame outside
    glassnet) that is running now."""
    import linecache

    frame = sys._getframe(2)
    fallback = None
    while frame is not None:
        if frame.f_code is code:
            fallback = frame
            break
        if fallback is None and not frame.f_code.co_filename.startswith(_GLASSNET_DIR):
            fallback = frame
        frame = frame.f_back
    if fallback is None:
        return "an unknown line"
    filename, lineno = fallback.f_code.co_filename, fallback.f_lineno
    source = linecache.getline(filename, lineno).strip()
    return f"{os.path.basename(filename)}:{lineno}: `{source}`"


def _subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


@contextlib.contextmanager
def recording(rec, code):
    """Route ops, backwards and effects to the recorder ``rec`` for the duration."""
    import importlib

    from glassnet.nn import module as nn_module
    from glassnet.nn import normalization
    from glassnet.optim.optimizer import Optimizer

    # (the module, not F.dropout, which shadows its name on the package)
    dropout_module = importlib.import_module("glassnet.nn.functional.dropout")

    if autograd._tracer is not None or engine._tracer is not None:
        raise CompileError(
            f"{rec.name}: another tracer is active (an ONNX export or a compiled function "
            "being recorded); compile outside it."
        )
    saved = []

    def patch(owner, name, value):
        saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, value)

    def opaque(original, label):
        def wrapper(self, *args, **kwargs):
            if rec.opaque:
                return original(self, *args, **kwargs)
            rec.opaque += 1
            try:
                result = original(self, *args, **kwargs)
            finally:
                rec.opaque -= 1
            rec.on_call(types.MethodType(original, self), args, kwargs, label(self))
            return result

        return wrapper

    for cls in _subclasses(Optimizer):
        for name in ("step", "zero_grad"):
            if name in cls.__dict__:
                label = lambda self, n=name: f"{type(self).__name__}.{n}()  (called as it is)"  # noqa: E731
                patch(cls, name, opaque(cls.__dict__[name], label))
    for cls in _subclasses(nn_module.Module):
        if "zero_grad" in cls.__dict__:
            label = lambda self: f"{type(self).__name__}.zero_grad()"  # noqa: E731
            patch(cls, "zero_grad", opaque(cls.__dict__["zero_grad"], label))

    original_mask = dropout_module.keep_mask

    def keep_mask(shape, p, like):
        rec.opaque += 1
        try:
            mask = original_mask(shape, p, like)
        finally:
            rec.opaque -= 1
        if not rec.opaque:
            rec.on_mask(original_mask, (shape, p), {}, like, mask)
        return mask

    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("glassnet.") and (
            mod.__dict__.get("keep_mask") is original_mask
        ):
            patch(mod, "keep_mask", keep_mask)

    original_for_device = grandom.Generator.for_device

    def for_device(self, device):
        if not rec.opaque:
            raise CompileError(
                f"{rec.name}: a random draw other than dropout at {_user_line(code)}; a "
                "replay would repeat the same numbers. Draw it outside the compiled function "
                "and pass it in as an argument."
            )
        return original_for_device(self, device)

    patch(grandom.Generator, "for_device", for_device)

    original_write = Tensor._write

    def _write(self, array):
        original_write(self, array)
        if not rec.opaque:
            rec.on_write(self, array)

    patch(Tensor, "_write", _write)
    original_inplace = Tensor._inplace

    def _inplace(self, op, *args, ufunc=None):
        if rec.opaque:
            return original_inplace(self, op, *args, ufunc=ufunc)
        # With a graph, _inplace_tracked runs the op on a copy of the old value: the copy is
        # the one unknown tensor the op then reads (see Recorder.tensor_slot).
        rec.copy_source = self._data
        try:
            return original_inplace(self, op, *args)  # the recorded path: an op, then a write
        finally:
            rec.copy_source = None

    patch(Tensor, "_inplace", _inplace)

    original_bn = normalization._BatchNorm.forward

    def bn_forward(self, input):
        if (
            not rec.opaque
            and self.training
            and self.track_running_stats
            and self.num_batches_tracked is not None
        ):
            if self.momentum is None:
                raise CompileError(
                    f"{rec.name}: BatchNorm with momentum=None averages with a factor read "
                    "from num_batches_tracked in Python; give it a momentum (0.1) to compile."
                )
            rec.on_counter(self.num_batches_tracked)
        return original_bn(self, input)

    patch(normalization._BatchNorm, "forward", bn_forward)

    # Layers' inference fast paths (Linear, ReLU, convolutions, pooling on the CPU without a
    # graph) call an array kernel directly instead of a Function: record the kernel call.
    linear_module = importlib.import_module("glassnet.nn.linear")
    activation_module = importlib.import_module("glassnet.nn.activation")
    for mod, name in ((linear_module, "_linear_array"), (activation_module, "_relu_array")):
        patch(mod, name, _kernel(rec, getattr(mod, name), name.strip("_")))
    for cls in _subclasses(nn_module.Module):
        if "_infer" in cls.__dict__:
            patch(cls, "_infer", _kernel(rec, cls.__dict__["_infer"], f"{cls.__name__}._infer"))
        if "_apply_in_place" in cls.__dict__:
            label = f"{cls.__name__}._apply_in_place"
            patch(cls, "_apply_in_place", _kernel(rec, cls.__dict__["_apply_in_place"], label))

    original_call = nn_module.Module.__call__

    def module_call(self, *args, **kwargs):
        if not rec.opaque:
            rec.on_module(self)
        return original_call(self, *args, **kwargs)

    patch(nn_module.Module, "__call__", module_call)

    for name in _VALUE_READS:
        patch(Tensor, name, _value_read(rec, code, name, getattr(Tensor, name)))

    autograd._tracer = rec.on_op
    engine._tracer = rec.on_backward
    try:
        yield
    finally:
        autograd._tracer = None
        engine._tracer = None
        for owner, name, value in reversed(saved):
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


_MISSING = object()


def _kernel(rec, func, label):
    """``func`` (an array kernel or a layer's ``_infer`` method), recorded when called."""

    def wrapper(*args):
        result = func(*args)
        if not rec.opaque:
            rec.on_kernel(func, args, result, label)
        return result

    wrapper.__name__ = getattr(func, "__name__", label)
    return wrapper


def _value_read(rec, code, name, original):
    def read(self, *args, **kwargs):
        if rec.opaque:
            return original(self, *args, **kwargs)
        call = "bool(tensor)" if name == "__bool__" else f"tensor.{name}()"
        raise CompileError(
            f"glassnet.compile: {rec.name} reads a tensor's value in Python ({call}) at "
            f"{_user_line(code)}. A compiled function is recorded once and replayed, so Python "
            "control flow on tensor values cannot follow the new values. Move the line out of "
            "the compiled function (return the tensor and read it after the call), or do not "
            "compile this function."
        )

    read.__name__ = name
    return read
