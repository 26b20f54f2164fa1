"""Callback: code that runs at fixed points of ``Trainer.fit`` (the hook list below), and
CallbackList, which calls every callback's hook in order.

Hooks, in the order they run::

    on_train_begin(trainer)
        on_epoch_begin(trainer, epoch, logs)
            on_batch_begin(trainer, batch, logs)
            on_before_optimizer_step(trainer)       the gradients are there to read
            on_batch_end(trainer, batch, logs)      logs: {'loss': ..., 'size': ...}
        on_epoch_end(trainer, epoch, logs)          logs: {'loss', 'val_loss', metrics ...}
    on_train_end(trainer)

``epoch`` and ``batch`` count from 0. Setting ``trainer.stop_training = True`` ends training
after the current batch. A callback that keeps state across epochs (a best score, a wait count)
returns it from ``state_dict()`` so that a resumed run picks up where the last one stopped.

>>> class CountEpochs(Callback):
...     def __init__(self):
...         self.seen = 0
...     def on_epoch_end(self, trainer, epoch, logs):
...         self.seen += 1
>>> cb = CountEpochs()
>>> CallbackList([cb]).on_epoch_end(None, 0, {})
>>> cb.seen
1
"""

from __future__ import annotations

_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_before_optimizer_step",
)


class Callback:
    """Base class: override the hooks you need; the others do nothing."""

    def on_train_begin(self, trainer):
        pass

    def on_train_end(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_batch_begin(self, trainer, batch, logs):
        pass

    def on_batch_end(self, trainer, batch, logs):
        pass

    def on_before_optimizer_step(self, trainer):
        pass

    def state_dict(self) -> dict:
        """What a training checkpoint keeps of this callback (JSON values and tensors)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned."""
        self.__dict__.update(state)


class CallbackList:
    """Calls each hook on every callback, in order. Only the callbacks that override a
    per-batch hook are called per batch, so an unused hook costs nothing in the inner loop.

    >>> calls = []
    >>> from glassnet.train.callbacks import LambdaCallback
    >>> cbs = CallbackList([LambdaCallback(on_train_begin=lambda t: calls.append("begin"))])
    >>> cbs.on_train_begin(None); calls
    ['begin']
    """

    def __init__(self, callbacks=()):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be glassnet.train.callbacks.Callback instances, got "
                    f"{type(cb).__name__}; wrap plain functions in LambdaCallback(...)"
                )
        self._batch_begin = [cb for cb in self.callbacks if _overrides(cb, "on_batch_begin")]
        self._batch_end = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end")]
        self._before_step = [
            cb for cb in self.callbacks if _overrides(cb, "on_before_optimizer_step")
        ]

    @property
    def wants_batch_logs(self) -> bool:
        return bool(self._batch_begin or self._batch_end)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def on_train_begin(self, trainer):
        for cb in self.callbacks:
            cb.on_train_begin(trainer)

    def on_train_end(self, trainer):
        for cb in self.callbacks:
            cb.on_train_end(trainer)

    def on_epoch_begin(self, trainer, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_begin(trainer, epoch, logs)

    def on_epoch_end(self, trainer, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_end(trainer, epoch, logs)

    def on_batch_begin(self, trainer, batch, logs):
        for cb in self._batch_begin:
            cb.on_batch_begin(trainer, batch, logs)

    def on_batch_end(self, trainer, batch, logs):
        for cb in self._batch_end:
            cb.on_batch_end(trainer, batch, logs)

    def on_before_optimizer_step(self, trainer):
        for cb in self._before_step:
            cb.on_before_optimizer_step(trainer)

    def state_dict(self) -> dict:
        """Each stateful callback's state under ``ClassName#k`` (k counts that class)."""
        return {key: state for key, cb in self._keyed() if (state := cb.state_dict())}

    def load_state_dict(self, states: dict) -> None:
        for key, cb in self._keyed():
            if key in states:
                cb.load_state_dict(states[key])

    def _keyed(self):
        seen: dict[str, int] = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            k = seen.get(name, 0)
            seen[name] = k + 1
            yield f"{name}#{k}", cb


def _overrides(cb, hook):
    fn = getattr(cb, hook)  # a bound method, or a plain function set on the instance
    return getattr(fn, "__func__", fn) is not getattr(Callback, hook)


def resolve_mode(mode: str, monitor: str, who: str) -> str:
    """'min' or 'max' for a monitored quantity; 'auto' guesses from its name."""
    if mode not in ("min", "max", "auto"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.lower()
    higher_is_better = (
        "acc",
        "auc",
        "f1",
        "precision",
        "recall",
        "r2",
        "iou",
        "dice",
        "score",
        "bleu",
    )
    return "max" if any(part in name for part in higher_is_better) else "min"


def monitored_value(logs: dict, monitor: str, who: str) -> float:
    """``logs[monitor]`` as a float, or an error listing what the logs do hold."""
    if monitor not in logs:
        hint = (
            " (val_* values exist only when fit() is given val= data)"
            if monitor.startswith("val_")
            else ""
        )
        raise ValueError(
            f"{who}: monitor={monitor!r} is not in the epoch logs{hint}; available: "
            f"{sorted(logs)}. Pass one of these as monitor=."
        )
    return float(logs[monitor])
