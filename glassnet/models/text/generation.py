"""Text generation for the decoders: greedy, sampling (temperature, top-k, top-p) and beam
search, with a key/value cache so that each step runs only the newest token.

The search follows Hugging Face's ``generate`` (transformers 5): the same stopping rule, the
same padding after an end-of-sequence token, and beam search's bookkeeping of running and
finished hypotheses with a length penalty, so greedy and beam outputs agree token for token on
the same weights. A model supplies three small methods: ``_generation_start`` (the first
sequences and a state), ``_generation_step`` (next-token logits and the new state) and
``_generation_select`` (the state's rows picked again, for beams).

>>> import glassnet
>>> from glassnet.models import GPT2LMHeadModel
>>> _ = glassnet.manual_seed(0)
>>> model = GPT2LMHeadModel(vocab_size=30, n_embd=16, n_layer=1, n_head=2, n_positions=32)
>>> out = model.generate(glassnet.tensor([[1, 2, 3]]), max_new_tokens=4)
>>> out.shape
glassnet.Size([1, 7])
>>> bool((model.generate(glassnet.tensor([[1, 2, 3]]), max_new_tokens=4, num_beams=3)
...       [:, :3] == glassnet.tensor([[1, 2, 3]])).all())
True
"""

from __future__ import annotations

import numpy as np

import glassnet

__all__ = ["GenerationMixin", "filter_logits"]

_NEG = -1.0e9  # what transformers adds to rule a beam candidate out


def _log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def filter_logits(logits, temperature=1.0, top_k=None, top_p=None, min_tokens_to_keep=1):
    """Sampling's logit processing, in transformers' order: divide by ``temperature``, keep
    the ``top_k`` largest, then the smallest set of tokens whose probability reaches ``top_p``
    (the others get -inf); never fewer than ``min_tokens_to_keep`` tokens (beam sampling
    keeps one more than the number of end tokens, so a beam can always continue).

    >>> filter_logits(np.array([[1.0, 3.0, 2.0]]), top_k=2)
    array([[-inf,   3.,   2.]])
    """
    logits = np.array(logits, dtype=np.float64)
    if temperature is not None and temperature != 1.0:
        if temperature <= 0:
            raise ValueError(
                f"generate: temperature must be > 0 (got {temperature}); for the most likely "
                "token use do_sample=False"
            )
        logits = logits / temperature
    if top_k is not None and top_k > 0:
        top_k = max(top_k, min_tokens_to_keep)
    if top_k is not None and 0 < top_k < logits.shape[-1]:
        kth = np.sort(logits, axis=-1)[:, -top_k][:, None]
        logits = np.where(logits < kth, -np.inf, logits)
    if top_p is not None and top_p < 1.0:
        order = np.argsort(logits, axis=-1)  # ascending, as transformers sorts
        probs = np.exp(_log_softmax(np.take_along_axis(logits, order, axis=-1)))
        cumulative = np.cumsum(probs, axis=-1)
        drop = cumulative <= 1 - top_p
        drop[:, -max(1, min_tokens_to_keep) :] = False  # the most likely tokens always stay
        remove = np.zeros_like(drop)
        np.put_along_axis(remove, order, drop, axis=-1)
        logits = np.where(remove, -np.inf, logits)
    return logits


