"""Model outputs that read like Hugging Face's: attributes and dict keys at once.

>>> out = ModelOutput(logits=1, loss=None, last_hidden_state=2)
>>> out.logits, out["last_hidden_state"], list(out.keys()), out.loss
(1, 2, ['logits', 'last_hidden_state'], None)
>>> out[0]  # an integer indexes the values that are set, in order, as HF's to_tuple()
1
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["ModelOutput"]

# Fields every output knows: a field not set reads as None, as in Hugging Face's dataclasses.
FIELDS = (
    "loss",
    "logits",
    "last_hidden_state",
    "pooler_output",
    "past_key_values",
    "hidden_states",
    "attentions",
    "encoder_last_hidden_state",
    "encoder_hidden_states",
    "encoder_attentions",
    "cross_attentions",
)


class ModelOutput(OrderedDict):
    """An ordered dict of the outputs that are set (None values are left out), readable as
    attributes (``out.logits``), keys (``out["logits"]``) or positions (``out[0]``)."""

    def __init__(self, **fields):
        super().__init__((k, v) for k, v in fields.items() if v is not None)

    def __getattr__(self, name):
        if name in self:
            return self[name]
        if name in FIELDS:
            return None
        raise AttributeError(f"{type(self).__name__} has no field {name!r}; it has {list(self)}")

    def __setattr__(self, name, value):
        self[name] = value

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        """The values that are set, in order."""
        return tuple(self.values())
