"""The array-call lowering pass: recorded op steps become direct ufunc/BLAS calls into buffers.

``lower_ops`` (with ``lower_losses``) and ``lower_kernels`` say, per op family, which array
calls a recorded step makes (``calls.Call``); this pass applies those tables to a plan and
then decides, slot by slot, where each result goes:

- a slot only lowered calls read gets a **buffer**, made once with the recorded array's shape,
  dtype and strides, and written with ``out=`` on every replay (nothing else can see it);
- a slot something else reads (a recorded op, a ``.grad``, the optimizer, the caller: the
  function's output) gets a **fresh** array every replay, as eager mode makes, so no array a
  caller holds changes under it at the next call;
- a view of a buffer (``b.T``, a pooling window, a flatten) is made once, and a call whose
  inputs never change (the gradient 1 of the loss, divided by the batch size) is **folded**:
  computed once, read from then on.

Steps no lowering knows are kept as recorded, so every plan still runs; ``explain()`` shows
which steps were lowered and into which calls. Only NumPy float32/float64 arrays are lowered
(the recorded Function calls serve CuPy and the other dtypes).

>>> lower_calls([], [], ("const", None))[0]
[]
"""

from __future__ import annotations

import numpy as np

from glassnet.compile import lower_kernels, lower_ops
from glassnet.compile.array_closures import (  # noqa: F401 - re-exported
    _alias_run,
    _as_array,
    _asarray,
    _closure,
    _run,
    _view_run,
)
from glassnet.compile.calls import Call, S, _real_float, rows_sum
from glassnet.compile.plan import Step


class _DeclineError(Exception):
    """A lowering met a case it does not mirror: the step stays as recorded."""


class Lowering:
    """What a lowering may ask about the plan: recorded arrays, a Function's forward call,
    and new slots for temporaries (a transposed view, a mask)."""

    def __init__(self, values):
        self.values = list(values)
        self.forwards = {}  # id(Function) -> (spec, kwspec, out) of its recorded forward
        self.saved = {}  # id(Function) -> what its lowered forward left for its backward

    def value(self, slot):
        return self.values[slot]

    def forward_of(self, fn):
        found = self.forwards.get(id(fn))
        if found is None:
            raise _DeclineError
        return found

    def temp(self, like):
        self.values.append(like)
        return len(self.values) - 1


def _lower_step(ctx, step):
    info = step.info
    if info is None:
        return None
    try:
        if step.kind == "forward" and info[0] == "forward":
            _, fn, spec, kwspec, out = info
            lowering = lower_ops.FORWARD.get(type(fn))
            return lowering and lowering(ctx, fn, spec, kwspec, out)
        if step.kind == "backward" and info[0] == "backward":
            _, fn, g, pairs = info
            lowering = lower_ops.BACKWARD.get(type(fn))
            if lowering is None or not pairs or not _real_float(ctx.value(g)):
                return None
            return lowering(ctx, fn, g, pairs)
        if step.kind == "kernel":
            func, spec, out = info
            lowering = lower_kernels.kernel_lowering(func)
            return lowering and lowering(ctx, spec, out)
        if step.kind == "fit" and info[4]:  # a bias's gradient: summed over the batch
            src, dst = info[0], info[1]
            if not _real_float(ctx.value(src)):
                return None
            return [rows_sum(src, dst)]
        if step.kind == "add":
            a, b, dst = info
            if not _real_float(ctx.value(a), ctx.value(b)):
                return None
            return [Call(np.add, [S(a), S(b)], dst)]
    except _DeclineError:
        return None
    return None


def _output_slots(tree, found):
    kind = tree[0]
    if kind == "slot":
        found.add(tree[1])
    elif kind in ("tuple", "list"):
        for x in tree[1]:
            _output_slots(x, found)
    elif kind == "dict":
        for _, x in tree[1]:
            _output_slots(x, found)
    return found


