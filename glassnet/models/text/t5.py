"""T5 (Raffel et al. 2019): an encoder-decoder Transformer, under Hugging Face's names.

``T5ForConditionalGeneration`` has transformers' modules and ``state_dict`` keys (``shared``,
``encoder.block.N.layer.0.SelfAttention.q``, ``...relative_attention_bias``, ``lm_head``...).
T5 differs from the original Transformer in three readable ways: positions enter as a learned
bias on the attention scores that depends on the (bucketed) distance between query and key,
the layer norm only rescales (no mean, no bias: RMS-style), and the encoder, decoder and
output layer share one embedding table.

>>> import glassnet
>>> model = T5ForConditionalGeneration(vocab_size=40, d_model=16, d_kv=4, d_ff=32,
...                                    num_layers=1, num_heads=4)
>>> ids = glassnet.randint(2, 40, (2, 6))
>>> out = model(input_ids=ids, labels=ids)
>>> out.logits.shape, out.loss.ndim
(glassnet.Size([2, 6, 40]), 0)
"""

from __future__ import annotations

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.text.generation import GenerationMixin
from glassnet.models.text.layers import additive, causal_mask, padding_mask
from glassnet.models.text.outputs import ModelOutput
from glassnet.models.text.pretrained import PretrainedConfig, PreTrainedModel
from glassnet.models.text.t5_layers import (
    T5Attention,
    T5LayerFF,
    T5LayerNorm,
    relative_position_bucket,
)

__all__ = ["T5Config", "T5ForConditionalGeneration", "relative_position_bucket"]


class T5Config(PretrainedConfig):
    """T5's hyper-parameters, with transformers' names and defaults (t5-small)."""

    model_type = "t5"
    defaults = {
        "vocab_size": 32128,
        "d_model": 512,
        "d_kv": 64,
        "d_ff": 2048,
        "num_layers": 6,
        "num_decoder_layers": None,
        "num_heads": 8,
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "feed_forward_proj": "relu",
        "is_encoder_decoder": True,
        "use_cache": True,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "scale_decoder_outputs": None,
    }
    attribute_map = {
        "hidden_size": "d_model",
        "num_attention_heads": "num_heads",
        "num_hidden_layers": "num_layers",
        "head_dim": "d_kv",
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        if self.num_decoder_layers is None:
            self.num_decoder_layers = self.num_layers
        if self.scale_decoder_outputs is None:  # original T5 scales, v1.1 (untied) does not
            self.scale_decoder_outputs = self.tie_word_embeddings is not False
        kind = self.feed_forward_proj.split("-")
        self.is_gated_act = kind[0] == "gated"
        self.dense_act_fn = "gelu_new" if self.feed_forward_proj == "gated-gelu" else kind[-1]


class T5LayerSelfAttention(nn.Module):
    def __init__(self, config, has_relative_attention_bias, is_decoder):
        super().__init__()
        self.SelfAttention = T5Attention(config, has_relative_attention_bias, is_decoder)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, x, bias, past=None):
        y, present = self.SelfAttention(self.layer_norm(x), bias, past=past)
        return x + self.dropout(y), present


class T5LayerCrossAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.EncDecAttention = T5Attention(config, False, True)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, x, encoder_states, bias, past=None):
        y, present = self.EncDecAttention(self.layer_norm(x), bias, kv=encoder_states, past=past)
        return x + self.dropout(y), present


class T5Block(nn.Module):
    """Self-attention, cross-attention (decoder only), feed-forward; each pre-norm with a
    residual."""

    def __init__(self, config, has_relative_attention_bias, is_decoder):
        super().__init__()
        layers = [T5LayerSelfAttention(config, has_relative_attention_bias, is_decoder)]
        if is_decoder:
            layers.append(T5LayerCrossAttention(config))
        layers.append(T5LayerFF(config))
        self.layer = nn.ModuleList(layers)

    def forward(self, x, bias, encoder_states=None, cross_bias=None, past=None):
        x, self_kv = self.layer[0](x, bias, None if past is None else past[:2])
        present = self_kv
        if len(self.layer) == 3:
            x, cross_kv = self.layer[1](
                x, encoder_states, cross_bias, None if past is None else past[2:]
            )
            present = self_kv + cross_kv
        return self.layer[-1](x), present


class T5Stack(nn.Module):
    """The encoder or the decoder: shared embeddings, blocks, a final norm."""

    def __init__(self, config, embed_tokens, is_decoder):
        super().__init__()
        self.is_decoder = is_decoder
        self.embed_tokens = embed_tokens
        n = config.num_decoder_layers if is_decoder else config.num_layers
        self.block = nn.ModuleList([T5Block(config, i == 0, is_decoder) for i in range(n)])
        self.final_layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, input_ids, attention_mask=None, encoder_states=None, encoder_mask=None,
                past_key_values=None, output_hidden_states=False):  # fmt: skip
        x = self.dropout(self.embed_tokens(input_ids))
        n = input_ids.shape[1]
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        keep = None
        if attention_mask is not None:
            keep = padding_mask(attention_mask, x.device)
        if self.is_decoder:
            causal = causal_mask(n, past + n, x.device)
            keep = causal if keep is None else keep & causal
        bias = self.block[0].layer[0].SelfAttention.compute_bias(n, past + n, past).to(x.dtype)
        if keep is not None:
            bias = bias + additive(keep, x.dtype)
        cross_bias = None
        if encoder_states is not None:
            cross_bias = glassnet.zeros(
                1, 1, 1, encoder_states.shape[1], dtype=x.dtype, device=x.device
            )
            if encoder_mask is not None:
                cross_bias = additive(padding_mask(encoder_mask, x.device), x.dtype)
        presents, states = [], [x]
        for i, block in enumerate(self.block):
            layer_past = None if past_key_values is None else past_key_values[i]
            x, present = block(x, bias, encoder_states, cross_bias, layer_past)
            presents.append(present)
            states.append(x)
        x = self.dropout(self.final_layer_norm(x))
        return x, tuple(presents), (tuple(states[:-1]) + (x,) if output_hidden_states else None)


