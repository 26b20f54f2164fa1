"""How the recorder records a backward (it is ``engine._tracer`` while recording): it runs the
backward itself, in the engine's order with the engine's sums of gradients, and writes down each
node's ``backward``, each fit of a gradient to its input's shape and each accumulation into a
leaf's ``.grad``. A mixin of ``glassnet.compile.recorder.Recorder``, kept apart from the forward
and effect recording.
"""

from __future__ import annotations

import heapq

import numpy as np

from glassnet import backend, grad_mode
from glassnet.compile import plan as P
from glassnet.compile.errors import CompileError
from glassnet.compile.recorder_text import _fmt
from glassnet.engine import _fit, _raise_freed, _raise_modified, _root_gradients
from glassnet.tensor import Tensor

__all__ = []


class _BackwardRecording:
    """``on_backward`` and its helpers (a mixin of ``Recorder``, which supplies the slots)."""

    def on_backward(self, outputs, grad_outputs, retain_graph, capture):
        """Run a backward as the engine would (same order, same sums) while recording it."""
        if self.opaque:
            raise CompileError(f"{self.name}: a backward inside an optimizer step")
        if capture is not None:
            raise CompileError(
                f"{self.name}: autograd.grad and backward(inputs=...) are not compiled yet; "
                "call loss.backward() inside the compiled function."
            )
        roots = _root_gradients(outputs, grad_outputs)
        root_slots = []
        for i, g in enumerate(roots):
            given = None if grad_outputs is None else grad_outputs[i]
            if given is None:
                slot = self.new_slot(g)
                xp = backend.get_array_module(g)
                run = P.root_step(slot, g.shape, g.dtype, xp)
                text = f"ones{_fmt(g)} -> %{slot} (gradient of the output)"
                self.add(run, "root", text, info=(slot, g.shape, g.dtype, xp))
            else:
                if not isinstance(given, Tensor) or given._data is not g:
                    raise CompileError(
                        f"{self.name}: backward(gradient=...) needs a tensor of the output's "
                        "shape and dtype inside a compiled function."
                    )
                slot = self.tensor_slot(given)
            root_slots.append(slot)
        grads, leaves, heap = {}, {}, []
        for out, slot in zip(outputs, root_slots):
            node = out.grad_fn
            if node is None:
                self._sum_into(leaves, out, slot)
            elif node in grads:
                self._sum_into(grads, node, slot)
            else:
                grads[node] = slot
                heap.append((node._seq, node))
        heapq.heapify(heap)
        values = self.values
        enabled = grad_mode._enabled
        grad_mode._enabled = False
        quiet = backend.quiet_start()
        try:
            while heap:
                fn = heapq.heappop(heap)[1]
                gslot = grads.pop(fn)
                saved = fn._saved_versions
                if saved is None:
                    _raise_freed()
                if fn._extras:
                    raise CompileError(
                        f"{self.name}: tensor hooks and retain_grad() are not compiled; "
                        "remove them from the compiled function."
                    )
                for counter, expected in saved:
                    if counter[0] != expected:
                        _raise_modified(fn, counter, expected)
                result = fn.backward(values[gslot])
                if result.__class__ is not tuple:
                    result = tuple(result) if isinstance(result, list) else (result,)
                pairs, texts, later = [], [], []
                for i, (parent, ig) in enumerate(zip(fn._next, result)):
                    if parent is None or ig is None:
                        continue
                    slot = self.new_slot(ig)
                    pairs.append((i, slot))
                    texts.append(f"%{slot}{_fmt(ig)}")
                    later.append((parent, slot))
                text = f"{type(fn).__name__}.backward(%{gslot}{_fmt(values[gslot])}) -> " + (
                    ", ".join(texts) or "nothing"
                )
                info = ("backward", fn, gslot, tuple(pairs))
                self.add(
                    P.backward_step(fn, gslot, pairs), "backward", text, info=info, reads=(gslot,)
                )
                self.mode = False
                for parent, slot in later:
                    ig = values[slot]
                    if parent._is_node:
                        shape, dtype = parent._out_shape, parent._out_dtype
                    else:
                        shape, dtype = parent._data.shape, parent._data.dtype
                    if ig.shape != shape or ig.dtype is not dtype:
                        fitted = _fit(ig, shape, dtype)
                        new = self.new_slot(fitted)
                        text = f"sum_to_shape(%{slot}{_fmt(ig)}) -> %{new}{_fmt(fitted)}"
                        rows = ig.__class__ is np.ndarray and ig.dtype == dtype
                        info = (slot, new, shape, dtype, rows and ig.shape[1:] == tuple(shape))
                        run = P.fit_step(slot, new, shape, dtype, ig)
                        self.add(run, "fit", text, info=info, reads=(slot,))
                        slot = new
                    if parent._is_node:
                        if parent in grads:
                            self._sum_into(grads, parent, slot)
                        else:
                            grads[parent] = slot
                            heapq.heappush(heap, (parent._seq, parent))
                    else:
                        if parent.__dict__.get("_grad_edge_hook") is not None:
                            raise CompileError(
                                f"{self.name}: DistributedDataParallel's gradient hooks are "
                                "not compiled; compile the model's step without DDP."
                            )
                        self._sum_into(leaves, parent, slot)
                if not retain_graph:
                    fn.__dict__.clear()
                    fn._saved_versions = None
        finally:
            grad_mode._enabled = enabled
            backend.quiet_end(quiet)
        given = {id(values[s]) for s in root_slots}
        for leaf, slot in leaves.items():
            if leaf._hooks or leaf.__dict__.get("_post_accumulate_hooks"):
                raise CompileError(f"{self.name}: gradient hooks on a leaf are not compiled.")
            g = values[slot]
            copy = id(g) in given
            given.add(id(g))
            where = self._leaf_place(leaf)
            run = P.leaf_step(slot, where, copy)
            run(values, self.current_inputs)  # the accumulation itself, as replay will do it
            name = f"input {where[1]}" if where[0] == "input" else f"%{self.tensor_slot(leaf)}"
            self.add(run, "grad", f"{name}.grad += %{slot}{_fmt(g)}", reads=(slot,))
            self.steps[-1].info = (slot, where)

    def _sum_into(self, table, key, slot):
        prev = table.get(key)
        if prev is None:
            table[key] = slot
            return
        total = self.values[prev] + self.values[slot]
        new = self.new_slot(total)
        text = f"add(%{prev}, %{slot}) -> %{new}{_fmt(total)} (gradients meet)"
        self.add(
            P.add_step(prev, slot, new), "add", text, info=(prev, slot, new), reads=(prev, slot)
        )
        table[key] = new

    def _leaf_place(self, leaf):
        for k, t in enumerate(self.current_inputs):
            if t is leaf:
                return ("input", k)
        return ("tensor", leaf)
