"""T5 against Hugging Face transformers: relative position buckets, logits, loss (labels
shifted behind the start token) and every gradient with padding masks, the decoder cache, and
greedy and beam generation token for token."""

import numpy as np
import pytest
import torch
import transformers
from transformers.models.t5 import modeling_t5

import glassnet
from glassnet.models import T5ForConditionalGeneration
from glassnet.models.text.t5 import relative_position_bucket
from tests.hf_helpers import as_glass, as_torch, compare_grads, load_twin, rel_err

CONFIG = dict(
    vocab_size=100,
    d_model=32,
    d_kv=8,
    d_ff=64,
    num_layers=2,
    num_decoder_layers=2,
    num_heads=4,
    relative_attention_num_buckets=16,
    relative_attention_max_distance=32,
    dropout_rate=0.0,
    decoder_start_token_id=0,
    pad_token_id=0,
    eos_token_id=1,
)
TOL64, TOL32 = 1e-8, 1e-4  # see tests/test_hf_bert.py


@pytest.fixture
def norm_in_input_dtype(monkeypatch):
    """transformers' T5LayerNorm takes the variance in float32 whatever the dtype (for half
    precision), which caps a float64 comparison at float32 accuracy; in the float64 tests the
    oracle computes the same formula in the input's own dtype."""

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.variance_epsilon))

    monkeypatch.setattr(modeling_t5.T5LayerNorm, "forward", forward)


def _twins(double=True, **extra):
    torch.manual_seed(0)
    cfg = transformers.T5Config(**CONFIG, **extra, attn_implementation="eager")
    twin = transformers.T5ForConditionalGeneration(cfg).eval()
    model = T5ForConditionalGeneration(**CONFIG, **extra).eval()
    if double:
        twin.double()
        model.double()
    load_twin(model, twin)
    return model, twin


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    src = rng.integers(2, 100, (3, 9))
    src_mask = np.ones_like(src)
    src_mask[1, 6:] = 0
    src_mask[2, 3:] = 0
    labels = rng.integers(2, 100, (3, 7))
    labels[2, 5:] = -100  # ignored positions
    return src, src_mask, labels


def test_relative_position_buckets_match_transformers():
    rp = np.arange(-300, 300)[None, :]
    for bidirectional in (True, False):
        for buckets, distance in ((32, 128), (16, 32), (8, 20)):
            want = modeling_t5.T5Attention._relative_position_bucket(
                torch.from_numpy(rp), bidirectional, buckets, distance
            )
            got = relative_position_bucket(rp, bidirectional, buckets, distance)
            assert got.tolist() == want.tolist()


@pytest.mark.parametrize("ff", ["relu", "gated-gelu"])
def test_logits_loss_and_gradients_match_in_float64(ff, norm_in_input_dtype):
    model, twin = _twins(feed_forward_proj=ff)
    src, mask, labels = _batch()
    ours = model(input_ids=as_glass(src), attention_mask=as_glass(mask), labels=as_glass(labels))
    theirs = twin(input_ids=as_torch(src), attention_mask=as_torch(mask), labels=as_torch(labels))
    assert rel_err(ours.logits, theirs.logits) <= TOL64
    assert rel_err(ours.loss, theirs.loss) <= TOL64
    ours.loss.backward()
    theirs.loss.backward()
    assert compare_grads(model, twin, 1e-7) == len(list(twin.parameters()))


def test_float32_logits_match_the_unpatched_model():
    model, twin = _twins(double=False)
    src, mask, labels = _batch(seed=1)
    ours = model(input_ids=as_glass(src), attention_mask=as_glass(mask), labels=as_glass(labels))
    theirs = twin(input_ids=as_torch(src), attention_mask=as_torch(mask), labels=as_torch(labels))
    assert rel_err(ours.logits, theirs.logits) <= TOL32
    assert model.lm_head.weight is model.shared.weight is model.encoder.embed_tokens.weight


def test_a_cached_decoder_step_equals_the_uncached_forward():
    model, _ = _twins()
    src, mask, labels = _batch(seed=2)
    dec = as_glass(np.maximum(labels, 0))
    kw = dict(input_ids=as_glass(src), attention_mask=as_glass(mask))
    full = model(decoder_input_ids=dec, **kw).logits
    enc = model.encode(as_glass(src), as_glass(mask))
    first = model(decoder_input_ids=dec[:, :4], encoder_outputs=enc, use_cache=True,
                  attention_mask=as_glass(mask))  # fmt: skip
    step = model(decoder_input_ids=dec[:, 4:5], encoder_outputs=enc, attention_mask=as_glass(mask),
                 past_key_values=first.past_key_values, use_cache=True)  # fmt: skip
    assert rel_err(first.logits, full[:, :4]) <= 1e-12  # float64, the same sums regrouped
    assert rel_err(step.logits, full[:, 4:5]) <= 1e-12


@pytest.mark.parametrize("num_beams", [1, 3])
def test_generation_matches_transformers(num_beams, norm_in_input_dtype):
    model, twin = _twins()
    src, mask, _ = _batch(seed=3)
    kw = dict(max_new_tokens=8, num_beams=num_beams)
    probe = twin.generate(input_ids=as_torch(src), attention_mask=as_torch(mask), do_sample=False,
                          eos_token_id=None, **kw)  # fmt: skip
    for eos in (None, int(probe[0, 3])):  # an end token the search really meets
        theirs = twin.generate(input_ids=as_torch(src), attention_mask=as_torch(mask),
                               do_sample=False, eos_token_id=eos, **kw)  # fmt: skip
        ours = model.generate(as_glass(src), attention_mask=as_glass(mask), eos_token_id=eos, **kw)
        assert ours.numpy().tolist() == theirs.numpy().tolist()


def test_folders_move_both_ways(tmp_path):
    model = T5ForConditionalGeneration(**CONFIG).eval()
    src, mask, labels = _batch()
    dec = as_glass(np.maximum(labels, 0))
    model.save_pretrained(tmp_path / "ours")
    twin = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path / "ours").eval()
    want = model(input_ids=as_glass(src), decoder_input_ids=dec).logits
    got = twin(input_ids=as_torch(src), decoder_input_ids=as_torch(dec.numpy())).logits
    assert rel_err(got, want) <= TOL32
    torch.manual_seed(3)
    hf = transformers.T5ForConditionalGeneration(transformers.T5Config(**CONFIG)).eval()
    hf.save_pretrained(tmp_path / "theirs")
    back = T5ForConditionalGeneration.from_pretrained(tmp_path / "theirs")
    want = hf(input_ids=as_torch(src), decoder_input_ids=as_torch(dec.numpy())).logits
    assert rel_err(back(input_ids=as_glass(src), decoder_input_ids=dec).logits, want) <= TOL32


def test_overfits_one_batch():
    model = T5ForConditionalGeneration(**CONFIG)
    src, mask, labels = _batch()
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(100):
        opt.zero_grad()
        loss = model(input_ids=as_glass(src), attention_mask=as_glass(mask),
                     labels=as_glass(labels)).loss  # fmt: skip
        loss.backward()
        opt.step()
    assert loss.item() < 0.1  # from ln(100) = 4.6