def lower_calls(steps, values, output):
    """``(steps, values, template)``: the steps with the lowerable ones replaced, the recorded
    arrays with the temporaries' appended, and the slot list a replay starts from (buffers,
    folded constants, views of them; None elsewhere)."""
    ctx = Lowering(values)
    for step in steps:
        if step.kind == "forward" and step.info is not None and step.info[0] == "forward":
            _, fn, spec, kwspec, out = step.info
            ctx.forwards[id(fn)] = (spec, kwspec, out)
    lowered = {}
    for i, step in enumerate(steps):
        calls = _lower_step(ctx, step)
        if calls:
            lowered[i] = calls
    # A Function goes with its backward: the recorded backward reads what forward saved.
    units = {}
    for i, step in enumerate(steps):
        if step.kind in ("forward", "backward") and step.info is not None:
            units.setdefault(id(step.info[1]), []).append(i)
    for members in units.values():
        if not all(i in lowered for i in members):
            for i in members:
                lowered.pop(i, None)
    if not lowered:
        return steps, values, None

    values = ctx.values
    escape = _escaping(steps, lowered, output)
    template = [None] * len(values)
    stable = set()  # slots whose array is the same object on every replay
    constant = set()  # ... whose values never change either
    updated = {c.out for calls in lowered.values() for c in calls if c.kind == "update"}
    readers = _lowered_readers(steps, lowered)
    new_steps = []
    for i, step in enumerate(steps):
        if i in lowered:
            runs, lines = [], []
            for call in lowered[i]:
                run, line = _bind(call, values, escape, template, stable, constant, updated)
                if run is not None:
                    runs.append(run)
                lines.append(line)
            # the recorded op's line, then the array calls it was lowered to
            text = step.text + "".join(f"\n        | {line}" for line in lines)
            new_steps.append(Step(None, "lowered", text, runs=runs))
        elif step.kind == "view" and step.info is not None and step.info[0] in stable:
            src, dst, shape, dtype, strides, offset = step.info
            base = template[src]
            template[dst] = np.ndarray(shape, dtype, buffer=base, offset=offset, strides=strides)
            stable.add(dst)
            new_steps.append(Step(None, "view", f"{step.text} (made once)", runs=[]))
        elif (
            step.kind == "root"
            and step.info is not None
            and _only_lowered(step.info[0], readers, escape)
        ):
            dst, shape, dtype, xp = step.info
            ones = xp.ones(shape, dtype) if shape else xp.array(1, dtype=dtype)
            ones.flags.writeable = False  # read by lowered calls only, never written
            template[dst] = ones
            stable.add(dst)
            constant.add(dst)
            new_steps.append(Step(None, "root", f"{step.text} (made once: read-only)", runs=[]))
        else:
            new_steps.append(step)
    return new_steps, values, template


def _only_lowered(slot, readers, escape):
    return slot not in escape and slot in readers


def _lowered_readers(steps, lowered):
    found = set()
    for calls in lowered.values():
        for call in calls:
            found.update(call.slots())
    return found


def _escaping(steps, lowered, output):
    """The slots whose array something besides the lowered calls may hold: the output, and
    whatever a kept step reads, including through a view or an alias of it."""
    escape = _output_slots(output, set())
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        if i in lowered:
            for call in reversed(lowered[i]):
                if call.kind in ("view", "alias") and call.out in escape:
                    escape.update(call.slots()[:1])
            continue
        if step.kind == "view" and step.info is not None:
            if step.info[1] in escape:
                escape.add(step.info[0])
            continue
        if step.kind == "write":  # env[dst][...] = env[src]: src is copied, dst changed in
            escape.add(step.reads[1])  # place (never a buffer: it may be folded or made once)
            continue
        escape.update(step.reads)
    return escape


def _bind(call, values, escape, template, stable, constant, updated):
    """The closure that runs ``call`` on a replay (None when made once here), and its line."""
    out = call.out
    value = values[out]
    args_text = ", ".join(
        f"%{a.k}{tuple(values[a.k].shape)}" if a.__class__ is S else _const(a) for a in call.args
    )
    slot_args = call.slots()
    head = f"{call.name}({args_text})"
    if call.kind == "alias":
        src = slot_args[0]
        if src in stable:
            template[out] = template[src]
            stable.add(out)
            if src in constant:
                constant.add(out)
            return None, f"%{out} is %{src} (same array)"
        return _alias_run(src, out), f"%{out} is %{src} (same array)"
    if call.kind == "view":
        if slot_args[0] in stable:
            template[out] = call.func(
                *[template[a.k] if a.__class__ is S else a for a in call.args]
            )
            stable.add(out)
            if slot_args[0] in constant:
                constant.add(out)
            return None, f"{head} -> %{out} (a view, made once)"
        return _view_run(call.func, slot_args[0], out), f"{head} -> %{out} (a view)"
    if call.kind == "update":
        if call.pure and out in constant and all(s in constant for s in slot_args):
            call.func(
                *[template[a.k] if a.__class__ is S else a for a in call.args], out=template[out]
            )
            return None, f"{head} -> %{out} in place (folded: computed once)"
        constant.discard(out)
        return _run(call.func, call.args, out, "update", None), f"{head} -> %{out} in place"
    # "new": a buffer when nothing else sees the slot and the layout can be kept
    buffer = None
    if out not in escape and value.__class__ is np.ndarray:
        buffer = np.empty_like(value)
        if buffer.strides != value.strides:
            buffer = None
    if buffer is not None:
        template[out] = buffer
        stable.add(out)
        if call.pure and all(s in constant for s in slot_args) and out not in updated:
            call.func(*[template[a.k] if a.__class__ is S else a for a in call.args], out=buffer)
            constant.add(out)
            return None, f"{head} -> %{out}{tuple(value.shape)} (folded: computed once)"
        return (
            _run(call.func, call.args, out, "buffer", buffer),
            f"{head} -> %{out}{tuple(value.shape)} into its buffer (out=)",
        )
    fresh = call.fresh
    if fresh is None:
        fresh = call.func
    if getattr(value, "ndim", 1) == 0:
        fresh = _as_array(fresh)
    return _run(fresh, call.args, out, "fresh", None), f"{head} -> %{out}{tuple(value.shape)} new"


def _const(v):
    if hasattr(v, "dtype") and getattr(v, "ndim", 1) == 0:
        return f"{v.dtype.name}({v.item()!r})"
    return repr(v)
