"""LambdaCallback: a callback made from plain functions, for one-off hooks.

>>> losses = []
>>> cb = LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: losses.append(logs["loss"]))
>>> cb.on_epoch_end(None, 0, {"loss": 0.5}); losses
[0.5]
"""

from __future__ import annotations

from glassnet.train.callbacks.base import Callback


class LambdaCallback(Callback):
    """Each argument is a function with the signature of the hook of the same name
    (``on_epoch_end(trainer, epoch, logs)``, ``on_train_begin(trainer)``, ...)."""

    def __init__(
        self,
        on_train_begin=None,
        on_train_end=None,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_batch_begin=None,
        on_batch_end=None,
    ):
        hooks = {
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_batch_begin": on_batch_begin,
            "on_batch_end": on_batch_end,
        }
        for name, fn in hooks.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
                # An instance attribute shadows the do-nothing method of the base class.
                setattr(self, name, fn)
