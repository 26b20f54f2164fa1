"""A recorded plan: a flat list of array calls over numbered slots, replayed without a graph.

Every step is a small closure ``run(env, inputs)`` that reads arrays from the slot list ``env``
and writes its results back into it; ``describe`` is its line in ``explain()``. Replaying is one
``for`` loop: no Tensor or Function objects are made, no graph is walked or sorted. The
Function objects of the recording are kept and their ``forward``/``backward`` are called again,
so every formula that runs is the same readable code eager mode runs.

The closures themselves, one function per kind of step, are in ``glassnet.compile.plan_steps``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, grad_mode
from glassnet.compile.plan_steps import (  # noqa: F401 - the kinds of step, re-exported
    _resolve,
    add_step,
    backward_step,
    call_step,
    copy_step,
    counter_step,
    fit_step,
    forward_step,
    grad_mode_step,
    kernel_step,
    leaf_step,
    mask_step,
    reshape_step,
    root_step,
    view_step,
    write_step,
)
from glassnet.tensor import Tensor

_ndarray = np.ndarray
_new = object.__new__


class Step:
    """One array call of a plan: ``run(env, inputs)`` and the line ``explain()`` prints."""

    __slots__ = ("run", "kind", "text", "info", "reads", "runs")

    def __init__(self, run, kind, text, info=None, reads=(), runs=None):
        self.run = run
        self.kind = kind
        self.text = text
        self.info = info  # what a lowering pass (lowering.py) needs to know about the step
        self.reads = reads  # the slots it reads (the lowering's escape analysis)
        self.runs = (run,) if runs is None else runs  # a lowered step: several calls, or none


class Plan:
    """The replayable record of one call signature of a compiled function."""

    def __init__(self, n_slots, input_slots, externals, steps, output, guards, name, template=None):
        self.n_slots = n_slots
        self.input_slots = input_slots  # slot of each input tensor, in flattening order
        self.externals = externals  # (slot, tensor): parameters, buffers, captured tensors
        self.steps = steps
        self.output = output  # a tree of ("slot", k) / ("const", value) / containers
        self.guards = guards  # (module, training) pairs the plan was recorded under
        self.name = name
        self.runs = [run for s in steps for run in s.runs]
        self.run_all, self.source = _assemble(self.runs, name)
        # the lowered calls' buffers, folded constants and views of them (lowering.py); the
        # externals' arrays are then checked to keep the recorded shape and dtype
        self.template = template
        self.seen = None
        if template is not None:
            self.seen = [[t, t._data, t._data.shape, t._data.dtype] for _, t in externals]

    def matches(self):
        for module, training in self.guards:
            if module.training is not training:
                return False
        if self.seen is not None:
            for entry in self.seen:
                data = entry[0]._data
                if data is not entry[1]:  # a new array (load_state_dict, .to()): same kind?
                    if data.__class__ is not np.ndarray or data.shape != entry[2]:
                        return False
                    if data.dtype != entry[3]:
                        return False
                    entry[1] = data
        return True

    def replay(self, inputs):
        """Run the plan on the input tensors (flattened as when recorded)."""
        env = [None] * self.n_slots if self.template is None else self.template.copy()
        for slot, t in zip(self.input_slots, inputs):
            env[slot] = t._data
        for slot, t in self.externals:
            env[slot] = t._data
        enabled = grad_mode._enabled
        quiet = backend.quiet_start()
        try:
            self.run_all(env, inputs)
        finally:
            grad_mode._enabled = enabled
            backend.quiet_end(quiet)
        return _build(self.output, env)

    def explain(self):
        """The plan as text: one line per array call, with the shapes it reads and writes."""
        lines = [f"plan of {self.name}: {len(self.steps)} steps, {self.n_slots} slots"]
        for i, step in enumerate(self.steps):
            lines.append(f"{i:4d}  {step.text}")
        return "\n".join(lines)


def _assemble(runs, name):
    """One Python function that makes the plan's calls in order, and its source: a lowered
    call (array_calls.py) is written out as its line, ``matmul(env[0], env[2], out=o_3)``,
    any other step as a call of its closure, ``r_5(env, inputs)``. The same calls as looping
    over ``runs``, without a Python call per lowered array call."""
    namespace, lines = {}, []
    for k, run in enumerate(runs):
        source = getattr(run, "source", None)
        if source is None:
            namespace[f"r_{k}"] = run
            lines.append(f"    r_{k}(env, inputs)")
        else:
            unique = {key: f"{_label(key, value)}_{k}" for key, value in run.names.items()}
            namespace.update({unique[key]: value for key, value in run.names.items()})
            lines.append("    " + source.format(**unique))
    text = "def replay(env, inputs):\n" + ("\n".join(lines) if lines else "    pass") + "\n"
    exec(compile(text, f"<plan of {name}>", "exec"), namespace)  # noqa: S102 - our own lines
    return namespace["replay"], text


def _label(key, value):
    """A readable name for a value of a generated line: the function's own name, buf, c0."""
    if key == "f":
        label = getattr(value, "__name__", "f")
        return label if label.isidentifier() else "f"
    return "buf" if key == "o" else key


def _build(tree, env):
    kind = tree[0]
    if kind == "slot":
        t = _new(Tensor)
        t._data = env[tree[1]]
        t._version = [0]
        return t
    if kind == "tensor":  # an external tensor returned as it is (a parameter, say)
        return tree[1]
    if kind == "const":
        return tree[1]
    if kind == "tuple":
        return tuple(_build(x, env) for x in tree[1])
    if kind == "list":
        return [_build(x, env) for x in tree[1]]
    return {k: _build(v, env) for k, v in tree[1]}  # "dict"
