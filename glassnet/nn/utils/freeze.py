"""``freeze`` and ``unfreeze``: the transfer-learning step of keeping a pre-trained model's
layers as they are while a new head (or a few chosen layers) learns.

Frozen parameters get ``requires_grad=False``: no gradient is computed for them, so an
optimizer leaves them unchanged and backward does less work. Batch norm needs more than that:
in train mode it normalises with the statistics of the current batch and updates its running
statistics, so a "frozen" backbone would still change what it computes. ``freeze`` therefore
keeps every batch-norm layer it freezes in eval mode (the running statistics the model was
trained with), even when ``model.train()`` is called later, until ``unfreeze``. That is the
usual choice for fine-tuning on a small data set, whose batches give noisy statistics; pass
``batchnorm_eval=False`` to let frozen batch norms follow ``train()`` as plain layers do.

>>> from glassnet import nn
>>> model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
>>> _ = freeze(model, except_="3")
>>> model.train().training, model[1].training   # the frozen batch norm stays in eval mode
(True, False)
>>> model[0].weight.requires_grad, model[3].weight.requires_grad
(False, True)
>>> _ = unfreeze(model)
>>> model.train()[1].training, model[0].weight.requires_grad
(True, True)
"""

from __future__ import annotations

import functools

from glassnet.nn.normalization import _BatchNorm

__all__ = ["freeze", "unfreeze", "is_frozen"]


def _frozen_train(module, mode=True):
    """``train`` of a frozen batch norm: it stays in eval mode whatever ``mode`` says."""
    if not isinstance(mode, bool):
        raise ValueError("training mode is expected to be boolean")
    object.__setattr__(module, "training", False)
    return module


def _names(module, except_):
    """The submodules ``except_`` names: a dotted name, a module, or a list of those."""
    if except_ is None:
        return []
    items = except_ if isinstance(except_, (list, tuple, set)) else [except_]
    found = []
    for item in items:
        if isinstance(item, str):
            try:
                found.append(module.get_submodule(item))
            except AttributeError:
                names = [n for n, _ in module.named_children()]
                raise AttributeError(
                    f"freeze: except_={item!r} is not a submodule of {type(module).__name__}; "
                    f"its children are {names} (use a dotted path such as 'classifier.1')"
                ) from None
        else:
            found.append(item)
    return found


def freeze(module, except_=None, *, batchnorm_eval=True):
    """Set ``requires_grad=False`` on every parameter of ``module`` except those of the
    submodules in ``except_`` (a dotted name such as ``"fc"`` or ``"classifier.1"``, a
    module, or a list of them); frozen batch norms stay in eval mode (see the module notes).
    Returns ``module``.

    >>> from glassnet.models import resnet18
    >>> model = freeze(resnet18(num_classes=3), except_="fc")
    >>> sum(p.numel() for p in model.parameters() if p.requires_grad)
    1539
    """
    keep = _names(module, except_)
    trainable = {id(p) for m in keep for p in m.parameters()}
    for p in module.parameters():
        if id(p) not in trainable:
            p.requires_grad_(False)
    if batchnorm_eval:
        kept = {id(m) for k in keep for m in k.modules()}
        for m in module.modules():
            if isinstance(m, _BatchNorm) and id(m) not in kept:
                # an instance attribute wins over the class's train(): Module.train() calls it
                object.__setattr__(m, "train", functools.partial(_frozen_train, m))
                object.__setattr__(m, "training", False)
    return module


def unfreeze(module):
    """Make every parameter of ``module`` trainable again and let its batch norms follow
    ``train()``/``eval()`` again (each takes ``module``'s current mode). Returns ``module``."""
    for p in module.parameters():
        p.requires_grad_(True)
    for m in module.modules():
        if "train" in m.__dict__:
            del m.__dict__["train"]
            object.__setattr__(m, "training", module.training)
    return module


def is_frozen(module) -> bool:
    """True when no parameter of ``module`` requires a gradient."""
    return not any(p.requires_grad for p in module.parameters())
