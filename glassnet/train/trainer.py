"""Trainer: the training loop written once, so that a model, a loss and an optimizer are all it
takes to train, validate, checkpoint and predict.

>>> import glassnet
>>> from glassnet import nn
>>> from glassnet.data import DataLoader, TensorDataset
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.randn(64, 3)
>>> y = x @ glassnet.tensor([[1.0], [-2.0], [0.5]])
>>> loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
>>> model = nn.Linear(3, 1)
>>> trainer = Trainer(model, nn.MSELoss(), glassnet.optim.SGD(model.parameters(), lr=0.1),
...                   progress=False)
>>> history = trainer.fit(loader, val=loader, epochs=20)
>>> history.history["val_loss"][-1] < 1e-3
True
>>> trainer.predict(loader).shape
glassnet.Size([64, 1])
"""

from __future__ import annotations

import os

from glassnet import backend
from glassnet.grad_mode import no_grad
from glassnet.nn.utils.clip_grad import clip_grad_norm_
from glassnet.tensor import Tensor
from glassnet.train import checkpoint as ckpt
from glassnet.train.batches import (
    batch_size,
    call_model,
    split_batch,
    to_device,
)
from glassnet.train.callbacks import CallbackList, ProgressBar
from glassnet.train.callbacks.lr_scheduler import current_lr, is_plateau
from glassnet.train.divergence import DivergenceGuard
from glassnet.train.history import History
from glassnet.train.loss_names import _LOSS_ALIASES, resolve_loss  # noqa: F401 - re-exported
from glassnet.train.metric_glue import metric_values, resolve_metrics
from glassnet.train.trainer_evaluation import _TrainerEvaluation

CHECKPOINT_FILE = "last.safetensors"


