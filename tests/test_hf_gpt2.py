"""GPT-2 against Hugging Face transformers: the same random weights (Conv1D weights kept as
transformers stores them) give the same logits and gradients, with causal and padding masks;
a cached step equals the uncached forward; greedy and beam search pick the same tokens as
transformers' generate."""

import numpy as np
import pytest
import torch
import transformers

import glassnet
from glassnet.models import GPT2LMHeadModel
from tests.hf_helpers import as_glass, as_torch, compare_grads, load_twin, rel_err

CONFIG = dict(
    vocab_size=100,
    n_embd=32,
    n_layer=2,
    n_head=4,
    n_positions=64,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    bos_token_id=0,
    eos_token_id=0,
)
TOL64, TOL32 = 1e-8, 1e-4  # see tests/test_hf_bert.py for the reasoning


def _twins(double=True):
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(**CONFIG, attn_implementation="eager")
    twin = transformers.GPT2LMHeadModel(cfg).eval()
    model = GPT2LMHeadModel(**CONFIG).eval()
    if double:
        twin.double()
        model.double()
    load_twin(model, twin)
    return model, twin


def _ids(seed=0, batch=3, length=10):
    return np.random.default_rng(seed).integers(1, 100, (batch, length))


@pytest.mark.parametrize("double", [True, False])
def test_logits_loss_and_gradients_match_transformers(double):
    model, twin = _twins(double)
    ids = _ids()
    mask = np.ones_like(ids)
    mask[1, 7:] = 0  # right padding: the padded keys get no attention
    ours = model(as_glass(ids), attention_mask=as_glass(mask), labels=as_glass(ids))
    theirs = twin(as_torch(ids), attention_mask=as_torch(mask))
    # transformers' causal-LM loss casts the logits to float32; the oracle's loss is taken
    # from its logits in their own precision instead (the same shift-by-one cross-entropy).
    logits = theirs.logits
    loss = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, 100), as_torch(ids)[:, 1:].reshape(-1)
    )
    tol = TOL64 if double else TOL32
    assert rel_err(ours.logits, logits) <= tol
    assert rel_err(ours.loss, loss) <= tol
    ours.loss.backward()
    loss.backward()
    assert compare_grads(model, twin, 1e-7 if double else 1e-3) == len(list(twin.parameters()))
    assert model.transformer.h[0].attn.c_attn.weight.shape == (32, 96)  # Conv1D: (in, out)


def test_a_cached_step_equals_the_uncached_forward():
    model, twin = _twins()
    ids = as_glass(_ids(seed=1, length=9))
    full = model(ids).logits
    first = model(ids[:, :6], use_cache=True)
    step = model(ids[:, 6:7], past_key_values=first.past_key_values, use_cache=True)
    last = model(ids[:, 7:], past_key_values=step.past_key_values, use_cache=True)
    # the same sums in a different grouping only: float64 rounding
    assert rel_err(first.logits, full[:, :6]) <= 1e-12
    assert rel_err(step.logits, full[:, 6:7]) <= 1e-12
    assert rel_err(last.logits, full[:, 7:]) <= 1e-12
    assert last.past_key_values[1][0].shape == (3, 4, 9, 8)
    # and the cached logits agree with transformers' own cache
    hf_first = twin(as_torch(ids.numpy()[:, :6]), use_cache=True)
    hf_step = twin(as_torch(ids.numpy()[:, 6:7]), past_key_values=hf_first.past_key_values)
    assert rel_err(step.logits, hf_step.logits) <= TOL64


@pytest.mark.parametrize("double", [True, False])
def test_cached_steps_without_a_graph_equal_the_recorded_path(double):
    """Under no_grad the attention and Conv1D layers compute on the arrays (generation's
    path): logits and cache equal the recorded path's, with the causal mask of a prompt, one
    cached step, and left padding; the logits agree with transformers too."""
    model, twin = _twins(double)
    ids = _ids(seed=2, batch=2, length=8)
    mask = np.ones_like(ids)
    mask[0, :3] = 0  # left padding in the first row
    g_ids, g_mask = as_glass(ids), as_glass(mask)

    def run():
        first = model(g_ids[:, :6], attention_mask=g_mask[:, :6], use_cache=True)
        step = model(
            g_ids[:, 6:7],
            past_key_values=first.past_key_values,
            attention_mask=g_mask[:, :7],
            use_cache=True,
        )
        return first, step

    with glassnet.no_grad():
        fast = run()
    recorded = run()
    for f, r in zip(fast, recorded):
        assert f.logits.grad_fn is None and r.logits.grad_fn is not None
        # the same arithmetic in the same order: the same values to the last bit
        np.testing.assert_array_equal(f.logits.numpy(), r.logits.detach().numpy())
        for (fk, fv), (rk, rv) in zip(f.past_key_values, r.past_key_values):
            np.testing.assert_array_equal(fk.numpy(), rk.detach().numpy())
            np.testing.assert_array_equal(fv.numpy(), rv.detach().numpy())
    with torch.no_grad():
        hf = twin(as_torch(ids[:, :7]), attention_mask=as_torch(mask[:, :7]))
    tol = TOL64 if double else TOL32
    # rows of real tokens only: transformers' values at padded query positions are arbitrary
    assert rel_err(fast[1].logits[:, 0], hf.logits[:, 6]) <= tol
    assert rel_err(fast[0].logits[1], hf.logits[1, :6]) <= tol
    assert rel_err(fast[0].logits[0, 3:], hf.logits[0, 3:6]) <= tol


