"""GPT-2 (Radford et al. 2019): a decoder-only Transformer, under Hugging Face's names.

``GPT2LMHeadModel`` has transformers' modules and ``state_dict`` keys (``transformer.wte``,
``transformer.h.N.attn.c_attn``, ``lm_head``...). GPT-2's projections are ``Conv1D`` layers
whose weight is stored (in_features, out_features), the transpose of ``nn.Linear``'s; they are
kept so here, so checkpoints load unchanged. ``past_key_values`` carries each layer's keys and
values so that generation feeds one new token per step.

>>> import glassnet
>>> model = GPT2LMHeadModel(vocab_size=50, n_embd=16, n_layer=1, n_head=2, n_positions=32)
>>> out = model(glassnet.randint(0, 50, (2, 6)), use_cache=True)
>>> out.logits.shape, len(out.past_key_values), out.past_key_values[0][0].shape
(glassnet.Size([2, 6, 50]), 1, glassnet.Size([2, 2, 6, 8]))
"""

from __future__ import annotations

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import autograd, backend, grad_mode, nn
from glassnet.amp import autocast_mode as _autocast
from glassnet.models.text.generation import GenerationMixin
from glassnet.models.text.layers import (
    activation,
    causal_mask,
    merge_heads,
    padding_mask,
)
from glassnet.models.text.outputs import ModelOutput
from glassnet.models.text.pretrained import PretrainedConfig, PreTrainedModel
from glassnet.nn.functional.multihead_attention import additive_mask
from glassnet.ops.attention import _probabilities
from glassnet.tensor import wrap

__all__ = ["GPT2Config", "GPT2Model", "GPT2LMHeadModel", "Conv1D"]


class GPT2Config(PretrainedConfig):
    """GPT-2's hyper-parameters, with transformers' names and defaults (the 124M model)."""

    model_type = "gpt2"
    defaults = {
        "vocab_size": 50257,
        "n_positions": 1024,
        "n_embd": 768,
        "n_layer": 12,
        "n_head": 12,
        "n_inner": None,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "use_cache": True,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
    }
    attribute_map = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }


def _drop(dropout, x):
    """Dropout only when it does something (a generation step saves the module call)."""
    return dropout(x) if dropout.training and dropout.p > 0 else x


def _records_nothing():
    """Whether the layers below may compute on the arrays directly: grad mode is off (so no
    op records a graph), no tracer watches the ops (ONNX export, compile), autocast has not
    patched them, and the arrays are NumPy's."""
    return (
        not grad_mode._enabled
        and backend._cupy is None
        and autograd._tracer is None
        and not _autocast._saved
    )


class Conv1D(nn.Module):
    """``x @ weight + bias`` with weight (in_features, out_features): GPT-2's linear layer."""

    def __init__(self, nf: int, nx: int):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(glassnet.empty(nx, nf))
        self.bias = nn.Parameter(glassnet.zeros(nf))
        nn.init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x):
        params = self._parameters
        weight, bias = params["weight"], params["bias"]
        a, w = x._data, weight._data
        if (
            backend._cupy is None
            and autograd._tracer is None  # ONNX export and compile see the ops below
            and not _autocast._saved  # autocast patches the ops' forwards
            and a.ndim
            and a.shape[-1] == w.shape[0]
            and a.dtype == w.dtype
            and not (
                grad_mode._enabled
                and (x.requires_grad or weight.requires_grad or bias.requires_grad)
            )
        ):
            # Nothing to record (a generation step): one GEMM and an in-place bias add on the
            # arrays, the same arithmetic as the ops below without their two graph nodes.
            out = a.reshape(-1, a.shape[-1]) @ w
            out += bias._data
            return wrap(out.reshape(a.shape[:-1] + (w.shape[1],)))
        return x @ weight + bias  # (the ops also explain a wrong shape or dtype)

    def extra_repr(self):
        return f"nf={self.nf}, nx={self.weight.shape[0]}"


