"""BERT (Devlin et al. 2018): a bidirectional Transformer encoder, under Hugging Face's names.

``BertModel``, ``BertForMaskedLM`` and ``BertForSequenceClassification`` have the modules,
parameter names and ``state_dict`` keys of transformers' classes (``embeddings.word_embeddings``,
``encoder.layer.N.attention.self.query``, ``pooler.dense``, ``cls.predictions...``), so a BERT
checkpoint's ``model.safetensors`` loads with strict keys.

>>> import glassnet
>>> model = BertForMaskedLM(vocab_size=50, hidden_size=16, num_hidden_layers=1,
...                         num_attention_heads=2, intermediate_size=32)
>>> ids = glassnet.randint(0, 50, (2, 7))
>>> out = model(input_ids=ids, attention_mask=glassnet.ones(2, 7), labels=ids)
>>> out.logits.shape, out.loss.ndim
(glassnet.Size([2, 7, 50]), 0)
"""

from __future__ import annotations

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.text.layers import activation, merge_heads, padding_mask, split_heads
from glassnet.models.text.outputs import ModelOutput
from glassnet.models.text.pretrained import PretrainedConfig, PreTrainedModel

__all__ = ["BertConfig", "BertModel", "BertForMaskedLM", "BertForSequenceClassification"]


class BertConfig(PretrainedConfig):
    """BERT's hyper-parameters, with transformers' names and defaults (bert-base)."""

    model_type = "bert"
    defaults = {
        "vocab_size": 30522,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
    }


class BertEmbeddings(nn.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config):
        super().__init__()
        h = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, h, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, h)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, h)
        self.LayerNorm = nn.LayerNorm(h, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids=None):
        n = input_ids.shape[1]
        if token_type_ids is None:
            token_type_ids = glassnet.zeros_like(input_ids)
        positions = glassnet.arange(n, device=input_ids.device)
        x = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(positions)
        )
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Scaled dot-product attention over ``num_attention_heads`` heads."""

    def __init__(self, config):
        super().__init__()
        h = config.hidden_size
        if h % config.num_attention_heads:
            raise ValueError(
                f"BertSelfAttention: hidden_size {h} is not a multiple of num_attention_heads "
                f"{config.num_attention_heads}; pick heads that divide it"
            )
        self.num_attention_heads = config.num_attention_heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)
        self.last_attention = None  # set when keep_attention is on (attention maps)
        self.keep_attention = False

    def forward(self, x, mask):
        q, k, v = (
            split_heads(f(x), self.num_attention_heads) for f in (self.query, self.key, self.value)
        )
        if self.keep_attention:
            scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = F.softmax(scores, dim=-1)
            self.last_attention = weights.detach()
            return merge_heads(self.dropout(weights) @ v)
        p = self.dropout.p if self.training else 0.0
        return merge_heads(F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p))


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = activation(config.hidden_act)

    def forward(self, x):
        return self.act(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertLayer(nn.Module):
    """One post-norm encoder block: attention, then the feed-forward, each with a residual."""

    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, x, mask):
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, x, mask, output_hidden_states=False):
        states = [x]
        for block in self.layer:
            x = block(x, mask)
            states.append(x)
        return x, (tuple(states) if output_hidden_states else None)


class BertPooler(nn.Module):
    """tanh(dense(first token's state)): the [CLS] summary of the sequence."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden):
        return glassnet.tanh(self.dense(hidden[:, 0]))


class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"

    def init_weights(self):
        """transformers' initialisation: N(0, initializer_range) weights, zero biases, unit
        LayerNorms, the padding row of the word embeddings zero."""
        std = self.config.initializer_range
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, std)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)
                if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                    with glassnet.no_grad():
                        m.weight[m.padding_idx] = 0.0
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


