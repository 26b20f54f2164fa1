"""Configurations and folders in Hugging Face's layout: ``config.json`` + ``model.safetensors``.

A config takes Hugging Face's field names (``hidden_size``, ``num_attention_heads``, ...) as
keyword arguments, or a dict, or any config object with ``to_dict()`` (a transformers config).
``Model.from_pretrained(folder)`` reads a folder written by transformers' ``save_pretrained``;
``model.save_pretrained(folder)`` writes one that transformers loads back. Both files are
written atomically; nothing is ever pickled.

>>> import tempfile
>>> from glassnet.models.text import BertConfig, BertModel
>>> model = BertModel(vocab_size=50, hidden_size=16, num_hidden_layers=1,
...                   num_attention_heads=2, intermediate_size=32)
>>> folder = tempfile.mkdtemp()
>>> model.save_pretrained(folder)
>>> BertModel.from_pretrained(folder).config.hidden_size
16
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

import glassnet
from glassnet import nn
from glassnet.serialization import atomic_write, read_safetensors, write_safetensors

__all__ = ["PretrainedConfig", "PreTrainedModel"]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"

# Fields every Hugging Face config carries, with its defaults.
_COMMON = {
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    "decoder_start_token_id": None,
    "tie_word_embeddings": True,
    "is_encoder_decoder": False,
    "problem_type": None,
    "architectures": None,
}


class PretrainedConfig:
    """A model's hyper-parameters under Hugging Face's names. Subclasses set ``model_type``
    and ``defaults``; unknown fields are kept (and written back), as transformers does.

    >>> from glassnet.models.text import BertConfig
    >>> BertConfig(hidden_size=64).hidden_size, BertConfig({"num_hidden_layers": 2}).num_labels
    (64, 2)
    """

    model_type = ""
    defaults: dict = {}
    # Other names a field goes by (transformers' attribute_map): hidden_size -> n_embd ...
    attribute_map: dict = {}

    def __init__(self, config=None, **kwargs):
        values = dict(_COMMON)
        values.update(self.defaults)
        values.update(_as_dict(config))
        values.update(kwargs)
        values = {self.attribute_map.get(k, k): v for k, v in values.items()}
        labels = values.pop("id2label", None)
        num_labels = values.pop("num_labels", None)
        values.pop("label2id", None)
        if labels is not None:
            labels = {int(k): v for k, v in labels.items()}
        if num_labels is not None and (labels is None or len(labels) != num_labels):
            labels = {i: f"LABEL_{i}" for i in range(num_labels)}
        if labels is None:
            labels = {0: "LABEL_0", 1: "LABEL_1"}
        values["id2label"] = labels
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __getattr__(self, name):  # only reached for names not set: the aliases
        alias = type(self).attribute_map.get(name)
        if alias is not None:
            return getattr(self, alias)
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __setattr__(self, name, value):
        object.__setattr__(self, self.attribute_map.get(name, name), value)

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @property
    def label2id(self) -> dict:
        return {v: k for k, v in self.id2label.items()}

    def to_dict(self) -> dict:
        """Every field, JSON-ready, as config.json holds it."""
        out = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["label2id"] = self.label2id
        out["model_type"] = self.model_type
        return out

    def save_pretrained(self, folder) -> None:
        os.makedirs(folder, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        atomic_write(os.path.join(folder, CONFIG_NAME), [text.encode()])

    @classmethod
    def from_pretrained(cls, folder):
        path = os.path.join(folder, CONFIG_NAME)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{cls.__name__}.from_pretrained: no {CONFIG_NAME} in {folder!r}; give the folder "
                "that Hugging Face's save_pretrained (or glassnet's) wrote"
            )
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
        kind = values.get("model_type")
        if cls.model_type and kind and kind != cls.model_type:
            raise ValueError(
                f"{cls.__name__}.from_pretrained: {path} describes a {kind!r} model, not "
                f"{cls.model_type!r}; load it with the matching glassnet class"
            )
        return cls(values)

    def __repr__(self):
        return f"{type(self).__name__}({json.dumps(self.to_dict(), sort_keys=True)})"


def _as_dict(config) -> dict:
    if config is None:
        return {}
    if isinstance(config, dict):
        return dict(config)
    if hasattr(config, "to_dict"):
        return dict(config.to_dict())
    return {k: v for k, v in vars(config).items() if not k.startswith("_")}


class PreTrainedModel(nn.Module):
    """Base of the Hugging Face-shaped models: config handling and the two folder calls.

    Subclasses set ``config_class``, ``base_model_prefix`` (the attribute holding the body,
    such as ``"bert"``) and ``tied_weights`` (state_dict key -> the key it shares memory with;
    transformers leaves those out of model.safetensors).
    """

    config_class = PretrainedConfig
    base_model_prefix = ""
    tied_weights: dict = {}

    def __init__(self, config=None, **kwargs):
        super().__init__()
        if isinstance(config, self.config_class) and not kwargs:
            self.config = config
        else:
            self.config = self.config_class(config, **kwargs)

    def tied_keys(self) -> dict:
        """The tied keys of this model instance (a head may untie them by config)."""
        if not getattr(self.config, "tie_word_embeddings", True):
            return {}
        return dict(self.tied_weights)

    @property
    def dtype(self):
        return next(iter(self.parameters())).dtype

    # ---- folders --------------------------------------------------------------------------------
    def save_pretrained(self, folder, dtype=None) -> None:
        """Write ``config.json`` and ``model.safetensors``: float weights as they are, or in
        ``dtype`` ('bfloat16', 'float16', ...), the form published checkpoints often take."""
        os.makedirs(folder, exist_ok=True)
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(folder)
        tied = self.tied_keys()
        arrays = {k: v.numpy() for k, v in self.state_dict().items() if k not in tied}
        path = os.path.join(folder, WEIGHTS_NAME)
        write_safetensors(path, arrays, {"format": "pt"}, dtype=dtype)

    @classmethod
    def from_pretrained(cls, folder, dtype=None, **kwargs):
        """Build the model from ``folder/config.json`` (``kwargs`` override fields) and load
        ``folder/model.safetensors`` with strict keys (BF16 and F16 weights are widened to the
        model's dtype). Keys of the tied weights may be absent
        (they are filled from the weight they share); a task head missing from a body-only
        checkpoint (a classifier on a pre-trained BERT) keeps its fresh initialisation."""
        config = cls.config_class.from_pretrained(folder)
        model = cls(config.to_dict(), **kwargs)
        path = os.path.join(folder, WEIGHTS_NAME)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{cls.__name__}.from_pretrained: no {WEIGHTS_NAME} in {folder!r} (glassnet reads "
                "safetensors only; re-save a .bin checkpoint with safe_serialization=True)"
            )
        arrays, _ = read_safetensors(path)
        model.load_hf_state_dict(arrays)
        if dtype is not None:
            model.to(dtype)
        return model.eval()

    def load_hf_state_dict(self, arrays: dict) -> None:
        """Load a state dict as transformers saves it (tied keys left out, the body with or
        without the ``base_model_prefix``) into this model; other mismatches raise."""
        own = self.state_dict()
        prefix = self.base_model_prefix + "." if self.base_model_prefix else ""
        arrays = dict(arrays)
        if prefix and not any(k.startswith(prefix) for k in arrays):
            arrays = {prefix + k: v for k, v in arrays.items()}  # a body-only checkpoint
        elif prefix and not any(k.startswith(prefix) for k in own):
            arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        for key, source in self.tied_keys().items():
            if key not in arrays and source in arrays:
                arrays[key] = arrays[source]
        missing = [k for k in own if k not in arrays]
        # A head (and BERT's pooler, which pre-training checkpoints may lack) may be missing
        heads = [k for k in missing if (prefix and not k.startswith(prefix)) or "pooler." in k]
        if heads and len(heads) == len(missing):
            warnings.warn(
                f"{type(self).__name__}: the checkpoint has no weights for {heads}; they keep "
                "their fresh initialisation (train them before use)",
                stacklevel=3,
            )
            for k in heads:
                arrays[k] = own[k]
        # the head of another task (an MLM head under a classifier) is left out, as in HF
        other_heads = [k for k in arrays if k not in own and prefix and not k.startswith(prefix)]
        if other_heads:
            warnings.warn(
                f"{type(self).__name__}: the checkpoint's weights {other_heads} belong to another "
                "head and are not used",
                stacklevel=3,
            )
            arrays = {k: v for k, v in arrays.items() if k not in other_heads}
        dtype = own[next(iter(own))].dtype if own else None
        arrays = {
            k: (glassnet.tensor(np.asarray(v)).to(dtype) if np.asarray(v).dtype.kind == "f" else v)
            for k, v in arrays.items()
        }
        self.load_state_dict(arrays, strict=True)