class GPT2Attention(nn.Module):
    """Causal self-attention; with ``layer_past`` (keys, values) the new positions also attend
    to the cached ones, and the updated pair is returned."""

    def __init__(self, config):
        super().__init__()
        e = config.n_embd
        self.num_heads = config.n_head
        self.scale_attn_weights = config.scale_attn_weights
        self.c_attn = Conv1D(3 * e, e)
        self.c_proj = Conv1D(e, e)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)
        self.keep_attention, self.last_attention = False, None

    def forward(self, x, layer_past=None, pad=None):
        if _records_nothing() and not self.keep_attention and not self.training:
            try:
                return self._forward_arrays(x, layer_past, pad)
            except ValueError:  # a cache or mask that does not fit: the ops below explain it
                pass
        b, n, e = x.shape
        # one view and one permute split the fused projection into q, k, v and the heads
        qkv = self.c_attn(x).view(b, n, 3, self.num_heads, e // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if layer_past is not None:
            k = glassnet.cat([layer_past[0], k], dim=2)
            v = glassnet.cat([layer_past[1], v], dim=2)
        n, t = q.shape[2], k.shape[2]
        mask = None if n == 1 else causal_mask(n, t, x.device)
        if pad is not None:
            mask = pad if mask is None else mask & pad
        scale = 1.0 / (q.shape[-1] ** 0.5) if self.scale_attn_weights else 1.0
        if self.keep_attention:
            scores = (q @ k.transpose(-1, -2)) * scale
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = F.softmax(scores, dim=-1)
            self.last_attention = weights.detach()
            y = self.attn_dropout(weights) @ v
        else:
            p = self.attn_dropout.p if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, scale=scale)
        return _drop(self.resid_dropout, self.c_proj(merge_heads(y))), (k, v)

    def _forward_arrays(self, x, layer_past, pad):
        """``forward`` when nothing is recorded (a generation step): the same arithmetic on
        the arrays, with the fused attention's own softmax, and none of the dozen graph nodes
        (split, concatenate, attention, merge) that a step would otherwise make and drop."""
        b, n, e = x.shape
        h = self.num_heads
        qkv = self.c_attn(x)._data.reshape(b, n, 3, h, e // h)
        q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # (batch, heads, length, head dim) views
        if layer_past is not None:
            k = np.concatenate([layer_past[0]._data, k], axis=2)
            v = np.concatenate([layer_past[1]._data, v], axis=2)
        t = k.shape[2]
        mask = None if n == 1 else causal_mask(n, t, x.device)
        if pad is not None:
            mask = pad if mask is None else mask & pad
        scale = 1.0 / (q.shape[-1] ** 0.5) if self.scale_attn_weights else 1.0
        bias = additive_mask("GPT2Attention: ", "attn_mask", mask, q.dtype, np, False)
        p = _probabilities(q, k, None if bias is None else bias._data, False, scale, True, 1)
        y = (p @ v).transpose(0, 2, 1, 3).reshape(b, n, e)
        return self.c_proj(wrap(y)), (wrap(k), wrap(v))


class GPT2MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        inner = config.n_inner or 4 * config.n_embd
        self.c_fc = Conv1D(inner, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner)
        self.act = activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        return _drop(self.dropout, self.c_proj(self.act(self.c_fc(x))))


class GPT2Block(nn.Module):
    """Pre-norm block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, config):
        super().__init__()
        e, eps = config.n_embd, config.layer_norm_epsilon
        self.ln_1 = nn.LayerNorm(e, eps=eps)
        self.attn = GPT2Attention(config)
        self.ln_2 = nn.LayerNorm(e, eps=eps)
        self.mlp = GPT2MLP(config)

    def forward(self, x, layer_past=None, pad=None):
        a, present = self.attn(self.ln_1(x), layer_past, pad)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


class GPT2PreTrainedModel(PreTrainedModel):
    config_class = GPT2Config
    base_model_prefix = "transformer"

    def init_weights(self):
        """transformers' scheme: N(0, 0.02) weights, zero biases, unit LayerNorms, and the
        residual projections scaled by 1/sqrt(2 * n_layer) (GPT-2's paper)."""
        std = self.config.initializer_range
        for name, m in self.named_modules():
            if isinstance(m, (Conv1D, nn.Linear, nn.Embedding)):
                scaled = name.endswith("c_proj")
                nn.init.normal_(
                    m.weight, 0.0, std / (2 * self.config.n_layer) ** 0.5 if scaled else std
                )
                if getattr(m, "bias", None) is not None and not isinstance(m, nn.Embedding):
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


class GPT2Model(GPT2PreTrainedModel):
    """The decoder body: ``last_hidden_state`` and, with ``use_cache``, ``past_key_values``."""

    base_model_prefix = ""

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.wte = nn.Embedding(c.vocab_size, c.n_embd)
        self.wpe = nn.Embedding(c.n_positions, c.n_embd)
        self.drop = nn.Dropout(c.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd, eps=c.layer_norm_epsilon)
        self.init_weights()

    def forward(
        self,
        input_ids,
        past_key_values=None,
        attention_mask=None,
        position_ids=None,
        use_cache=False,
        output_hidden_states=False,
    ):
        input_ids = glassnet.as_tensor(input_ids)
        n = input_ids.shape[1]
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if past + n > self.config.n_positions:
            raise glassnet.ShapeError(
                f"GPT2Model: {past} cached + {n} new positions exceed n_positions "
                f"{self.config.n_positions}; crop the input or keep fewer tokens in the cache"
            )
        if position_ids is None:
            position_ids = glassnet.arange(past, past + n, device=input_ids.device)[None]
        else:
            position_ids = glassnet.as_tensor(position_ids, device=input_ids.device)
        x = _drop(self.drop, self.wte(input_ids) + self.wpe(position_ids))
        pad = None if attention_mask is None else padding_mask(attention_mask, x.device)
        presents, states = [], [x]
        for i, block in enumerate(self.h):
            x, present = block(x, None if past_key_values is None else past_key_values[i], pad)
            presents.append(present)
            states.append(x)
        x = self.ln_f(x)
        if output_hidden_states:
            states[-1] = x
        return ModelOutput(
            last_hidden_state=x,
            past_key_values=tuple(presents) if use_cache else None,
            hidden_states=tuple(states) if output_hidden_states else None,
        )


class GPT2LMHeadModel(GPT2PreTrainedModel, GenerationMixin):
    """GPT-2 with its language-model head (tied to the token embeddings): next-token
    ``logits``; with ``labels`` (usually the input ids) the mean next-token ``loss``; with
    ``use_cache`` the ``past_key_values`` to pass back with the next token."""

    tied_weights = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.transformer = GPT2Model(self.config)
        self.lm_head = nn.Linear(self.config.n_embd, self.config.vocab_size, bias=False)
        if self.config.tie_word_embeddings:
            self.lm_head.weight = self.transformer.wte.weight

    def forward(
        self,
        input_ids,
        past_key_values=None,
        attention_mask=None,
        position_ids=None,
        labels=None,
        use_cache=False,
        output_hidden_states=False,
    ):
        out = self.transformer(
            input_ids,
            past_key_values,
            attention_mask,
            position_ids,
            use_cache,
            output_hidden_states,
        )
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            labels = glassnet.as_tensor(labels, device=logits.device)
            shifted = logits[:, :-1].reshape(-1, logits.shape[-1])
            loss = F.cross_entropy(shifted, labels[:, 1:].reshape(-1))
        return ModelOutput(
            loss=loss,
            logits=logits,
            past_key_values=out.past_key_values,
            hidden_states=out.hidden_states,
        )

    # ---- generation (see generation.py) --------------------------------------------------------
    def _generation_start(self, input_ids, attention_mask):
        return input_ids, {"mask": attention_mask, "cache": None}

    def _generation_step(self, seqs, state, use_cache):
        """The next-token logits (rows, vocab) for ``seqs`` (rows, length) as a NumPy array;
        with the cache only the last token is run (all of them on the first step)."""
        import numpy as np

        mask = state["mask"]
        if mask is not None and mask.shape[1] < seqs.shape[1]:
            grow = np.ones((mask.shape[0], seqs.shape[1] - mask.shape[1]), dtype=mask.dtype)
            mask = np.concatenate([mask, grow], axis=1)
        positions = None
        if mask is not None:  # left padding: positions count the real tokens only
            positions = np.cumsum(mask, axis=1) - 1
            positions[mask == 0] = 1
        cache = state["cache"] if use_cache else None
        start = 0 if cache is None else cache[0][0].shape[2]
        with glassnet.no_grad():
            out = self(
                self._on_device(seqs[:, start:]),
                past_key_values=cache,
                attention_mask=None if mask is None else self._on_device(mask),
                position_ids=None if positions is None else self._on_device(positions[:, start:]),
                use_cache=use_cache,
            )
        state = {"mask": mask, "cache": out.past_key_values}
        return out.logits[:, -1].cpu().numpy(), state

    def _generation_select(self, state, rows):
        rows_t = self._on_device(rows)
        cache = state["cache"]
        if cache is not None:
            cache = tuple((k[rows_t], v[rows_t]) for k, v in cache)
        mask = None if state["mask"] is None else state["mask"][rows]
        return {"mask": mask, "cache": cache}
