"""Beam sampling (``do_sample=True`` with ``num_beams > 1``), transformers' semantics: the
log probabilities are processed as for sampling (temperature, top-k, top-p, keeping at least
one token more than the end tokens) and the 2 * num_beams candidates of each step are drawn
without replacement from the softmax of the accumulated scores, then sorted by score.

Oracles: the sampler's draw frequencies against the probabilities of sampling without
replacement computed by hand; the temperature -> 0 limit against the deterministic beam
search (itself checked token for token against transformers in tests/test_hf_gpt2.py).
"""

import numpy as np
import pytest

import glassnet
from glassnet.models.text.generation import _sample_without_replacement, filter_logits
from tests.hf_helpers import as_glass
from tests.test_hf_gpt2 import _ids, _twins


def test_draws_are_distinct_sorted_by_score_and_follow_sampling_without_replacement():
    glassnet.manual_seed(0)
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    n_rows = 20000
    scores = np.tile(np.log(p), (n_rows, 1)) + 3.0  # a shift: softmax ignores it
    drawn = _sample_without_replacement(scores, 3)
    assert all(len(set(row)) == 3 for row in drawn[:200])
    got = np.take_along_axis(scores, drawn, axis=-1)
    assert (np.diff(got, axis=-1) <= 0).all()  # best score first, as transformers sorts
    # two sequential draws without replacement (by hand):
    # P(j is drawn) = p_j + sum_{i != j} p_i p_j / (1 - p_i); the sort does not change the set
    first_two = np.array([p[j] + sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j)
                          for j in range(5)])  # fmt: skip
    two = _sample_without_replacement(scores, 2)
    freq = np.array([(two == j).any(axis=1).mean() for j in range(5)])
    # binomial standard error sqrt(q(1-q)/n) <= 0.0036 for n = 20000: 5 of them
    np.testing.assert_allclose(freq, first_two, atol=0.018)


def test_a_far_behind_candidate_is_still_drawable_and_minus_inf_never():
    glassnet.manual_seed(1)
    # exp(-800) underflows to 0 in any float format; in log space it is still the only
    # candidate left after the first, so a 2-sample draw must take it (and never -inf)
    scores = np.array([[0.0, -800.0, -np.inf, -np.inf]])
    assert _sample_without_replacement(scores, 2).tolist() == [[0, 1]]


def test_min_tokens_to_keep_in_the_filters():
    logits = np.log(np.array([[0.7, 0.2, 0.06, 0.04]]))
    assert np.isfinite(filter_logits(logits, top_k=1, min_tokens_to_keep=2)).sum() == 2
    assert np.isfinite(filter_logits(logits, top_p=0.5, min_tokens_to_keep=3)).sum() == 3
    assert np.isfinite(filter_logits(logits, top_p=0.5)).sum() == 1


def test_beam_sampling_is_seeded_and_varies_with_the_seed():
    model, _ = _twins()
    prompt = as_glass(_ids(seed=2, batch=2, length=5))
    kw = dict(max_new_tokens=6, num_beams=3, do_sample=True, temperature=1.5)
    runs = []
    for seed in (7, 7, 8, 9, 10):
        glassnet.manual_seed(seed)
        runs.append(model.generate(prompt, **kw).numpy().tolist())
    assert runs[0] == runs[1]
    # temperature 1.5 over 100 tokens: four seeds giving one output would be astronomically rare
    assert len({str(r) for r in runs}) > 1
    assert all(np.array(r)[:, :5].tolist() == prompt.numpy().tolist() for r in runs)


@pytest.mark.parametrize("eos", [False, True])
def test_tiny_temperature_gives_the_deterministic_beam_search(eos):
    # logp / T + Gumbel noise (|noise| < 45 for float64 uniforms): at T = 1e-6 the draws are
    # the best candidates unless two differ by under 4.5e-5, far above float32 rounding of
    # these log probabilities (~5e-7); the accumulated scores (~ -5e6 a step) stay far above
    # transformers' -1e9 marker of ruled-out beams over 8 steps
    model, _ = _twins()
    prompt = as_glass(_ids(seed=2, batch=2, length=5))
    kw = dict(max_new_tokens=8, num_beams=3, pad_token_id=0)
    if eos:
        first = model.generate(prompt, max_new_tokens=3).numpy()
        kw["eos_token_id"] = int(first[0, -1])  # a token the search does meet
    beam = model.generate(prompt, **kw).numpy().tolist()
    glassnet.manual_seed(0)
    sampled = model.generate(prompt, do_sample=True, temperature=1e-6, **kw)
    assert sampled.numpy().tolist() == beam


def test_eos_ends_a_sampled_beam_and_pads_after_it():
    model, _ = _twins()
    prompt = as_glass(_ids(seed=3, batch=2, length=4))
    greedy = model.generate(prompt, max_new_tokens=2).numpy()
    eos = int(greedy[0, -1])  # likely at low temperature, so some draws meet it
    met = 0
    for seed in range(6):
        glassnet.manual_seed(seed)
        out = model.generate(prompt, max_new_tokens=6, num_beams=2, do_sample=True,
                             temperature=0.5, eos_token_id=eos, pad_token_id=99).numpy()  # fmt: skip
        assert out.shape[1] <= 4 + 6
        for row in out:
            new = row[4:].tolist()
            if eos in new:
                met += 1
                after = new[new.index(eos) + 1 :]
                assert all(t == 99 for t in after)  # only padding after the end token
    assert met > 0  # the end-token path really ran
