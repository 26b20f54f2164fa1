"""BERT against Hugging Face transformers: the same random weights (loaded with strict, exact
keys) give the same logits in float64 and float32 and the same gradient for every parameter,
with a padding mask; folders move both ways between save_pretrained and from_pretrained."""

import numpy as np
import pytest
import torch
import transformers

import glassnet
from glassnet.models import BertForMaskedLM, BertForSequenceClassification, BertModel
from tests.hf_helpers import as_glass, as_torch, compare_grads, load_twin, rel_err

CONFIG = dict(
    vocab_size=100,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=64,
    max_position_embeddings=40,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
)
# float64: both sides compute the same formulas in a different order, so rounding differences
# of ~1e-16 per op stay far below 1e-8 after a few layers; float32 eps is 1.2e-7, and a
# two-layer encoder with LayerNorms and softmaxes amplifies it to ~1e-6..1e-5 relative.
TOL64, TOL32 = 1e-8, 1e-4


def _inputs(seed=0, batch=3, length=9):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 100, (batch, length))
    mask = np.ones((batch, length), dtype=np.int64)
    mask[1, 6:] = 0  # padded sequences: the padded keys must get no attention
    mask[2, 4:] = 0
    types = np.zeros((batch, length), dtype=np.int64)
    types[:, 5:] = 1
    return ids, mask, types


def _twins(cls, hf_cls, double, **extra):
    torch.manual_seed(0)
    twin = hf_cls(transformers.BertConfig(**CONFIG, **extra, attn_implementation="eager"))
    twin.eval()
    model = cls(**CONFIG, **extra).eval()
    if double:
        twin.double()
        model.double()
    load_twin(model, twin)
    return model, twin


@pytest.mark.parametrize("double", [True, False])
def test_masked_lm_logits_loss_and_gradients_match_transformers(double):
    model, twin = _twins(BertForMaskedLM, transformers.BertForMaskedLM, double)
    ids, mask, types = _inputs()
    labels = np.where(np.random.default_rng(1).random(ids.shape) < 0.4, ids, -100)
    ours = model(
        input_ids=as_glass(ids),
        attention_mask=as_glass(mask),
        token_type_ids=as_glass(types),
        labels=as_glass(labels),
    )
    theirs = twin(
        input_ids=as_torch(ids),
        attention_mask=as_torch(mask),
        token_type_ids=as_torch(types),
        labels=as_torch(labels),
    )
    tol = TOL64 if double else TOL32
    assert rel_err(ours.logits, theirs.logits) <= tol
    assert rel_err(ours["loss"], theirs.loss) <= tol
    ours.loss.backward()
    theirs.loss.backward()
    assert compare_grads(model, twin, 1e-7 if double else 1e-3) == len(list(twin.parameters()))
    # The decoder shares the word embeddings, as in transformers (one parameter, two keys).
    emb = model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.weight is emb


def test_base_model_hidden_states_and_pooler_match_in_float64():
    model, twin = _twins(BertModel, transformers.BertModel, True)
    ids, mask, types = _inputs(seed=3)
    ours = model(as_glass(ids), as_glass(mask), as_glass(types), output_hidden_states=True)
    theirs = twin(as_torch(ids), as_torch(mask), as_torch(types), output_hidden_states=True)
    assert rel_err(ours.last_hidden_state, theirs.last_hidden_state) <= TOL64
    assert rel_err(ours.pooler_output, theirs.pooler_output) <= TOL64
    assert len(ours.hidden_states) == len(theirs.hidden_states) == 3


@pytest.mark.parametrize("labels", ["int", "float"])
def test_sequence_classification_matches_in_float64(labels):
    model, twin = _twins(
        BertForSequenceClassification,
        transformers.BertForSequenceClassification,
        True,
        num_labels=3,
    )
    ids, mask, _ = _inputs(seed=5)
    y = np.array([0, 2, 1]) if labels == "int" else np.eye(3)[[0, 2, 1]]
    ours = model(as_glass(ids), attention_mask=as_glass(mask), labels=as_glass(y))
    theirs = twin(as_torch(ids), attention_mask=as_torch(mask), labels=as_torch(y))
    assert rel_err(ours.logits, theirs.logits) <= TOL64
    assert rel_err(ours.loss, theirs.loss) <= TOL64
    ours.loss.backward()
    theirs.loss.backward()
    assert compare_grads(model, twin, 1e-7) > 0


def test_save_pretrained_folder_loads_in_transformers_and_back(tmp_path):
    model = BertForMaskedLM(**CONFIG).eval()
    ids, mask, _ = _inputs()
    model.save_pretrained(tmp_path / "ours")
    twin = transformers.BertForMaskedLM.from_pretrained(tmp_path / "ours").eval()
    expected = model(as_glass(ids), as_glass(mask)).logits
    got = twin(input_ids=as_torch(ids), attention_mask=as_torch(mask)).logits
    assert rel_err(got, expected) <= TOL32
    # The other way: a folder written by transformers loads here.
    torch.manual_seed(1)
    hf = transformers.BertForMaskedLM(transformers.BertConfig(**CONFIG)).eval()
    hf.save_pretrained(tmp_path / "theirs")
    back = BertForMaskedLM.from_pretrained(tmp_path / "theirs")
    want = hf(input_ids=as_torch(ids), attention_mask=as_torch(mask)).logits
    assert rel_err(back(as_glass(ids), as_glass(mask)).logits, want) <= TOL32
    # A body-only checkpoint (BertModel) under a classification head: the body loads, the
    # head keeps its initialisation.
    hf.bert.save_pretrained(tmp_path / "body")
    with pytest.warns(UserWarning, match="classifier"):
        clf = BertForSequenceClassification.from_pretrained(tmp_path / "body")
    w = clf.bert.encoder.layer[0].attention.self.query.weight.detach().numpy()
    assert np.array_equal(w, hf.bert.encoder.layer[0].attention.self.query.weight.detach())


def test_config_accepts_a_transformers_config_or_a_dict():
    cfg = transformers.BertConfig(**CONFIG)
    assert BertModel(cfg).config.hidden_size == 32
    assert BertModel(dict(CONFIG, hidden_size=16, num_attention_heads=2)).config.hidden_size == 16


def test_masked_lm_overfits_one_batch():
    glassnet.manual_seed(0)
    model = BertForMaskedLM(**CONFIG)
    ids, mask, _ = _inputs()
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(100):
        opt.zero_grad()
        loss = model(as_glass(ids), as_glass(mask), labels=as_glass(ids)).loss
        loss.backward()
        opt.step()
    assert loss.item() < 0.1  # from ln(100) = 4.6: the batch is learned by heart
