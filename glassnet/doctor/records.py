"""Records: what the Doctor measured during a run, kept as small NumPy summaries.

>>> import numpy as np
>>> r = Records("cross_entropy")
>>> r.begin_step(0, 0)
>>> r.activation("1", "relu", np.array([[1.0, -1.0], [2.0, -3.0]]))
>>> r.dead["1"]
[0.5]
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from glassnet.backend import to_numpy
from glassnet.doctor.locate import first_nonfinite_op
from glassnet.tensor import Tensor

_MAX_ROWS = 50_000  # row fingerprints kept for the leakage check


def _np(t):
    return to_numpy(t._data if isinstance(t, Tensor) else t)


class Records:
    """Measurements by step: losses, gradient sizes per weight matrix, update sizes,
    activation statistics, the first non-finite value, and what the first epoch's data,
    outputs and targets looked like."""

    def __init__(self, kind: str, loss_fn=None):
        self.kind = kind  # the loss family (see rules.loss_kind)
        self.loss_fn = loss_fn
        self.losses = []  # every step's training loss
        self.epochs = []  # {'epoch', 'loss', 'val_loss'} per epoch
        self.layer_order = []
        self.grads = defaultdict(list)  # weight path -> RMS gradient per sampled step
        self.grad_norms = []  # (step, global gradient norm)
        self.updates = defaultdict(list)  # weight path -> |dW| / |W| per sampled step
        self.dead = defaultdict(list)  # ReLU path -> fraction of units never active
        self.saturated = defaultdict(list)  # sigmoid/tanh path -> fraction saturated
        self.kinds = {}
        self.call_order = []  # leaf modules in the order of the first sampled forward
        self.nan = None  # the first non-finite value: where and when
        self.nan_loss_step = None
        self.step = 0
        self.epoch = 0
        # data (first epoch), outputs and targets (first sampled step)
        self.in_sum = self.in_sq = None
        self.in_count = 0
        self.in_absmax = None
        self.rows = set()
        self.class_counts = None
        self.first_call = None
        self.target_min = self.target_max = None
        self.target_integral = True
        self.val_stats = None

    def begin_step(self, step, epoch):
        self.step, self.epoch = step, epoch
        self._first_forward = not self.call_order

    def called(self, path, type_name):
        if self._first_forward:
            self.call_order.append((path, type_name))

    # ---- training dynamics ------------------------------------------------------------------
    def add_grad(self, path, rms):
        self.grads[path].append(rms)

    def add_grad_norm(self, norm):
        self.grad_norms.append((self.step, norm))

    def add_update(self, path, ratio):
        self.updates[path].append(ratio)

    def activation(self, path, kind, a):
        a = to_numpy(a)  # the hook checked it is finite
        if a.size == 0:
            return
        self.kinds[path] = kind
        if kind == "relu":
            if a.ndim <= 1:
                return
            axes = (0, 2, 3) if a.ndim == 4 else tuple(range(a.ndim - 1))
            active = (a > 0).any(axis=axes)
            self.dead[path].append(float(1.0 - active.mean()))
        elif kind == "sigmoid":
            self.saturated[path].append(float(((a < 0.01) | (a > 0.99)).mean()))
        else:
            self.saturated[path].append(float((np.abs(a) > 0.99).mean()))

    def note_nan(self, step, epoch, path, module, inputs, output):
        ranges = []
        finite_in = True
        for t in inputs if isinstance(inputs, (tuple, list)) else (inputs,):
            if isinstance(t, Tensor) and t._data.dtype.kind == "f":
                a = to_numpy(t._data)
                finite_in = finite_in and bool(np.isfinite(a).all())
                if a.size:
                    ranges.append((float(np.nanmin(a)), float(np.nanmax(a))))
        grad_fn = getattr(output, "grad_fn", None)
        op = type(grad_fn).__name__ if grad_fn is not None else type(module).__name__
        args = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
        located = first_nonfinite_op(lambda: module.forward(*args)) if finite_in else None
        if located is not None:
            op, rng = located
            ranges = [rng] if rng else ranges
        self.nan = {
            "step": step,
            "epoch": epoch,
            "layer": path,
            "module": type(module).__name__,
            "op": op.replace("Backward0", "").replace("Backward", ""),
            "input_range": ranges[0] if ranges else None,
            "inputs_finite": finite_in,
        }

    def note_nan_loss(self, step, epoch):
        if self.nan_loss_step is None:
            self.nan_loss_step = (step, epoch)

    # ---- set-up: data, outputs, targets ------------------------------------------------------
    def see_inputs(self, x, epoch):
        if x is None or epoch > 0:
            return
        a = _np(x)
        if a.dtype.kind != "f" or a.ndim < 2 or a.shape[0] == 0:
            return
        flat = a.reshape(a.shape[0], -1) if a.ndim != 3 else a.reshape(-1, a.shape[-1])
        flat = flat.astype(np.float64)
        if not np.isfinite(flat).all():
            if self.nan is None:
                self.nan = {"step": self.step, "epoch": epoch, "layer": None, "op": "input"}
            return
        if self.in_sum is None or self.in_sum.shape != flat.shape[1:]:
            self.in_sum = np.zeros(flat.shape[1])
            self.in_sq = np.zeros(flat.shape[1])
            self.in_absmax = np.zeros(flat.shape[1])
            self.in_count = 0
        self.in_sum += flat.sum(0)
        self.in_sq += (flat * flat).sum(0)
        self.in_absmax = np.maximum(self.in_absmax, np.abs(flat).max(0))
        self.in_count += flat.shape[0]
        if a.ndim == 2 and len(self.rows) < _MAX_ROWS:
            self.rows.update(hash(r.tobytes()) for r in np.ascontiguousarray(a))

    def see_loss(self, outputs, targets, loss, step):
        if not isinstance(outputs, Tensor) or not isinstance(targets, Tensor):
            return
        out, tgt = _np(outputs), _np(targets)
        if self.nan is None and np.isfinite(out).all() and not np.isfinite(_np(loss)).all():
            grad_fn = getattr(loss, "grad_fn", None)
            op = type(grad_fn).__name__ if grad_fn is not None else "loss"
            rng = (float(out.min()), float(out.max())) if out.size else None
            located = first_nonfinite_op(lambda: self.loss_fn(outputs.detach(), targets))
            if located is not None:
                op, rng = located[0], located[1] or rng
            self.nan = {
                "step": step,
                "epoch": self.epoch,
                "layer": "the loss",
                "module": type(self.loss_fn).__name__,
                "op": op.replace("Backward0", "").replace("Backward", ""),
                "input_range": rng,
                "inputs_finite": True,
            }
        if self.first_call is None:
            self.first_call = {
                "out_shape": tuple(out.shape),
                "target_shape": tuple(tgt.shape),
                "target_dtype": tgt.dtype.kind,
                "out": out[:256].astype(np.float64),
            }
        if self.epoch > 0 or tgt.size == 0:
            return
        if tgt.dtype.kind == "f" and np.isfinite(tgt).all():
            self.target_integral = self.target_integral and bool((tgt == np.round(tgt)).all())
        lo, hi = float(np.nanmin(tgt)), float(np.nanmax(tgt))
        self.target_min = lo if self.target_min is None else min(lo, self.target_min)
        self.target_max = hi if self.target_max is None else max(hi, self.target_max)
        if self.kind in ("cross_entropy", "nll") and tgt.dtype.kind in "iu" and lo >= 0:
            self._count(tgt.reshape(-1).astype(np.int64))
        elif self.kind in ("bce", "bce_logits") and ((tgt == 0) | (tgt == 1)).all():
            self._count(tgt.reshape(-1).astype(np.int64))

    def _count(self, labels):
        c = np.bincount(labels)
        if self.class_counts is None:
            self.class_counts = c
        else:
            n = max(len(c), len(self.class_counts))
            self.class_counts = np.pad(self.class_counts, (0, n - len(self.class_counts)))
            self.class_counts[: len(c)] += c

    def see_val(self, val):
        """Row fingerprints and feature moments of the validation inputs (leakage check)."""
        from glassnet.train.batches import split_inputs

        rows, chunks = set(), []
        try:
            for batch in val:
                x = split_inputs(batch)
                if not isinstance(x, Tensor):
                    return
                a = _np(x)
                if a.dtype.kind != "f" or a.ndim != 2:
                    return
                chunks.append(a.astype(np.float64))
                rows.update(hash(r.tobytes()) for r in np.ascontiguousarray(a))
        except Exception:  # a val set the Trainer could use but this simple reader cannot
            return
        if chunks:
            v = np.concatenate(chunks)
            self.val_stats = {"rows": rows, "n": len(v), "sum": v.sum(0), "sq": (v * v).sum(0)}