class T5ForConditionalGeneration(PreTrainedModel, GenerationMixin):
    """T5 with its language-model head. ``input_ids`` go through the encoder; the decoder reads
    ``decoder_input_ids`` (or ``labels`` shifted right behind the start token); ``labels``
    (-100 for ignored positions) give the mean ``loss``."""

    config_class = T5Config
    base_model_prefix = ""
    tied_weights = {
        "encoder.embed_tokens.weight": "shared.weight",
        "decoder.embed_tokens.weight": "shared.weight",
        "lm_head.weight": "shared.weight",
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.shared = nn.Embedding(c.vocab_size, c.d_model)
        self.encoder = T5Stack(c, self.shared, is_decoder=False)
        self.decoder = T5Stack(c, self.shared, is_decoder=True)
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.init_weights()
        if c.tie_word_embeddings:
            self.lm_head.weight = self.shared.weight

    def tied_keys(self):
        keys = dict(self.tied_weights)
        if not self.config.tie_word_embeddings:
            keys.pop("lm_head.weight")
        return keys

    def init_weights(self):
        """transformers' scheme (Mesh TensorFlow's): each projection N(0, 1/sqrt(fan_in)),
        the embeddings N(0, 1), the norms 1."""
        f, d, kv, h = (self.config.initializer_factor, self.config.d_model, self.config.d_kv,
                       self.config.num_heads)  # fmt: skip
        for name, m in self.named_modules():
            if isinstance(m, T5LayerNorm):
                nn.init.constant_(m.weight, f)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, f * (1.0 if name == "shared" else d**-0.5))
            elif isinstance(m, nn.Linear):
                fan_in = m.weight.shape[1]
                if name.endswith(".q"):
                    std = f * (d * kv) ** -0.5
                elif name.endswith(".o"):
                    std = f * (h * kv) ** -0.5
                else:
                    std = f * fan_in**-0.5
                nn.init.normal_(m.weight, 0.0, std)

    def _shift_right(self, labels):
        start = self.config.decoder_start_token_id
        shifted = glassnet.full(labels.shape, start, dtype=labels.dtype, device=labels.device)
        shifted[:, 1:] = labels[:, :-1]
        return glassnet.where(shifted == -100, self.config.pad_token_id, shifted)

    def encode(self, input_ids, attention_mask=None, output_hidden_states=False):
        x, _, states = self.encoder(glassnet.as_tensor(input_ids), attention_mask,
                                    output_hidden_states=output_hidden_states)  # fmt: skip
        return ModelOutput(last_hidden_state=x, hidden_states=states)

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        decoder_input_ids=None,
        decoder_attention_mask=None,
        labels=None,
        encoder_outputs=None,
        past_key_values=None,
        use_cache=False,
        output_hidden_states=False,
    ):
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, output_hidden_states)
        enc = (
            encoder_outputs["last_hidden_state"]
            if isinstance(encoder_outputs, dict)
            else encoder_outputs[0]
        )
        if labels is not None:
            labels = glassnet.as_tensor(labels, device=enc.device)
            if decoder_input_ids is None:
                decoder_input_ids = self._shift_right(labels)
        if decoder_input_ids is None:
            raise ValueError(
                "T5ForConditionalGeneration: give decoder_input_ids or labels (the decoder needs "
                "its input); for generation use model.generate(input_ids)"
            )
        x, presents, states = self.decoder(
            glassnet.as_tensor(decoder_input_ids, device=enc.device), decoder_attention_mask, enc,
            attention_mask, past_key_values, output_hidden_states,
        )  # fmt: skip
        if self.config.scale_decoder_outputs:
            x = x * self.config.d_model**-0.5  # the tied output layer reuses the embedding scale
        logits = self.lm_head(x)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        return ModelOutput(
            loss=loss,
            logits=logits,
            past_key_values=presents if use_cache else None,
            hidden_states=states,
            encoder_last_hidden_state=enc,
            encoder_hidden_states=encoder_outputs.get("hidden_states")
            if isinstance(encoder_outputs, dict)
            else None,
        )

    # ---- generation (see generation.py) --------------------------------------------------------
    def _generation_start(self, input_ids, attention_mask):
        with glassnet.no_grad():
            mask = None if attention_mask is None else self._on_device(attention_mask)
            enc = self.encode(self._on_device(input_ids), mask).last_hidden_state
        start = self.config.decoder_start_token_id
        seqs = np.full((len(input_ids), 1), start, dtype=np.int64)
        return seqs, {"enc": enc, "mask": attention_mask, "cache": None}

    def _generation_step(self, seqs, state, use_cache):
        cache = state["cache"] if use_cache else None
        start = 0 if cache is None else cache[0][0].shape[2]
        mask = state["mask"]
        with glassnet.no_grad():
            out = self(
                attention_mask=None if mask is None else self._on_device(mask),
                decoder_input_ids=self._on_device(seqs[:, start:]),
                encoder_outputs=(state["enc"],),
                past_key_values=cache,
                use_cache=use_cache,
            )
        return out.logits[:, -1].cpu().numpy(), dict(state, cache=out.past_key_values)

    def _generation_select(self, state, rows):
        r = self._on_device(rows)
        cache = state["cache"]
        if cache is not None:
            cache = tuple(tuple(t[r] for t in layer) for layer in cache)
        mask = None if state["mask"] is None else state["mask"][rows]
        return {"enc": state["enc"][r], "mask": mask, "cache": cache}
