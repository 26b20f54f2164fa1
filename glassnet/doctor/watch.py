"""Doctor: a Trainer callback that watches a training run cheaply and reports what goes wrong.

Most steps cost one float append. On sampled steps (the first ``warmup`` and then one in
``every``) it adds forward hooks for that step only (activation statistics, the first layer
whose output stops being finite), reads each weight matrix's gradient before the optimizer
step, and the size of the step after it. ``glassnet.doctor.rules`` turns the records into
findings when training ends (or fails); ``report`` holds them.

>>> import glassnet
>>> from glassnet import nn
>>> from glassnet.train import Trainer
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.randn(64, 4); y = (x[:, 0] > 0).long()
>>> model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
>>> doctor = Doctor(verbose=False)
>>> t = Trainer(model, nn.CrossEntropyLoss(), glassnet.optim.Adam(model.parameters(), lr=1e-2),
...             callbacks=[doctor], progress=False)
>>> _ = t.fit([(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)], epochs=10)
>>> doctor.report.codes
[]
"""

from __future__ import annotations

import math
import os

import numpy as np

from glassnet.backend import to_numpy
from glassnet.doctor.records import Records
from glassnet.tensor import Tensor
from glassnet.train.callbacks.base import Callback


def _first_tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    if isinstance(value, dict):
        return _first_tensor(list(value.values()))
    return None


def _finite(a) -> bool:
    # One reduction first (cheap); a sum that overflows is confirmed element-wise.
    if a.dtype.kind not in "fc":
        return True
    if math.isfinite(float(a.sum())):
        return True
    return bool(np.isfinite(to_numpy(a)).all())