def _eos_from(twin, prompt, **kw):
    """An end token the search really meets: the third token transformers produced (taken
    from its own run, so the eos path is exercised whatever the random weights are)."""
    out = twin.generate(as_torch(prompt), max_new_tokens=6, do_sample=False, **kw)
    return int(out[0, prompt.shape[1] + 2])


@pytest.mark.parametrize("num_beams", [1, 3])
def test_greedy_and_beam_search_match_transformers_generate(num_beams):
    model, twin = _twins()
    prompt = _ids(seed=2, batch=2, length=5)
    kw = dict(num_beams=num_beams, pad_token_id=0)
    for eos in (None, _eos_from(twin, prompt, **kw)):
        theirs = twin.generate(
            as_torch(prompt), max_new_tokens=8, do_sample=False, eos_token_id=eos, **kw
        )
        ours = model.generate(as_glass(prompt), max_new_tokens=8, eos_token_id=eos, **kw)
        assert ours.numpy().tolist() == theirs.numpy().tolist()
        if num_beams == 1:  # greedy met the end token (beams may prefer a longer hypothesis)
            assert eos is None or eos in theirs.numpy()[0].tolist()
        no_cache = model.generate(
            as_glass(prompt), max_new_tokens=8, eos_token_id=eos, use_cache=False, **kw
        )
        assert no_cache.numpy().tolist() == theirs.numpy().tolist()


def test_left_padded_greedy_generation_matches_transformers():
    model, twin = _twins()
    prompt = _ids(seed=4, batch=2, length=6)
    mask = np.ones_like(prompt)
    prompt[1, :2], mask[1, :2] = 0, 0
    theirs = twin.generate(
        as_torch(prompt),
        attention_mask=as_torch(mask),
        max_new_tokens=6,
        do_sample=False,
        pad_token_id=0,
    )
    ours = model.generate(
        as_glass(prompt), attention_mask=as_glass(mask), max_new_tokens=6, pad_token_id=0
    )
    assert ours.numpy().tolist() == theirs.numpy().tolist()


def test_sampling_keeps_to_top_k_and_is_seeded():
    model, _ = _twins()
    prompt = as_glass(_ids(seed=5, batch=1, length=4))
    glassnet.manual_seed(3)
    a = model.generate(prompt, max_new_tokens=5, do_sample=True, top_k=1)
    greedy = model.generate(prompt, max_new_tokens=5)
    assert a.numpy().tolist() == greedy.numpy().tolist()  # top_k=1 leaves only the argmax
    glassnet.manual_seed(3)
    b = model.generate(prompt, max_new_tokens=5, do_sample=True, temperature=0.7, top_p=0.9)
    glassnet.manual_seed(3)
    c = model.generate(prompt, max_new_tokens=5, do_sample=True, temperature=0.7, top_p=0.9)
    assert b.numpy().tolist() == c.numpy().tolist()


def test_folders_move_both_ways(tmp_path):
    model = GPT2LMHeadModel(**CONFIG).eval()
    ids = _ids()
    model.save_pretrained(tmp_path / "ours")
    twin = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "ours").eval()
    assert rel_err(twin(as_torch(ids)).logits, model(as_glass(ids)).logits) <= TOL32
    torch.manual_seed(2)
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**CONFIG)).eval()
    hf.save_pretrained(tmp_path / "theirs")
    back = GPT2LMHeadModel.from_pretrained(tmp_path / "theirs")
    assert rel_err(back(as_glass(ids)).logits, hf(as_torch(ids)).logits) <= TOL32
    assert back.lm_head.weight is back.transformer.wte.weight


def test_overfits_one_batch():
    model = GPT2LMHeadModel(**CONFIG)
    ids = as_glass(_ids())
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(100):
        opt.zero_grad()
        loss = model(ids, labels=ids).loss
        loss.backward()
        opt.step()
    assert loss.item() < 0.1  # from ln(100) = 4.6
