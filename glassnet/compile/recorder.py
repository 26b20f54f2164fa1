"""The recorder: runs a function eagerly once and writes down every array call it makes.

It listens at three places: ``autograd._tracer`` (every op's forward), ``engine._tracer``
(a backward: the recorder runs it itself, in the engine's order, writing down each node's
``backward``, the sums of gradients and the accumulation into ``.grad``), and the effects in
``effects.py`` (optimizer steps, dropout masks, in-place writes, reads of tensor values).
Arrays are told apart by identity: every array an op makes gets a slot; a tensor whose array
has no slot is external (a parameter or buffer), re-read at the start of every replay.

The backward recording is in ``recorder_backward``, the text of a plan's lines in
``recorder_text``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, grad_mode
from glassnet.compile import lowering
from glassnet.compile import plan as P
from glassnet.compile.errors import CompileError
from glassnet.compile.recorder_backward import _BackwardRecording
from glassnet.compile.recorder_text import _const_text, _fmt, _shape  # noqa: F401
from glassnet.tensor import Tensor


def _owner(array):
    while array.base is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _spec_slots(specs):
    """The slots an op's argument specs read (a sequence's entries too)."""
    found = []
    for kind, v in specs:
        if kind is True:
            found.append(v)
        elif kind == "seq":
            found.extend(_spec_slots(v[1]))
    return found


class Recorder(_BackwardRecording):
    """Collects the steps of one plan while the function runs eagerly."""

    def __init__(self, name):
        self.name = name
        self.steps = []
        self.keep = []  # every array given a slot, alive until the plan is built (ids unique)
        self.slot_of = {}  # id(array) -> slot
        self.externals = []  # (slot, tensor)
        self.external_of = {}  # id(tensor) -> slot
        self.values = []  # slot -> the recorded array (to run the backward eagerly)
        self.input_slots = []
        self.opaque = 0  # > 0 inside an effect replayed as one call (optimizer.step)
        self.mode = grad_mode._enabled  # the grad mode the replay is in after the last step
        self.copy_source = None  # the array an in-place op is about to copy (effects.py)
        self.current_inputs = ()
        self.modules = {}  # id(module) -> (module, training) for the plan's guards

    # ---- slots ------------------------------------------------------------------------------
    def new_slot(self, array):
        slot = len(self.values)
        self.values.append(array)
        self.keep.append(array)
        self.slot_of[id(array)] = slot
        return slot

    def bind_input(self, t):
        slot = self.new_slot(t._data)
        self.input_slots.append(slot)
        return slot

    def tensor_slot(self, t):
        slot = self.slot_of.get(id(t._data))
        if slot is not None:
            return slot
        if self.copy_source is not None and id(self.copy_source) in self.slot_of:
            src = self.slot_of[id(self.copy_source)]
            self.copy_source = None
            slot = self.new_slot(t._data)
            text = f"copy(%{src}) -> %{slot}{_fmt(t._data)} (the old value of an in-place op)"
            self.add(P.copy_step(src, slot), "copy", text, reads=(src,))
            return slot
        derived = self._view_slot(t._data)
        if derived is not None:
            return derived
        slot = self.external_of.get(id(t))
        if slot is None or self.values[slot] is not t._data:
            slot = self.new_slot(t._data)
            self.externals.append((slot, t))
            self.external_of[id(t)] = slot
        return slot

    def arg_spec(self, a):
        if isinstance(a, Tensor):
            return (True, self.tensor_slot(a))
        slot = self.slot_of.get(id(a)) if hasattr(a, "shape") else None
        if slot is not None:
            return (True, slot)
        if hasattr(a, "shape") and hasattr(a, "strides"):
            slot = self._view_slot(a)
            if slot is not None:
                return (True, slot)
        if isinstance(a, (list, tuple)) and a:
            # a sequence holding traced arrays (the LSTM's dropout masks)
            specs = [self.arg_spec(v) for v in a]
            if any(kind is not False for kind, _ in specs):
                return ("seq", (type(a), tuple(specs)))
        return (False, a)

    def _view_slot(self, array):
        """A slot for ``array`` when it is a view into a traced array's memory (the
        gradient-free paths of reshape, transpose, slicing make such views without an op):
        replayed by its shape, strides and offset into the new array. None otherwise."""
        if not isinstance(array, np.ndarray) or array.base is None:
            return None
        owner = _owner(array)
        candidates = []
        base = array.base
        while base is not None:
            candidates.append(base)
            base = base.base
        # or a recent traced array that is itself a view of the same memory (a kernel's
        # output buffer)
        for value in self.values[-16:][::-1]:
            if isinstance(value, np.ndarray) and value.base is not None and _owner(value) is owner:
                candidates.append(value)
        for base in candidates:
            slot = self.slot_of.get(id(base))
            if slot is not None:
                offset = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
                if not base.flags.c_contiguous or offset < 0 or offset >= max(base.nbytes, 1):
                    continue
                new = self.new_slot(array)
                text = (
                    f"view of %{slot}: shape {_fmt(array)} strides {array.strides} "
                    f"offset {offset} -> %{new}"
                )
                info = (slot, new, array.shape, array.dtype, array.strides, offset)
                run = P.view_step(slot, new, array, offset, base.strides)
                self.add(run, "view", text, info=info, reads=(slot,))
                return new
        return None

    def _derived(self, array):
        if not hasattr(array, "strides"):
            # not an array: a NumPy dtype has .shape and a .base that is itself (T5's
            # mask.to(dtype) passed one here, and the walk below never ended)
            return False
        base = getattr(array, "base", None)
        while base is not None:
            if id(base) in self.slot_of:
                return True
            base = getattr(base, "base", None)
        return False

    def text_of(self, spec):
        is_slot, v = spec
        if is_slot == "seq":
            return "[" + ", ".join(self.text_of(x) for x in v[1]) + "]"
        if is_slot:
            return f"%{v}{_fmt(self.values[v])}"
        return _const_text(v)

    def add(self, run, kind, text, mode=None, info=None, reads=()):
        """Append a step; ``mode`` is the grad mode it must run under (None: any); ``info``
        is what a lowering pass needs, ``reads`` the slots the step reads."""
        if mode is not None and mode != self.mode:
            self.steps.append(P.Step(P.grad_mode_step(mode), "mode", f"grad mode {mode}"))
            self.mode = mode
        self.steps.append(P.Step(run, kind, text, info, tuple(reads)))

    # ---- the op tracer (autograd._tracer) ----------------------------------------------------
    def on_op(self, cls, fn, args, kwargs, result):
        if self.opaque:
            return
        spec = [self.arg_spec(a) for a in args]
        kwspec = {k: self.arg_spec(v) for k, v in kwargs.items()}
        if cls.__name__ in ("View", "ReshapeCopy") and spec[0][0] is True and spec[1][0] is False:
            # glassnet.ops.shape computes the reshape before the op: replay it on the new input
            out = self.new_slot(result._data)
            text = f"{cls.__name__}.forward({self.text_of(spec[0])}) -> %{out}{_fmt(result._data)}"
            run = P.reshape_step(fn, spec[0][1], tuple(result._data.shape), out)
            self.add(run, "forward", text, grad_mode._enabled, reads=(spec[0][1],))
            return
        for is_slot, v in spec + list(kwspec.values()):
            if is_slot is False and hasattr(v, "shape") and self._derived(v):
                raise CompileError(
                    f"{self.name}: {cls.__name__} received an array computed outside glassnet's "
                    "ops from a traced value; a replay could not recompute it. Use tensor "
                    "operations for it, or leave it out of the compiled function."
                )
        out = self.new_slot(result._data)
        ins = ", ".join(
            [self.text_of(s) for s in spec] + [f"{k}={self.text_of(s)}" for k, s in kwspec.items()]
        )
        text = f"{cls.__name__}.forward({ins}) -> %{out}{_fmt(result._data)}"
        run = P.forward_step(fn, spec, kwspec, out)
        info = ("forward", fn, spec, kwspec, out)
        reads = _spec_slots(spec + list(kwspec.values()))
        self.add(run, "forward", text, grad_mode._enabled, info=info, reads=reads)

    # ---- effects ----------------------------------------------------------------------------
    def on_call(self, method, args, kwargs, label):
        self.add(P.call_step(method, args, kwargs, self.externals), "call", label)
        self.steps[-1].info = (method, args, kwargs)

    def on_mask(self, make, args, kwargs, like, mask):
        dst = self.new_slot(mask)
        # keep_mask reads only the module, dtype and device of ``like``: an empty stand-in
        like = backend.get_array_module(like).empty((0,), dtype=like.dtype)
        text = f"dropout mask {_fmt(mask)} p={args[1]!r} (fresh draw) -> %{dst}{_fmt(mask)}"
        self.add(P.mask_step(make, args, kwargs, like, dst), "random", text)

    def on_write(self, tensor, array):
        dst = self.tensor_slot(tensor)
        src = self.arg_spec(array)
        if not src[0]:
            raise CompileError(
                f"{self.name}: an in-place write of a value computed outside glassnet's ops; "
                "compute it with tensor operations, or leave it out of the compiled function."
            )
        text = f"copy %{src[1]} into %{dst}{_fmt(self.values[dst])} (in place)"
        self.add(P.write_step(src[1], dst), "write", text, reads=(src[1], dst))

    def on_kernel(self, func, args, result, label):
        """An array kernel a layer calls directly (its inference fast path)."""
        spec, texts = [], []
        for a in args:
            if isinstance(a, Tensor):
                spec.append(("tensor", self.tensor_slot(a)))
                texts.append(f"%{spec[-1][1]}{_fmt(a._data)}")
            elif hasattr(a, "shape") and self.arg_spec(a)[0] is True:
                spec.append(("array", self.arg_spec(a)[1]))
                texts.append(f"%{spec[-1][1]}{_fmt(a)}")
            else:
                spec.append(("const", a))
                texts.append(_const_text(a) if not hasattr(a, "training") else type(a).__name__)
        if result is None:  # in place, into its first array argument
            out = None
            tail = " (in place)"
        else:
            out = self.new_slot(result)
            tail = f" -> %{out}{_fmt(result)}"
        text = f"{label}({', '.join(texts)}){tail}"
        reads = [v for kind, v in spec if kind != "const"]
        run = P.kernel_step(func, spec, out)
        self.add(run, "kernel", text, grad_mode._enabled, info=(func, spec, out), reads=reads)

    def on_counter(self, tensor):
        slot = self.tensor_slot(tensor)
        self.add(P.counter_step(tensor), "counter", f"%{slot}{_fmt(tensor._data)} += 1")

    def on_module(self, module):
        if id(module) in self.modules:
            return
        self.modules[id(module)] = (module, module.training)
        # the layers' gradient-free kernels read their parameters' arrays, not the Tensors
        for table in ("_parameters", "_buffers"):
            for t in module.__dict__.get(table, {}).values():
                if t is not None and id(t._data) not in self.slot_of:
                    self.tensor_slot(t)

    # ---- the output -------------------------------------------------------------------------
    def output_tree(self, value):
        if isinstance(value, Tensor):
            slot = self.slot_of.get(id(value._data))
            if slot is None or any(t is value for _, t in self.externals):
                return ("tensor", value)
            return ("slot", slot)
        if isinstance(value, tuple):
            return ("tuple", tuple(self.output_tree(v) for v in value))
        if isinstance(value, list):
            return ("list", [self.output_tree(v) for v in value])
        if isinstance(value, dict):
            return ("dict", [(k, self.output_tree(v)) for k, v in value.items()])
        return ("const", value)

    def build(self, output):
        tree = self.output_tree(output)
        guards = tuple(self.modules.values())
        steps, values, template = lowering.lower(self.steps, self.values, tree)
        plan = P.Plan(
            len(values),
            self.input_slots,
            list(self.externals),
            steps,
            tree,
            guards,
            self.name,
            template,
        )
        self.values = self.keep = self.slot_of = None  # the plan holds no recorded values
        return plan