class Doctor(Callback):
    """Watch a ``Trainer.fit`` and collect findings (``doctor.report`` after fit).

    ``every``/``warmup``: which steps are sampled (see the module docstring). ``val``: the
    validation data, for the leakage check. ``max_steps``: stop training after that many
    steps (``glassnet.doctor.check`` uses it). ``verbose``: print the findings once when
    training ends. ``run_dir``: also write ``doctor.json`` there and add the findings to its
    ``report.md``.
    """

    def __init__(
        self,
        every=20,
        warmup=3,
        val=None,
        max_steps=None,
        verbose=True,
        print_fn=print,
        run_dir=None,
        stop_on_nan=False,
    ):
        self.every, self.warmup = max(1, int(every)), int(warmup)
        self.val, self.max_steps = val, max_steps
        self.verbose, self.print_fn, self.run_dir = verbose, print_fn, run_dir
        self.stop_on_nan = stop_on_nan
        self.report = None
        self._rec = None
        self._handles = []
        self._sampled = False
        self._trainer = None

    # ---- the hooks ---------------------------------------------------------------------------
    def on_train_begin(self, trainer):
        from glassnet.doctor.rules import loss_kind

        self._trainer = trainer
        self.report = None
        model = trainer.model
        self._rec = rec = Records(loss_kind(trainer.loss_fn), trainer.loss_fn)
        self._loss_fn = trainer.loss_fn
        trainer.loss_fn = self._spy
        self._matrices = _weight_matrices(model)
        self._modules = list(model.named_modules())
        rec.layer_order = [p for p, _ in self._matrices]
        self._step = 0
        self._epoch = 0
        self._epoch_start = 0

    def on_epoch_begin(self, trainer, epoch, logs):
        self._epoch = epoch

    def on_batch_begin(self, trainer, batch, logs):
        s = self._step
        self._sampled = s < self.warmup or s % self.every == 0
        if self._sampled:
            self._rec.begin_step(s, self._epoch)
            self._attach()

    def on_before_optimizer_step(self, trainer):
        if not self._sampled:
            return
        rec = self._rec
        total = 0.0
        self._before = []
        for path, p in self._matrices:
            g = p.grad
            if g is None:
                self._before.append(None)
                continue
            ga = g._data.reshape(-1)
            sq = float(ga @ ga)
            total += sq
            rec.add_grad(path, math.sqrt(sq / max(ga.size, 1)))
            self._before.append(p._data.copy())
        for p in _other_params(trainer.optimizer, self._matrices):
            if p.grad is not None:
                ga = p.grad._data.reshape(-1)
                total += float(ga @ ga)
        rec.add_grad_norm(math.sqrt(total) if math.isfinite(total) else float("inf"))

    def on_batch_end(self, trainer, batch, logs):
        rec = self._rec
        loss = logs.get("loss", float("nan"))
        rec.losses.append(loss)
        if not math.isfinite(loss):
            rec.note_nan_loss(self._step, self._epoch)
        if self._sampled:
            self._detach()
            before = getattr(self, "_before", None)
            if before:
                for (path, p), w0 in zip(self._matrices, before):
                    if w0 is None:
                        continue
                    w0 = w0.reshape(-1)
                    n0 = math.sqrt(max(float(w0 @ w0), 0.0))
                    d = np.subtract(p._data.reshape(-1), w0, out=w0)  # reuse the copy
                    rec.add_update(path, math.sqrt(max(float(d @ d), 0.0)) / max(n0, 1e-12))
            self._before = None
            self._sampled = False
        self._step += 1
        if self.max_steps is not None and self._step >= self.max_steps:
            trainer.stop_training = True
        if self.stop_on_nan and rec.nan is not None:
            trainer.stop_training = True

    def on_epoch_end(self, trainer, epoch, logs):
        self._rec.epochs.append(
            {
                "epoch": epoch,
                "loss": logs.get("loss"),
                "val_loss": logs.get("val_loss"),
                "batches": self._step - self._epoch_start,
            }
        )
        self._epoch_start = self._step

    def on_train_end(self, trainer):
        self._finish()

    def close(self):
        # Called by the Trainer also when fit raised (a diverged run): report what was seen.
        self._finish()

    # ---- what a sampled step records ----------------------------------------------------------
    def _spy(self, outputs, targets):
        loss = self._loss_fn(outputs, targets)
        if self._sampled:
            self._rec.see_loss(outputs, targets, loss, self._step)
        return loss

    def _attach(self):
        from glassnet import nn

        rec = self._rec
        root = self._trainer.model
        step = self._step
        for path, module in self._modules:
            leaf = not module._modules
            kind = None
            if isinstance(module, nn.ReLU):
                kind = "relu"
            elif isinstance(module, nn.Sigmoid):
                kind = "sigmoid"
            elif isinstance(module, nn.Tanh):
                kind = "tanh"

            def hook(mod, inputs, output, path=path, kind=kind, leaf=leaf):
                t = _first_tensor(output)
                if t is None:
                    return None
                a = t._data
                if leaf:
                    rec.called(path, type(mod).__name__)
                if not _finite(a):
                    if rec.nan is None:
                        rec.note_nan(step, self._epoch, path, mod, inputs, t)
                elif kind is not None:
                    rec.activation(path, kind, a)
                return None

            self._handles.append(module.register_forward_hook(hook))

        def root_pre(mod, inputs):
            rec.see_inputs(_first_tensor(inputs), self._epoch)
            return None

        self._handles.append(root.register_forward_pre_hook(root_pre))

    def _detach(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    # ---- the end -----------------------------------------------------------------------------
    def _finish(self):
        if self._rec is None or self.report is not None:
            return
        from glassnet.doctor.rules import diagnose

        self._detach()
        trainer = self._trainer
        if trainer is not None and trainer.loss_fn is self._spy:
            trainer.loss_fn = self._loss_fn
        if self.val is not None:
            self._rec.see_val(self.val)
        self.report = diagnose(self._rec, trainer.model if trainer is not None else None)
        if self.verbose:
            self.print_fn(str(self.report))
        if self.run_dir is not None:
            self.write(self.run_dir)

    def write(self, run_dir) -> None:
        """Write ``doctor.json`` into ``run_dir`` and add the findings to its ``report.md``."""
        from glassnet.report import files

        if self.report is None:
            return
        os.makedirs(run_dir, exist_ok=True)
        files.write_json(os.path.join(run_dir, "doctor.json"), self.report.to_dict())
        path = os.path.join(run_dir, "report.md")
        old = ""
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        text = self.report.markdown().replace("# Training doctor", "## Training doctor", 1)
        text = text.replace("\n## `", "\n### `")
        files.write_text(path, (old.rstrip() + "\n\n" if old else "") + text)


def _weight_matrices(model):
    """``(path, parameter)`` for every weight with 2+ dimensions, in the model's order (input
    side first); embeddings and normalisation layers are left out (their gradients are not a
    depth signal)."""
    from glassnet import nn

    skip = tuple(
        getattr(nn, n)
        for n in ("Embedding", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm")
        if hasattr(nn, n)
    )
    out, seen = [], set()
    for mpath, module in model.named_modules():
        if isinstance(module, skip):
            continue
        for name, p in module._parameters.items():
            if p is None or id(p) in seen or p.ndim < 2 or not p.requires_grad:
                continue
            seen.add(id(p))
            out.append((f"{mpath}.{name}" if mpath else name, p))
    return out


def _other_params(optimizer, matrices):
    ids = {id(p) for _, p in matrices}
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) not in ids:
                yield p