class BertModel(BertPreTrainedModel):
    """The encoder: ``last_hidden_state`` (batch, length, hidden) and ``pooler_output``.

    ``attention_mask`` (batch, length) holds 1 for tokens and 0 for padding; padded keys get
    no attention. ``token_type_ids`` tells sentence A (0) from sentence B (1).
    """

    base_model_prefix = ""

    def __init__(self, config=None, add_pooling_layer=True, **kwargs):
        super().__init__(config, **kwargs)
        self.embeddings = BertEmbeddings(self.config)
        self.encoder = BertEncoder(self.config)
        self.pooler = BertPooler(self.config) if add_pooling_layer else None
        self.init_weights()

    def forward(
        self, input_ids, attention_mask=None, token_type_ids=None, output_hidden_states=False
    ):
        input_ids = glassnet.as_tensor(input_ids)
        if token_type_ids is not None:
            token_type_ids = glassnet.as_tensor(token_type_ids, device=input_ids.device)
        x = self.embeddings(input_ids, token_type_ids)
        mask = None if attention_mask is None else padding_mask(attention_mask, x.device)
        x, states = self.encoder(x, mask, output_hidden_states)
        return ModelOutput(
            last_hidden_state=x,
            pooler_output=None if self.pooler is None else self.pooler(x),
            hidden_states=states,
        )


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.transform_act_fn(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    """Transform, then the decoder to the vocabulary; its weight is the word embeddings' and
    its bias is ``cls.predictions.bias`` (both keys kept, as transformers stores them)."""

    def __init__(self, config):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(glassnet.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, x):
        return self.predictions(x)


class BertForMaskedLM(BertPreTrainedModel):
    """BERT with the masked-language-model head: ``logits`` (batch, length, vocab); with
    ``labels`` (the token ids, -100 where nothing is predicted) also the mean ``loss``."""

    tied_weights = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.bert = BertModel(self.config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(self.config)
        self.init_weights()
        if self.config.tie_word_embeddings:
            self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def tied_keys(self):
        keys = super().tied_keys()
        keys["cls.predictions.decoder.bias"] = "cls.predictions.bias"  # always shared
        return keys

    def forward(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        labels=None,
        output_hidden_states=False,
    ):
        out = self.bert(input_ids, attention_mask, token_type_ids, output_hidden_states)
        logits = self.cls(out.last_hidden_state)
        loss = None
        if labels is not None:
            labels = glassnet.as_tensor(labels, device=logits.device)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        return ModelOutput(loss=loss, logits=logits, hidden_states=out.hidden_states)


class BertForSequenceClassification(BertPreTrainedModel):
    """BERT with a linear classifier on the pooled [CLS] state: ``logits`` (batch, num_labels).

    The loss follows transformers' ``problem_type``: regression (MSE) when num_labels is 1,
    cross-entropy for integer labels, binary cross-entropy for float multi-label targets.
    """

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.num_labels = self.config.num_labels
        self.bert = BertModel(self.config)
        p = self.config.classifier_dropout
        self.dropout = nn.Dropout(self.config.hidden_dropout_prob if p is None else p)
        self.classifier = nn.Linear(self.config.hidden_size, self.num_labels)
        self.init_weights()

    def forward(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        labels=None,
        output_hidden_states=False,
    ):
        out = self.bert(input_ids, attention_mask, token_type_ids, output_hidden_states)
        logits = self.classifier(self.dropout(out.pooler_output))
        loss = None if labels is None else self._loss(logits, glassnet.as_tensor(labels))
        return ModelOutput(loss=loss, logits=logits, hidden_states=out.hidden_states)

    def _loss(self, logits, labels):
        kind = self.config.problem_type
        if kind is None:
            if self.num_labels == 1:
                kind = "regression"
            elif labels.dtype in (glassnet.int64, glassnet.int32):
                kind = "single_label_classification"
            else:
                kind = "multi_label_classification"
        if kind == "regression":
            return F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).reshape(-1))
        if kind == "single_label_classification":
            return F.cross_entropy(logits.reshape(-1, self.num_labels), labels.reshape(-1))
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
