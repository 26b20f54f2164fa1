"""The subword models: byte-pair encoding (BPE, GPT-2) and WordPiece (BERT), each able to learn
its vocabulary from word counts, to tokenize one word, and to be read from / written to the
``model`` section of a Hugging Face ``tokenizer.json``.

>>> bpe = BPE.train({"low": 5, "lower": 2, "lowest": 3}, vocab_size=12, alphabet="lowerst")
>>> bpe.tokenize("lowest")
['lowest']
>>> wp = WordPiece({"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3})
>>> wp.tokenize("unaffable"), wp.tokenize("xyz")
(['un', '##aff', '##able'], ['[UNK]'])
"""

from __future__ import annotations

from collections import Counter

__all__ = ["BPE", "WordPiece", "from_json"]


def _learn_merges(words: dict, vocab: dict, vocab_size: int, prefix: str = ""):
    """Greedy pair merging (Sennrich et al. 2016): repeatedly join the most frequent adjacent
    pair of symbols in the counted words, until the vocabulary has ``vocab_size`` entries.
    Ties go to the pair first in sorted order, so training is deterministic."""
    split = {w: [w[0]] + [prefix + c for c in w[1:]] for w in words}
    for symbols in split.values():
        for s in symbols:
            vocab.setdefault(s, len(vocab))
    merges = []
    while len(vocab) < vocab_size:
        pairs = Counter()
        for w, count in words.items():
            symbols = split[w]
            for a, b in zip(symbols, symbols[1:]):
                pairs[a, b] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        a, b = best
        joined = a + (b[len(prefix) :] if prefix and b.startswith(prefix) else b)
        merges.append(best)
        vocab.setdefault(joined, len(vocab))
        for w, symbols in split.items():
            i, out = 0, []
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(joined)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            split[w] = out
    return merges


class BPE:
    """Byte-pair encoding: a word starts as its characters, then the learned merges are applied
    lowest rank first until none applies."""

    def __init__(self, vocab: dict, merges, unk_token=None, ignore_merges=False, **options):
        self.vocab = dict(vocab)
        self.merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]
        self.ranks = {pair: i for i, pair in enumerate(self.merges)}
        self.unk_token, self.ignore_merges = unk_token, ignore_merges
        self.options = options  # other fields of tokenizer.json, written back unchanged
        self._cache: dict = {}

    @classmethod
    def train(
        cls, word_counts: dict, vocab_size: int, alphabet="", special_tokens=(), unk_token=None
    ):
        vocab = {t: i for i, t in enumerate(special_tokens)}
        for c in sorted(set(alphabet)):
            vocab.setdefault(c, len(vocab))
        merges = _learn_merges(dict(word_counts), vocab, vocab_size)
        return cls(vocab, merges, unk_token=unk_token)

    def tokenize(self, word: str) -> list[str]:
        if word in self._cache:
            return self._cache[word]
        if self.ignore_merges and word in self.vocab:
            return [word]
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self.ranks.get(p, None), i) for i, p in enumerate(zip(symbols, symbols[1:]))]
            ranked = [(r, i) for r, i in ranked if r is not None]
            if not ranked:
                break
            rank = min(ranked)[0]
            a, b = self.merges[rank]
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        if self.unk_token is not None:
            symbols = [s if s in self.vocab else self.unk_token for s in symbols]
        if len(self._cache) < 100_000:
            self._cache[word] = symbols
        return symbols

    def to_json(self):
        return {
            "type": "BPE",
            "dropout": None,
            "unk_token": self.unk_token,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": self.ignore_merges,
            **self.options,
            "vocab": self.vocab,
            "merges": [list(m) for m in self.merges],
        }


class WordPiece:
    """WordPiece: the longest vocabulary entry from the start of the word, then the longest
    continuation (written with the ``##`` prefix), and so on; a word with a piece that matches
    nothing is ``unk_token`` as a whole."""

    def __init__(
        self,
        vocab: dict,
        unk_token="[UNK]",
        continuing_subword_prefix="##",
        max_input_chars_per_word=100,
    ):
        self.vocab = dict(vocab)
        self.unk_token, self.prefix = unk_token, continuing_subword_prefix
        self.max_chars = max_input_chars_per_word

    @classmethod
    def train(
        cls, word_counts: dict, vocab_size: int, special_tokens=("[UNK]",), unk_token="[UNK]"
    ):
        """Learn pieces by pair merging with the continuation prefix (as the ``tokenizers``
        library trains WordPiece)."""
        vocab = {t: i for i, t in enumerate(special_tokens)}
        chars = sorted({c for w in word_counts for c in w})
        for c in chars:
            vocab.setdefault(c, len(vocab))
        _learn_merges(dict(word_counts), vocab, vocab_size, prefix="##")
        return cls(vocab, unk_token=unk_token)

    def tokenize(self, word: str) -> list[str]:
        if len(word) > self.max_chars:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def to_json(self):
        return {
            "type": "WordPiece",
            "unk_token": self.unk_token,
            "continuing_subword_prefix": self.prefix,
            "max_input_chars_per_word": self.max_chars,
            "vocab": self.vocab,
        }


def from_json(spec):
    """The model a ``tokenizer.json`` describes."""
    kind = spec.get("type")
    if kind == "BPE" or (kind is None and "merges" in spec):
        options = {
            k: v
            for k, v in spec.items()
            if k not in ("type", "vocab", "merges", "unk_token", "ignore_merges")
        }
        for what in ("continuing_subword_prefix", "end_of_word_suffix"):
            if options.get(what):
                raise NotImplementedError(f"tokenizer.json: BPE with {what} is not supported")
        if options.get("byte_fallback"):
            raise NotImplementedError("tokenizer.json: BPE with byte_fallback is not supported")
        return BPE(
            spec["vocab"],
            spec["merges"],
            spec.get("unk_token"),
            spec.get("ignore_merges", False),
            **options,
        )
    if kind == "WordPiece" or (kind is None and "max_input_chars_per_word" in spec):
        return WordPiece(
            spec["vocab"],
            spec.get("unk_token", "[UNK]"),
            spec.get("continuing_subword_prefix", "##"),
            spec.get("max_input_chars_per_word", 100),
        )
    raise NotImplementedError(
        f"tokenizer.json: model {kind!r} is not supported; supported: BPE and WordPiece"
    )
