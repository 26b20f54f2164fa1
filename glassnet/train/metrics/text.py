"""Text scores: corpus BLEU, ROUGE-1/2/L and perplexity.

BLEU and ROUGE take tokenised sentences: each prediction a list of tokens (a string is split on
whitespace), each target a token list or a list of several reference token lists.

>>> from glassnet.train import metrics
>>> hyp = ["the cat sat on the mat".split()]
>>> ref = ["the cat sat on a mat".split()]
>>> round(metrics.bleu(hyp, ref, max_n=2), 4)
0.7071
>>> metrics.rouge(hyp, ref)["rouge1"]["fmeasure"]
0.8333333333333334
>>> round(metrics.perplexity(2.0), 4)
7.3891
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from glassnet.train.metrics.base import (
    Metric,
    check_same_length,
    class_dim,
    class_targets,
    to_numpy,
)


def _tokens(sentence):
    return sentence.split() if isinstance(sentence, str) else list(sentence)


def _references(target):
    """A target as a list of reference token lists (one reference or several)."""
    if isinstance(target, str):
        return [target.split()]
    target = list(target)
    if target and not isinstance(target[0], str) and isinstance(target[0], (list, tuple)):
        return [_tokens(r) for r in target]
    return [target]


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


class _BleuStats:
    """Clipped n-gram matches, n-gram totals and lengths, summed over a corpus."""

    def __init__(self, max_n):
        self.max_n = max_n
        self.matches = [0] * max_n
        self.totals = [0] * max_n
        self.hyp_len = self.ref_len = 0

    def add(self, preds, targets):
        check_same_length("bleu", preds, targets)
        for hyp, target in zip(preds, targets):
            hyp, refs = _tokens(hyp), _references(target)
            for n in range(1, self.max_n + 1):
                counts = _ngrams(hyp, n)
                best = Counter()
                for r in refs:
                    best |= _ngrams(r, n)  # the most times each n-gram occurs in one reference
                self.matches[n - 1] += sum(min(c, best[g]) for g, c in counts.items())
                # At least 1, as NLTK does, so a short sentence still counts against precision.
                self.totals[n - 1] += max(1, sum(counts.values()))
            self.hyp_len += len(hyp)
            # The reference length closest to the hypothesis (the shorter one on a tie).
            self.ref_len += min((len(r) for r in refs), key=lambda m: (abs(m - len(hyp)), m))

    def score(self, weights, smooth):
        if self.matches[0] == 0 or self.hyp_len == 0:
            return 0.0
        log_p = 0.0
        for w, m, t in zip(weights, self.matches, self.totals):
            if m == 0:
                if not smooth:
                    return 0.0
                m = 0.1  # smoothing method 1 (Chen & Cherry 2014): a small count instead of 0
            log_p += w * math.log(m / t)
        c, r = self.hyp_len, self.ref_len
        brevity = 1.0 if c > r else math.exp(1 - r / c)
        return brevity * math.exp(log_p)


def _weights(max_n, weights):
    if weights is None:
        return [1.0 / max_n] * max_n
    if len(weights) != max_n:
        raise ValueError(f"bleu: got {len(weights)} weights for max_n={max_n}; give one per n")
    return list(weights)


def bleu(preds, targets, max_n: int = 4, weights=None, smooth: bool = False) -> float:
    """Corpus BLEU (Papineni et al. 2002) of tokenised hypotheses against references.

    The geometric mean of clipped n-gram precisions (n = 1..max_n, pooled over the corpus)
    times the brevity penalty ``exp(1 - r/c)`` when the hypotheses are shorter than the
    references. Without ``smooth``, any order with no match gives 0; ``smooth=True`` is NLTK's
    smoothing method 1 (0.1 matches instead of 0).

    >>> bleu([["a", "b", "c", "d"]], [["a", "b", "c", "d"]])
    1.0
    """
    stats = _BleuStats(max_n)
    stats.add(preds, targets)
    return stats.score(_weights(max_n, weights), smooth)


def _lcs(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _prf(overlap, hyp_total, ref_total):
    p = overlap / hyp_total if hyp_total else 0.0
    r = overlap / ref_total if ref_total else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _rouge_one(hyp, ref, rouge_type):
    if rouge_type == "rougeL":
        return _prf(_lcs(hyp, ref), len(hyp), len(ref))
    n = int(rouge_type[5:])
    h, r = _ngrams(hyp, n), _ngrams(ref, n)
    return _prf(sum((h & r).values()), sum(h.values()), sum(r.values()))


_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def _check_types(rouge_types):
    for t in rouge_types:
        if t != "rougeL" and not (t.startswith("rouge") and t[5:].isdigit()):
            raise ValueError(f"rouge: unknown type {t!r}; use 'rouge1', 'rouge2', ... or 'rougeL'")


def _rouge_sums(preds, targets, rouge_types):
    check_same_length("rouge", preds, targets)
    sums = {t: np.zeros(3) for t in rouge_types}
    for hyp, target in zip(preds, targets):
        hyp, refs = _tokens(hyp), _references(target)
        for t in rouge_types:
            # With several references, the one giving the best F-measure counts.
            sums[t] += max((_rouge_one(hyp, r, t) for r in refs), key=lambda s: s[2])
    return sums


def rouge(preds, targets, rouge_types=_ROUGE_TYPES) -> dict:
    """ROUGE-N (n-gram overlap) and ROUGE-L (longest common subsequence) scores.

    Returns ``{type: {'precision', 'recall', 'fmeasure'}}``, each averaged over sentences.
    Precision divides by the prediction's n-grams, recall by the reference's.

    >>> rouge([["a", "b", "c"]], [["a", "c"]], rouge_types=("rougeL",))["rougeL"]["recall"]
    1.0
    """
    _check_types(rouge_types)
    n = max(len(preds), 1)
    sums = _rouge_sums(preds, targets, rouge_types)
    return {
        t: dict(zip(("precision", "recall", "fmeasure"), (float(v) for v in s / n)))
        for t, s in sums.items()
    }


def _nll(preds, targets, ignore_index):
    """``(summed negative log-likelihood, token count)`` of targets under logits ``preds``."""
    p, t = to_numpy(preds), class_targets("perplexity", targets)
    if p.ndim == 0:  # a mean cross-entropy already computed for these targets
        count = int((t != ignore_index).sum()) if t.ndim else 1
        return float(p) * count, count
    dim = class_dim("perplexity", p, t)
    if dim is None:
        raise ValueError("perplexity: needs logits with a class dimension, not labels")
    p = np.moveaxis(p, dim, -1).reshape(-1, p.shape[dim]).astype(np.float64)
    t = t.reshape(-1)
    keep = t != ignore_index
    p, t = p[keep], t[keep]
    top = p.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(p - top).sum(axis=1)) + top[:, 0]
    return float((log_z - p[np.arange(t.size), t]).sum()), int(t.size)


def perplexity(preds, targets=None, ignore_index: int = -100) -> float:
    """exp(mean cross-entropy): the effective number of choices a language model hesitates
    between. ``preds`` is a mean cross-entropy (in nats) or logits scored against ``targets``.

    >>> perplexity([[0.0, 0.0, 0.0, 0.0]], [2])
    4.0
    """
    if targets is None:
        return math.exp(float(to_numpy(preds)))
    total, count = _nll(preds, targets, ignore_index)
    return math.exp(total / count) if count else float("nan")


class BLEU(Metric):
    """Running corpus BLEU: n-gram counts are pooled over batches (see ``bleu``).

    >>> m = BLEU(max_n=1); m.update([["a", "b"]], [["a", "c"]]); m.compute()
    0.5
    """

    name = "bleu"

    def __init__(self, max_n: int = 4, weights=None, smooth: bool = False):
        self.max_n, self.weights, self.smooth = max_n, _weights(max_n, weights), smooth
        super().__init__()

    def reset(self):
        self.stats = _BleuStats(self.max_n)

    def update(self, preds, targets):
        self.stats.add(preds, targets)

    def compute(self):
        return self.stats.score(self.weights, self.smooth)


class ROUGE(Metric):
    """Running mean of one ROUGE score over sentences; logged as e.g. ``rougeL``.

    >>> m = ROUGE("rouge1", score="recall"); m.update([["a"]], [["a", "b"]]); m.compute()
    0.5
    """

    def __init__(self, rouge_type: str = "rougeL", score: str = "fmeasure"):
        _check_types([rouge_type])
        if score not in ("precision", "recall", "fmeasure"):
            raise ValueError(f"ROUGE: score must be precision, recall or fmeasure, not {score!r}")
        self.rouge_type, self.score = rouge_type, score
        self.name = rouge_type if score == "fmeasure" else f"{rouge_type}_{score}"
        super().__init__()

    def reset(self):
        self.sum, self.count = np.zeros(3), 0

    def update(self, preds, targets):
        self.sum += _rouge_sums(preds, targets, (self.rouge_type,))[self.rouge_type]
        self.count += len(preds)

    def compute(self):
        i = ("precision", "recall", "fmeasure").index(self.score)
        return float(self.sum[i] / self.count) if self.count else 0.0


class Perplexity(Metric):
    """Running perplexity: summed token log-likelihoods over batches, exponentiated at the end.

    >>> m = Perplexity(); m.update([[0.0, 0.0]], [1]); m.compute()
    2.0
    """

    name = "perplexity"

    def __init__(self, ignore_index: int = -100):
        self.ignore_index = ignore_index
        super().__init__()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, targets):
        total, count = _nll(preds, targets, self.ignore_index)
        self.total += total
        self.count += count

    def compute(self):
        return math.exp(self.total / self.count) if self.count else float("nan")
