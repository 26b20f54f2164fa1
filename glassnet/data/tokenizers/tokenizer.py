"""One tokenizer pipeline, as Hugging Face's ``tokenizers`` builds it: added (special) tokens
are cut out first, the rest is normalized, pre-tokenized into words, split into subwords by the
model, and wrapped in special tokens by the post-processor. ``save`` writes a ``tokenizer.json``
in Hugging Face's format and ``Tokenizer.from_file`` reads one, so published vocabularies work
here and the ones trained here load in ``tokenizers``.

>>> from glassnet.data.tokenizers import WordPieceTokenizer
>>> tok = WordPieceTokenizer.train(["the cat sat", "the dog sat"], vocab_size=40)
>>> enc = tok.encode("The cat sat")
>>> enc.tokens
['[CLS]', 'the', 'cat', 'sat', '[SEP]']
>>> batch = tok(["the cat", "the dog sat"], padding=True)
>>> batch["input_ids"][0][-1] == tok.token_to_id("[PAD]"), batch["attention_mask"][0]
(True, [1, 1, 1, 1, 0])
>>> tok.decode(enc.ids)
'the cat sat'
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from glassnet.data.tokenizers import models, normalizers, pre_tokenizers, processors
from glassnet.serialization import atomic_write

__all__ = ["Encoding", "Tokenizer", "ByteLevelBPETokenizer", "WordPieceTokenizer"]


@dataclass
class Encoding:
    """One encoded text: ``ids``, ``tokens``, ``type_ids`` (sentence A 0 / B 1),
    ``attention_mask`` (1 for real tokens, 0 for padding) and ``special_tokens_mask``."""

    ids: list
    tokens: list
    type_ids: list = field(default_factory=list)
    attention_mask: list = field(default_factory=list)
    special_tokens_mask: list = field(default_factory=list)

    def __len__(self):
        return len(self.ids)


class Tokenizer:
    """A normalizer, a pre-tokenizer, a subword model (BPE or WordPiece), a post-processor and
    a decoder, plus added tokens (``[CLS]``, ``<|endoftext|>`` ...) matched in the raw text."""

    def __init__(
        self,
        model,
        normalizer=None,
        pre_tokenizer=None,
        post_processor=None,
        decoder=None,
        added_tokens=(),
        pad_token=None,
    ):
        self.model, self.normalizer, self.pre_tokenizer = model, normalizer, pre_tokenizer
        self.post_processor, self.decoder = post_processor, decoder
        self.added_tokens = [dict(t) for t in added_tokens]
        self._pad_token = pad_token
        self._refresh()

    def _refresh(self):
        self.vocab = dict(self.model.vocab)
        for t in self.added_tokens:
            self.vocab[t["content"]] = t["id"]
        self.inverse = {i: t for t, i in self.vocab.items()}
        # Longest first, so "<|endoftext|>" wins over a shorter added token inside it.
        self._added = sorted((t["content"] for t in self.added_tokens), key=len, reverse=True)
        self._special = {t["content"] for t in self.added_tokens if t.get("special", True)}

    # ---- vocabulary -----------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def get_vocab_size(self) -> int:
        return self.vocab_size

    def __len__(self):
        return self.vocab_size

    def token_to_id(self, token: str):
        return self.vocab.get(token)

    def id_to_token(self, index: int):
        return self.inverse.get(index)

    @property
    def pad_token(self):
        if self._pad_token is not None:
            return self._pad_token
        for guess in ("[PAD]", "<pad>", "<|pad|>"):
            if guess in self.vocab:
                return guess
        return None

    @pad_token.setter
    def pad_token(self, token):
        self._pad_token = token

    @property
    def pad_token_id(self):
        return None if self.pad_token is None else self.vocab[self.pad_token]

    # ---- encoding -------------------------------------------------------------------------------
    def _split_added(self, text: str):
        """The text cut into (piece, is_added_token) around the added tokens."""
        if not self._added:
            return [(text, False)]
        out, i, start = [], 0, 0
        while i < len(text):
            hit = next((a for a in self._added if text.startswith(a, i)), None)
            if hit is None:
                i += 1
                continue
            if start < i:
                out.append((text[start:i], False))
            out.append((hit, True))
            i = start = i + len(hit)
        if start < len(text):
            out.append((text[start:], False))
        return out

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` without the post-processor's special tokens."""
        tokens = []
        for piece, added in self._split_added(text):
            if added:
                tokens.append(piece)
                continue
            if self.normalizer is not None:
                piece = self.normalizer.normalize(piece)
            words = self.pre_tokenizer.split(piece) if self.pre_tokenizer else [piece]
            for w in words:
                if w:
                    tokens.extend(self.model.tokenize(w))
        return tokens

    def _ids(self, tokens):
        unk = getattr(self.model, "unk_token", None)
        return [self.vocab[t] if t in self.vocab else self.vocab[unk] for t in tokens]

    def encode(self, text: str, pair: str | None = None, add_special_tokens: bool = True,
               max_length: int | None = None) -> Encoding:  # fmt: skip
        """Encode one text (or a pair); ``max_length`` truncates (the longer text first for
        a pair), leaving room for the special tokens."""
        a = self.tokenize(text)
        b = None if pair is None else self.tokenize(pair)
        room = None
        if max_length is not None:
            extra = self._num_added(b is not None) if add_special_tokens else 0
            room = max(max_length - extra, 0)
            while len(a) + (len(b) if b else 0) > room:
                if b and len(b) > len(a):
                    b.pop()
                else:
                    a.pop()
        ids_a, ids_b = self._ids(a), None if b is None else self._ids(b)
        if add_special_tokens and self.post_processor is not None:
            tokens, ids, types, special = self.post_processor.process(a, ids_a, b, ids_b)
        else:
            tokens = a + (b or [])
            ids = ids_a + (ids_b or [])
            types = [0] * len(a) + [1] * len(b or [])
            special = [0] * len(ids)
        return Encoding(ids, tokens, types, [1] * len(ids), special)

    def _num_added(self, pair: bool) -> int:
        return self.post_processor.added(pair) if self.post_processor is not None else 0

    def encode_batch(self, texts, add_special_tokens=True, max_length=None) -> list[Encoding]:
        return [
            self.encode(t, add_special_tokens=add_special_tokens, max_length=max_length)
            for t in texts
        ]

    def __call__(
        self,
        texts,
        padding=False,
        truncation=False,
        max_length: int | None = None,
        add_special_tokens: bool = True,
        padding_side: str = "right",
        return_tensors: str | None = None,
    ) -> dict:
        """Encode a text or a list of texts as transformers' tokenizers do: a dict of
        ``input_ids``, ``token_type_ids`` and ``attention_mask``. ``padding=True`` (or
        'longest') pads to the longest, 'max_length' to ``max_length``; ``truncation`` cuts
        to ``max_length``; ``return_tensors='np'`` or ``'glassnet'`` stacks them."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        limit = max_length if truncation else None
        if truncation and max_length is None:
            raise ValueError("tokenizer: truncation=True needs max_length")
        encs = [
            self.encode(t, add_special_tokens=add_special_tokens, max_length=limit) for t in batch
        ]
        if padding:
            target = max_length if padding == "max_length" else max(len(e) for e in encs)
            if target is None:
                raise ValueError("tokenizer: padding='max_length' needs max_length")
            if self.pad_token_id is None:
                raise ValueError(
                    "tokenizer: padding needs a pad token; this vocabulary has none of "
                    "[PAD], <pad>. Set tokenizer.pad_token = '<|endoftext|>' (or another token)"
                )
            encs = [self._pad(e, target, padding_side) for e in encs]
        out = {
            "input_ids": [e.ids for e in encs],
            "token_type_ids": [e.type_ids for e in encs],
            "attention_mask": [e.attention_mask for e in encs],
        }
        if return_tensors is not None:
            out = {k: _stack(v, return_tensors) for k, v in out.items()}
        elif single:
            out = {k: v[0] for k, v in out.items()}
        return out

    def _pad(self, enc: Encoding, target: int, side: str) -> Encoding:
        n = target - len(enc)
        if n <= 0:
            return enc
        pad_id, pad = self.pad_token_id, self.pad_token
        parts = [
            (enc.ids, pad_id), (enc.tokens, pad), (enc.type_ids, 0), (enc.attention_mask, 0),
            (enc.special_tokens_mask, 1),
        ]  # fmt: skip
        padded = [seq + [v] * n if side == "right" else [v] * n + seq for seq, v in parts]
        return Encoding(*padded)

    # ---- decoding -------------------------------------------------------------------------------
    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        tokens = [self.inverse[int(i)] for i in ids if int(i) in self.inverse]
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self._special]
        if self.decoder is None:
            return " ".join(tokens)
        return self.decoder.decode(tokens)

    def decode_batch(self, batch, skip_special_tokens=True) -> list[str]:
        return [self.decode(ids, skip_special_tokens) for ids in batch]

    # ---- files ----------------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The tokenizer as Hugging Face's ``tokenizer.json`` holds it."""
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": True,
                    **t,
                }  # fmt: skip
                for t in self.added_tokens
            ],
            "normalizer": None if self.normalizer is None else self.normalizer.to_json(),
            "pre_tokenizer": None if self.pre_tokenizer is None else self.pre_tokenizer.to_json(),
            "post_processor": None
            if self.post_processor is None
            else self.post_processor.to_json(),
            "decoder": None if self.decoder is None else self.decoder.to_json(),
            "model": self.model.to_json(),
        }

    def save(self, path) -> None:
        """Write ``tokenizer.json`` (atomically)."""
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2)
        atomic_write(path, [text.encode("utf-8")])

    @classmethod
    def from_str(cls, text: str) -> Tokenizer:
        spec = json.loads(text)
        return cls(
            models.from_json(spec["model"]),
            normalizers.from_json(spec.get("normalizer")),
            pre_tokenizers.from_json(spec.get("pre_tokenizer")),
            processors.processor_from_json(spec.get("post_processor")),
            processors.decoder_from_json(spec.get("decoder")),
            [
                {k: t[k] for k in ("id", "content", "special") if k in t}
                for t in spec.get("added_tokens", [])
            ],
        )

    @classmethod
    def from_file(cls, path) -> Tokenizer:
        """Read a ``tokenizer.json`` (written by Hugging Face's ``tokenizers`` or by ``save``)."""
        with open(path, encoding="utf-8") as f:
            return cls.from_str(f.read())

    load = from_file


