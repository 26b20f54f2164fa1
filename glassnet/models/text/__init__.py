"""Text Transformers under Hugging Face's names: BERT, GPT-2 and T5, with their configs,
``from_pretrained`` / ``save_pretrained`` folders and ``generate``.

>>> from glassnet.models.text import BertModel
>>> BertModel(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
...           intermediate_size=32, vocab_size=40).config.num_hidden_layers
1
"""

from glassnet.models.text.bert import (
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
)
from glassnet.models.text.generation import GenerationMixin
from glassnet.models.text.gpt2 import GPT2Config, GPT2LMHeadModel, GPT2Model
from glassnet.models.text.outputs import ModelOutput
from glassnet.models.text.pretrained import PretrainedConfig, PreTrainedModel
from glassnet.models.text.t5 import T5Config, T5ForConditionalGeneration

__all__ = [
    "ModelOutput",
    "PretrainedConfig",
    "PreTrainedModel",
    "BertConfig",
    "BertModel",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "GPT2Config",
    "GPT2Model",
    "GPT2LMHeadModel",
    "GenerationMixin",
    "T5Config",
    "T5ForConditionalGeneration",
]
