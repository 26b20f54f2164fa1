"""Attention maps (glassnet.viz.attention_maps) against transformers' output_attentions: the
weights collected here are the ones the oracle reports, layer by layer and head by head."""

import numpy as np
import torch
import transformers

from glassnet.models import BertModel, GPT2LMHeadModel
from glassnet.viz.attention_maps import collect_attention, plot_attention
from tests.hf_helpers import as_glass, as_torch, load_twin, rel_err

BERT = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=32, max_position_embeddings=20)  # fmt: skip
GPT2 = dict(vocab_size=60, n_embd=16, n_layer=2, n_head=2, n_positions=20, bos_token_id=0,
            eos_token_id=0)  # fmt: skip


def test_bert_and_gpt2_maps_equal_transformers_attentions(tmp_path):
    ids = np.random.default_rng(0).integers(1, 60, (2, 7))
    mask = np.ones_like(ids)
    mask[1, 5:] = 0
    torch.manual_seed(0)
    for ours_cls, hf_cls, hf_cfg, cfg in (
        (BertModel, transformers.BertModel, transformers.BertConfig, BERT),
        (GPT2LMHeadModel, transformers.GPT2LMHeadModel, transformers.GPT2Config, GPT2),
    ):
        twin = hf_cls(hf_cfg(**cfg, attn_implementation="eager")).eval().double()
        model = ours_cls(**cfg).eval().double()
        load_twin(model, twin)
        maps = collect_attention(model, as_glass(ids), attention_mask=as_glass(mask))
        want = twin(as_torch(ids), attention_mask=as_torch(mask), output_attentions=True)
        assert len(maps) == len(want.attentions) == 2
        for got, ref in zip(maps, want.attentions):
            assert rel_err(got, ref) <= 1e-10  # float64 softmax of the same scores
        # the model is left as it was: no weights kept after the call
        assert all(not getattr(m, "keep_attention", False) for m in model.modules())
    path = plot_attention(maps[0][0], [str(i) for i in ids[0]], path=tmp_path / "a.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