def _stack(rows, kind):
    import numpy as np

    array = np.asarray(rows, dtype=np.int64)
    if kind == "np":
        return array
    if kind in ("glassnet", "gn", "pt"):
        import glassnet

        return glassnet.tensor(array)
    raise ValueError(f"tokenizer: return_tensors must be None, 'np' or 'glassnet', not {kind!r}")


def _word_counts(texts, normalizer, pre_tokenizer) -> Counter:
    counts = Counter()
    for text in [texts] if isinstance(texts, str) else texts:
        if normalizer is not None:
            text = normalizer.normalize(text)
        counts.update(w for w in pre_tokenizer.split(text) if w)
    return counts


def _added(special_tokens, vocab):
    return [{"id": vocab[t], "content": t, "special": True} for t in special_tokens]


class ByteLevelBPETokenizer(Tokenizer):
    """GPT-2's kind: byte-level pre-tokenization, BPE merges, the byte-level decoder.

    >>> tok = ByteLevelBPETokenizer.train("hello hello world ünïcode", vocab_size=270)
    >>> tok.decode(tok.encode("hello ünïcode!").ids)
    'hello ünïcode!'
    """

    @classmethod
    def train(
        cls, texts, vocab_size=1000, special_tokens=("<|endoftext|>",), add_prefix_space=False
    ):
        """Learn merges from ``texts`` (a string or a list of strings) up to ``vocab_size``
        entries (special tokens + the 256 byte symbols + merges)."""
        pre = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
        counts = _word_counts(texts, None, pre)
        model = models.BPE.train(counts, vocab_size, pre.alphabet(), special_tokens)
        return cls(
            model,
            None,
            pre,
            None,
            processors.ByteLevelDecoder(),
            _added(special_tokens, model.vocab),
        )


class WordPieceTokenizer(Tokenizer):
    """BERT's kind: BERT's normalizer and pre-tokenizer, WordPiece, ``[CLS] ... [SEP]``."""

    @classmethod
    def train(
        cls,
        texts,
        vocab_size=1000,
        special_tokens=("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
        lowercase=True,
    ):
        norm = normalizers.BertNormalizer(lowercase=lowercase)
        pre = pre_tokenizers.BertPreTokenizer()
        counts = _word_counts(texts, norm, pre)
        model = models.WordPiece.train(counts, vocab_size, special_tokens, unk_token="[UNK]")
        v = model.vocab
        post = processors.BertProcessing(("[SEP]", v["[SEP]"]), ("[CLS]", v["[CLS]"]))
        return cls(model, norm, pre, post, processors.WordPieceDecoder(), _added(special_tokens, v))
