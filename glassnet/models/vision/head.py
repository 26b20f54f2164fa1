"""``replace_head``: the transfer-learning step of swapping a classifier's last Linear layer for
a fresh one with a new number of classes (every zoo classifier has it).

>>> from glassnet.models.vision import resnet18
>>> model = resnet18(num_classes=10)
>>> model.replace_head(3)
Linear(in_features=512, out_features=3, bias=True)
>>> model.fc.out_features
3
"""

from __future__ import annotations

from glassnet import nn


class ClassifierHead:
    """Mixin for classifiers whose output layer is their last ``nn.Linear``."""

    def head_name(self) -> str:
        """The dotted name of the output layer (``fc``, ``classifier.6``...)."""
        names = [n for n, m in self.named_modules() if isinstance(m, nn.Linear)]
        if not names:
            raise RuntimeError(f"{type(self).__name__}.replace_head: the model has no nn.Linear")
        return names[-1]

    def replace_head(self, num_classes: int) -> nn.Linear:
        """Put a new, freshly initialised ``nn.Linear`` with ``num_classes`` outputs in place of
        the output layer (same inputs, same dtype and device) and return it. The new layer's
        parameters require gradients even if the rest of the model is frozen."""
        name = self.head_name()
        old = self.get_submodule(name)
        weight = old.weight
        new = nn.Linear(
            old.in_features,
            num_classes,
            bias=old.bias is not None,
            device=weight.device,
            dtype=weight.dtype,
        )
        parent_name, _, child = name.rpartition(".")
        parent = self.get_submodule(parent_name) if parent_name else self
        setattr(parent, child, new)
        return new