class GenerationMixin:
    """``generate`` for a model implementing the three ``_generation_*`` methods."""

    def generate(
        self,
        input_ids,
        max_new_tokens: int = 20,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        do_sample: bool = False,
        num_beams: int = 1,
        eos_token_id=None,
        attention_mask=None,
        pad_token_id=None,
        length_penalty: float = 1.0,
        early_stopping=False,
        use_cache: bool = True,
    ):
        """Continue ``input_ids`` (batch, length) by up to ``max_new_tokens`` tokens.

        ``do_sample=False`` picks the most likely token (``num_beams=1``) or runs beam search;
        ``do_sample=True`` samples after ``temperature``/``top_k``/``top_p``. A sequence that
        produced ``eos_token_id`` (one id or a list) is padded with ``pad_token_id`` after it,
        and generation stops when every sequence ended. ``attention_mask`` marks left padding.
        Returns the ids as a tensor: the prompt then the new tokens for decoder-only models,
        the decoder start token then the new tokens for encoder-decoders.
        """
        was_training = self.training
        self.eval()
        try:
            ids = np.asarray(_array(input_ids), dtype=np.int64)
            if ids.ndim == 1:
                ids = ids[None]
            mask = None if attention_mask is None else np.asarray(_array(attention_mask))
            eos = self._eos_list(eos_token_id)
            if pad_token_id is None:
                pad_token_id = getattr(self.config, "pad_token_id", None)
            if pad_token_id is None and eos:
                pad_token_id = eos[0]
            seqs, state = self._generation_start(ids, mask)
            if num_beams > 1:
                sampling = (temperature, top_k, top_p) if do_sample else None
                out = self._beam_search(
                    seqs, state, max_new_tokens, num_beams, eos, pad_token_id,
                    length_penalty, early_stopping, use_cache, sampling,
                )  # fmt: skip
            else:
                sampling = (temperature, top_k, top_p) if do_sample else None
                out = self._greedy_or_sample(
                    seqs, state, max_new_tokens, eos, pad_token_id, use_cache, sampling
                )
        finally:
            self.train(was_training)
        return glassnet.tensor(out)

    def _on_device(self, array):
        """A NumPy array of ids or a mask as a tensor on the model's device."""
        return glassnet.tensor(array, device=next(iter(self.parameters())).device)

    def _eos_list(self, eos_token_id):
        if eos_token_id is None:
            eos_token_id = getattr(self.config, "eos_token_id", None)
        if eos_token_id is None:
            return []
        eos = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
        return [e for e in eos if 0 <= e < self.config.vocab_size]

    def _greedy_or_sample(self, seqs, state, max_new_tokens, eos, pad, use_cache, sampling):
        unfinished = np.ones(len(seqs), dtype=bool)
        for _ in range(max_new_tokens):
            logits, state = self._generation_step(seqs, state, use_cache)
            # transformers picks from float32 logits; do the same so near-ties break alike
            logits = logits.astype(np.float32)
            if sampling is None:
                token = logits.argmax(axis=-1)
            else:
                probs = np.exp(_log_softmax(filter_logits(logits, *sampling)))
                draw = glassnet.multinomial(glassnet.tensor(probs), 1)
                token = draw.numpy()[:, 0]
            if eos:
                token = np.where(unfinished, token, pad)
                unfinished &= np.array([int(t) not in eos for t in token])
            seqs = np.concatenate([seqs, token[:, None].astype(np.int64)], axis=1)
            if not unfinished.any():
                break
        return seqs

    def _beam_search(
        self, seqs, state, max_new_tokens, k, eos, pad, penalty, early, use_cache, sample
    ):
        """transformers 5's vectorised beam search, written with NumPy arrays: keep the
        ``k`` best running beams and the ``k`` best finished hypotheses (score: summed log
        probability / generated length ** ``penalty``) per input.

        With ``sample`` (temperature, top_k, top_p), beam sampling: the log probabilities are
        processed as for sampling, and the candidates are drawn without replacement from the
        softmax of the accumulated scores instead of taken as the best ones."""
        b, prompt = seqs.shape
        max_len = prompt + max_new_tokens
        keep = max(2, 1 + len(eos)) * k
        fill = (pad or eos[0]) if eos else -1  # transformers' fill value, kept for parity
        rows = np.repeat(np.arange(b), k)
        state = self._generation_select(state, rows)
        running = np.full((b, k, max_len), fill, dtype=np.int64)
        running[:, :, :prompt] = seqs[rows].reshape(b, k, prompt)
        finished_seqs = running.copy()
        finished_len = np.zeros((b, k), dtype=np.int64)
        running_scores = np.zeros((b, k), dtype=np.float32)
        running_scores[:, 1:] = _NEG
        scores = np.full((b, k), _NEG, dtype=np.float32)
        is_finished = np.zeros((b, k), dtype=bool)
        improvable = np.ones((b, 1), dtype=bool)
        top_mask = np.arange(keep) < k
        cur = prompt
        while True:
            flat = running[:, :, :cur].reshape(b * k, cur)
            logits, state = self._generation_step(flat, state, use_cache)
            logp = _log_softmax(logits.astype(np.float32))
            if sample is not None:
                logp = filter_logits(logp, *sample, min_tokens_to_keep=max(2, len(eos) + 1))
                logp = logp.astype(np.float32)
            logp = logp.reshape(b, k, -1)
            vocab = logp.shape[-1]
            logp = (logp + running_scores[:, :, None]).reshape(b, -1)
            if sample is None:
                top = np.argsort(-logp, axis=-1, kind="stable")[:, :keep]
            else:
                top = _sample_without_replacement(logp, keep)
            top_logp = np.take_along_axis(logp, top, axis=-1)
            source, token = top // vocab, top % vocab
            cand = np.take_along_axis(running, source[:, :, None], axis=1)
            cand[:, :, cur] = token
            hits = np.isin(token, eos) | (cur + 1 >= max_len)
            # the running beams for the next step: the best candidates that did not stop
            run_logp = top_logp + hits.astype(np.float32) * _NEG
            nxt = np.argsort(-run_logp, axis=-1, kind="stable")[:, :k]
            running = np.take_along_axis(cand, nxt[:, :, None], axis=1)
            running_scores = np.take_along_axis(run_logp, nxt, axis=-1)
            beam_source = np.take_along_axis(source, nxt, axis=-1) + np.arange(b)[:, None] * k
            # the finished hypotheses: merge the new ones (among the top k) with the kept ones
            just = hits & top_mask[None, :]
            s = top_logp / np.float32((cur + 1 - prompt) ** penalty)
            full = is_finished.all(axis=-1, keepdims=True) & (early is True)
            s = s + full * np.float32(_NEG) + (~improvable) * np.float32(_NEG)
            s = (s + (~just) * np.float32(_NEG)).astype(np.float32)
            m_seqs = np.concatenate([finished_seqs, cand], axis=1)
            m_scores = np.concatenate([scores, s], axis=1)
            m_fin = np.concatenate([is_finished, just], axis=1)
            m_len = np.concatenate(
                [finished_len, np.full((b, keep), cur + 1 - prompt, dtype=np.int64)], axis=1
            )
            best = np.argsort(-m_scores, axis=-1, kind="stable")[:, :k]
            finished_seqs = np.take_along_axis(m_seqs, best[:, :, None], axis=1)
            scores = np.take_along_axis(m_scores, best, axis=-1)
            is_finished = np.take_along_axis(m_fin, best, axis=-1)
            finished_len = np.take_along_axis(m_len, best, axis=-1)
            state = self._generation_select(state, beam_source.reshape(-1))
            cur += 1
            # can a running beam still beat the worst finished one?
            length = (max_len if early == "never" and penalty > 0 else cur) - prompt
            best_running = running_scores[:, :1] / np.float32(length**penalty)
            worst = np.where(is_finished, scores.min(axis=1, keepdims=True), _NEG)
            improvable = improvable & (best_running > worst).any(axis=-1, keepdims=True)
            open_beam = not (is_finished.all() and early is True)
            if not (improvable.any() and open_beam and not hits.all()):
                break
        out = finished_seqs[:, 0]
        return out[:, : prompt + int(finished_len[:, 0].max())]


def _sample_without_replacement(scores, n):
    """``n`` indices per row drawn without replacement from softmax(``scores``), returned
    best score first (as transformers sorts its draws).

    The Gumbel-top-k trick: adding independent Gumbel noise to log-probabilities and keeping
    the ``n`` largest is exactly sequential sampling without replacement, and working in log
    space means no probability underflows to zero (a beam far behind can still be drawn, and
    a tiny temperature gives the deterministic beam search's choice).
    """
    u = glassnet.rand(*scores.shape, dtype=glassnet.float64).numpy()
    tiny = np.finfo(np.float64).tiny
    keys = scores.astype(np.float64) - np.log(-np.log(np.clip(u, tiny, 1.0 - 1e-16)))
    drawn = np.argsort(-keys, axis=-1, kind="stable")[:, :n]
    order = np.argsort(-np.take_along_axis(scores, drawn, axis=-1), axis=-1, kind="stable")
    return np.take_along_axis(drawn, order, axis=-1)


def _array(x):
    if isinstance(x, glassnet.Tensor):
        return x.cpu().numpy()
    return x
