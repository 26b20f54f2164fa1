"""Losses by name for the Trainer: ``resolve_loss("mse")`` is ``F.mse_loss``, with the short
names people type ('ce', 'bce', 'mae'). Separate from the Trainer since the learning-rate finder
resolves losses the same way.

>>> resolve_loss("ce").__name__
'cross_entropy'
"""

from __future__ import annotations

__all__ = []

_LOSS_ALIASES = {
    "mse": "mse_loss",
    "l1": "l1_loss",
    "mae": "l1_loss",
    "nll": "nll_loss",
    "ce": "cross_entropy",
    "bce": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "huber": "huber_loss",
    "smooth_l1": "smooth_l1_loss",
}


def resolve_loss(loss):
    """A callable ``loss(outputs, targets)`` from a Module, a function or a name ('mse',
    'cross_entropy', any ``glassnet.nn.functional`` loss name)."""
    if isinstance(loss, str):
        from glassnet.nn import functional as F

        name = loss.lower().replace("-", "_")
        name = _LOSS_ALIASES.get(name, name)
        fn = getattr(F, name, None) or getattr(F, name + "_loss", None)
        if fn is None:
            raise ValueError(
                f"Trainer: unknown loss {loss!r}; use a name such as 'mse', "
                f"'cross_entropy', 'bce_with_logits', or pass a loss Module"
            )
        return fn
    if not callable(loss):
        raise TypeError(
            f"Trainer: loss must be a Module, a function or a name, got {type(loss).__name__}"
        )
    return loss