class Trainer(_TrainerEvaluation):
    """Train ``model`` with ``loss`` (a Module, a function ``loss(outputs, targets)`` or a name
    such as 'cross_entropy') and ``optimizer``.

    ``metrics``: names ('accuracy'), metric objects (update/compute/reset/name) or functions
    ``f(outputs, targets)``. ``callbacks``: Callback objects. ``device``: where the model and
    each batch go ('cpu', 'cuda'); by default the device the model's parameters are on.
    ``grad_clip``: the largest gradient norm allowed (clip_grad_norm_) before each step.
    ``accumulate``: N batches per optimizer step; each batch's loss is scaled by 1/N, and a final
    group of fewer than N batches still steps. ``scheduler``: a glassnet.optim scheduler,
    stepped after every epoch (ReduceLROnPlateau gets 'val_loss', or 'loss' without val data);
    for per-step schedules (OneCycleLR) use ``LRSchedulerCallback(s, interval='step')`` instead.
    ``terminate_on_nan``: when a loss, parameter or buffer stops being finite, put back the
    state of the last good epoch (the last checkpoint) and raise TrainingDivergedError
    (``trainer.failed`` is then True); with False, train on after one warning.
    ``progress`` adds a ProgressBar. ``compile``: replay each training batch's forward, loss
    and backward from a plan recorded once per batch signature (``glassnet.compile``).

    Batches are ``(inputs, targets)`` pairs or dicts with 'input' and 'target'; inputs that are
    a tuple/list (or a dict) are passed to the model as several (keyword) arguments.

    ``evaluate`` and ``predict`` live in ``glassnet.train.trainer_evaluation``.
    """

    def __init__(
        self,
        model,
        loss,
        optimizer,
        metrics=(),
        callbacks=(),
        device=None,
        grad_clip=None,
        accumulate=1,
        scheduler=None,
        terminate_on_nan=True,
        progress=True,
        compile=False,  # noqa: A002 - as torch.compile
    ):
        if not isinstance(accumulate, int) or accumulate < 1:
            raise ValueError(f"Trainer: accumulate must be a positive int, got {accumulate!r}")
        if grad_clip is not None and not grad_clip > 0:
            raise ValueError(f"Trainer: grad_clip must be a positive max norm, got {grad_clip!r}")
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"Trainer: optimizer must be a glassnet.optim optimizer, got "
                f"{type(optimizer).__name__}; e.g. glassnet.optim.Adam(model.parameters())"
            )
        self.model = model
        self.loss_fn = resolve_loss(loss)
        self.optimizer = optimizer
        self.metrics = resolve_metrics(metrics)
        self.device = backend.normalize_device(device) if device is not None else None
        if self.device is not None:
            model.to(self.device)
        self.grad_clip = grad_clip
        self.accumulate = accumulate
        self.scheduler = scheduler
        self.terminate_on_nan = bool(terminate_on_nan)
        self._guard = DivergenceGuard(self.terminate_on_nan)
        self.callbacks = CallbackList(list(callbacks) + ([ProgressBar()] if progress else []))
        self.history = History()
        self.stop_training = False
        self.stop_reason = None
        self.failed = False
        self.checkpoint_path = None
        self.resumed = False
        self.epoch = 0
        self.epochs = 0
        self.global_step = 0
        self.steps_per_epoch = None
        self.extras = {}
        # compile=True: each training batch's forward, loss and backward replay a plan
        # recorded by glassnet.compile (docs/compile.md); the optimizer step stays as it is.
        self.compile = bool(compile)
        self._compiled_batch = None

    # ---- training ----------------------------------------------------------------------------
    def fit(
        self,
        train,
        val=None,
        epochs=1,
        *,
        checkpoint_dir=None,
        resume=False,
        extras=None,
        validation_data=None,
    ):
        """Train for ``epochs`` epochs over ``train``, validating on ``val`` after each one;
        returns the History (also kept as ``trainer.history``). ``validation_data=`` is the
        same as ``val`` (as Keras users write it); early stopping, ReduceLROnPlateau and the
        best-model checkpoint then watch ``val_loss``.

        ``checkpoint_dir``: write a full training checkpoint there after every epoch (model,
        optimizer, scheduler, callbacks, history, random state and ``extras``, a dict of
        JSON-able values such as preprocessing settings). ``resume=True`` continues from the
        checkpoint found there (if any): a run stopped after epoch k and resumed ends with
        exactly the weights of a run that was never stopped. After resuming, the saved extras
        are in ``trainer.extras``.

        If training diverges (see ``terminate_on_nan``) fit raises TrainingDivergedError; the
        model then holds the state of the last good epoch, the one the checkpoint holds.
        """
        if validation_data is not None:
            if val is not None:
                raise ValueError(
                    "Trainer.fit: give the validation data once, as val= or as "
                    "validation_data=, not both"
                )
            val = validation_data
        if resume and checkpoint_dir is None:
            raise ValueError(
                "Trainer.fit: resume=True needs checkpoint_dir= (the folder the "
                "earlier run saved its checkpoints in)"
            )
        self.epochs = int(epochs)
        self.steps_per_epoch = len(train) if hasattr(train, "__len__") else None
        self.history = History()
        self.global_step = 0
        self.stop_training = False
        self.stop_reason = None
        self.failed = False
        self.resumed = False
        self.extras = dict(extras) if extras is not None else {}
        loaders = (train, val)
        path = os.path.join(checkpoint_dir, CHECKPOINT_FILE) if checkpoint_dir else None
        self.checkpoint_path = path
        start = 0
        if resume and os.path.exists(path):
            info = ckpt.load_checkpoint(
                path,
                self.model,
                self.optimizer,
                self.scheduler,
                loaders=loaders,
                callbacks=self.callbacks,
            )
            start = info["epoch"] + 1
            self.history = info["history"]
            self.global_step = info["global_step"]
            self.stop_training = info["stopped"]
            if extras is None:
                self.extras = info["extras"]
            self.resumed = True
        callbacks = self.callbacks
        self.optimizer.zero_grad()
        try:
            callbacks.on_train_begin(self)
            guard = self._guard
            guard.start(self, start - 1 if self.resumed else None)
            epoch = start
            while epoch < self.epochs and not self.stop_training:
                self.epoch = epoch
                logs = self._fit_epoch(train, val, epoch)
                self.history.append(epoch, logs)
                if path is not None and guard.safe_to_save(self, path):
                    ckpt.save_checkpoint(
                        path,
                        self.model,
                        self.optimizer,
                        self.scheduler,
                        epoch=epoch,
                        global_step=self.global_step,
                        history=self.history,
                        loaders=loaders,
                        callbacks=callbacks,
                        extras=self.extras,
                        stopped=self.stop_training,
                    )
                guard.keep(self, epoch)
                epoch += 1
            callbacks.on_train_end(self)
        finally:
            for cb in callbacks:
                close = getattr(cb, "close", None)
                if close is not None:
                    close()
        return self.history

    def _fit_epoch(self, train, val, epoch):
        self.model.train()
        self.callbacks.on_epoch_begin(self, epoch, {})
        logs = self._run(train, training=True)
        if val is not None:
            scores = self._evaluate(val, "Trainer.fit (the validation data)")
            logs.update({"val_" + k: v for k, v in scores.items()})
        # Before the scheduler, the callbacks and the checkpoint see a diverged epoch.
        self._guard.check_epoch(self, logs)
        if self.scheduler is not None:
            logs["lr"] = current_lr(self.optimizer)
            if is_plateau(self.scheduler):
                self.scheduler.step(logs["val_loss" if val is not None else "loss"])
            else:
                self.scheduler.step()
        self.callbacks.on_epoch_end(self, epoch, logs)
        return logs

    def _step(self):
        if self.grad_clip is not None:
            clip_grad_norm_(
                [p for g in self.optimizer.param_groups for p in g["params"]], self.grad_clip
            )
        if self.callbacks._before_step:
            self.callbacks.on_before_optimizer_step(self)
        self.optimizer.step()
        self._guard.after_step()  # the gradients are still there to blame
        self.optimizer.zero_grad()
        self.global_step += 1

    def _run(self, data, training, screen=None):
        """One pass over ``data``: the batch-size-weighted mean loss and the metrics.
        ``screen`` (an InputScreen) checks each batch for non-finite values first."""
        model, loss_fn, metrics = self.model, self.loss_fn, self.metrics
        guard = self._guard
        callbacks = self.callbacks if training else None
        begin = training and bool(callbacks._batch_begin)
        end = training and bool(callbacks._batch_end)
        scale = 1.0 / self.accumulate
        device = self._device()
        for m in metrics:
            m.reset()
        total, count, pending = 0.0, 0, 0
        for i, batch in enumerate(data):
            if begin:
                callbacks.on_batch_begin(self, i, {})
            inputs, targets = split_batch(batch)
            inputs, targets = to_device(inputs, device), to_device(targets, device)
            if screen is not None:
                screen.check(i, inputs, targets)
            if training and self.compile:
                outputs, loss = self._compiled_forward_backward(inputs, targets)
            else:
                outputs = call_model(model, inputs)
                loss = loss_fn(outputs, targets)
            if loss._data.size != 1:
                raise ValueError(
                    f"Trainer: the loss must be one number per batch, got a tensor of shape "
                    f"{tuple(loss.shape)}; use a loss with reduction='mean' (the default)"
                )
            if training:
                if not self.compile:
                    (loss * scale if self.accumulate > 1 else loss).backward()
                pending += 1
                if pending == self.accumulate:
                    self._step()
                    pending = 0
            value = loss.item()
            if training:
                guard.check_batch(self, i, value, inputs, targets)
            n = batch_size(targets, inputs)
            total += value * n
            count += n
            if metrics:
                with no_grad():
                    detached = outputs.detach() if isinstance(outputs, Tensor) else outputs
                    for m in metrics:
                        m.update(detached, targets)
            if end:
                callbacks.on_batch_end(self, i, {"loss": value, "size": n})
            if training and self.stop_training:
                break
        if pending:
            if self.stop_training:
                self.optimizer.zero_grad()
            else:
                self._step()
                guard.check_batch(self, i, value, inputs, targets)
        if screen is not None:
            screen.finish()
        if count == 0:
            raise ValueError(
                f"Trainer: the {'training' if training else 'evaluation'} data gave no batches "
                "(an empty dataset, or a generator that was used up by an earlier epoch; pass "
                "a DataLoader or a list, which can be iterated again)"
            )
        logs = {"loss": total / count}
        logs.update(metric_values(metrics))
        return logs

    def _compiled_forward_backward(self, inputs, targets):
        if self._compiled_batch is None:
            from glassnet.compile import compile as compile_fn

            def forward_backward(inputs, targets):
                outputs = call_model(self.model, inputs)
                loss = self.loss_fn(outputs, targets)
                if loss._data.size == 1:  # (otherwise _run explains the loss's shape)
                    (loss * (1.0 / self.accumulate) if self.accumulate > 1 else loss).backward()
                return outputs, loss

            self._compiled_batch = compile_fn(forward_backward)
        return self._compiled_batch(inputs, targets)

    def _device(self):
        if self.device is not None:
            return self.device
        for p in self.model.parameters():
            return backend.device_of(p._data)
        return "cpu"
