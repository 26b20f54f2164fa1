"""Text to integer ids and back: character and word tokenizers with a vocabulary built from the
training text, and ``pad_sequences`` to make equal-length batches.

Ids 0-3 are the special tokens ``<pad>`` (0, so padding is id 0), ``<unk>`` (any token not in
the vocabulary), ``<bos>`` and ``<eos>`` (begin/end of sequence). Real tokens follow, most
frequent first (ties in alphabetical order), so the vocabulary is the same on every run.

>>> from glassnet.data import WordTokenizer
>>> tok = WordTokenizer().fit(["the cat sat", "the dog sat"])
>>> tok.encode("the cat ran")
[5, 6, 1]
>>> tok.decode(tok.encode("the dog sat", add_special_tokens=True))
'the dog sat'
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np

from glassnet.serialization import atomic_write
from glassnet.tensor import Tensor

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
_FORMAT_VERSION = 1


def pad_sequences(
    sequences, maxlen=None, padding="post", truncating="post", value=0, return_tensor=None
):
    """Stack id sequences of different lengths into one int64 ``(n, maxlen)`` array.

    ``maxlen`` defaults to the longest sequence; longer ones are cut at the end
    (``truncating='post'``) or the start ('pre'), shorter ones are filled with ``value`` after
    (``padding='post'``) or before ('pre') the ids. The result is a NumPy array, or a Tensor
    when ``return_tensor=True`` (the default when the sequences are Tensors).

    >>> pad_sequences([[1, 2, 3], [4]])
    array([[1, 2, 3],
           [4, 0, 0]])
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="pre", truncating="pre").tolist()
    [[2, 3], [0, 4]]
    """
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {choice!r}")
    sequences = list(sequences)
    if return_tensor is None:
        return_tensor = any(isinstance(s, Tensor) for s in sequences)
    rows = [
        np.asarray(s.tolist() if isinstance(s, Tensor) else s, dtype=np.int64).reshape(-1)
        for s in sequences
    ]
    if maxlen is None:
        maxlen = max((len(r) for r in rows), default=0)
    if maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be non-negative, got {maxlen}")
    out = np.full((len(rows), maxlen), value, dtype=np.int64)
    for i, row in enumerate(rows):
        if len(row) > maxlen:
            row = row[:maxlen] if truncating == "post" else row[len(row) - maxlen :]
        if len(row):
            if padding == "post":
                out[i, : len(row)] = row
            else:
                out[i, maxlen - len(row) :] = row
    return Tensor._make(out) if return_tensor else out


class Tokenizer:
    """Base class: subclasses say how text splits into tokens (``tokenize``) and how tokens
    join back (``detokenize``); the vocabulary, ids and saving are shared here.

    Build the vocabulary with ``fit(train_texts)``: tokens seen fewer than ``min_freq`` times
    are left out, and ``max_size`` caps the vocabulary size (special tokens included), keeping
    the most frequent tokens. ``lower=True`` lower-cases text before splitting it.
    """

    def __init__(self, min_freq=1, max_size=None, lower=False):
        if min_freq < 1:
            raise ValueError(f"{type(self).__name__}: min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < len(SPECIAL_TOKENS):
            raise ValueError(
                f"{type(self).__name__}: max_size={max_size} leaves no room for "
                f"the {len(SPECIAL_TOKENS)} special tokens {SPECIAL_TOKENS}"
            )
        self.min_freq, self.max_size, self.lower = min_freq, max_size, lower
        self.itos: list[str] = []
        self.stoi: dict[str, int] = {}

    # ---- how text splits (subclasses) -------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def _config(self) -> dict:
        return {}

    # ---- vocabulary ---------------------------------------------------------------------------
    def fit(self, texts):
        """Build the vocabulary from ``texts`` (an iterable of strings, the training split)."""
        if isinstance(texts, str):
            raise TypeError(
                f"{type(self).__name__}.fit: expected an iterable of texts, got one "
                "string; wrap it in a list"
            )
        counts = Counter()
        for text in texts:
            counts.update(self.tokenize(text))
        for token in SPECIAL_TOKENS:
            counts.pop(token, None)
        kept = sorted(
            (t for t, c in counts.items() if c >= self.min_freq), key=lambda t: (-counts[t], t)
        )
        if self.max_size is not None:
            kept = kept[: self.max_size - len(SPECIAL_TOKENS)]
        self._set_vocab([*SPECIAL_TOKENS, *kept])
        return self

    def _set_vocab(self, itos):
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def _check_fitted(self, method):
        if not self.itos:
            raise RuntimeError(
                f"{type(self).__name__}.{method}: the vocabulary is empty; call "
                "fit(train_texts) (or load a saved tokenizer) first"
            )

    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included (the size of an Embedding for them)."""
        return len(self.itos)

    def __len__(self):
        return len(self.itos)

    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def token_to_id(self, token: str) -> int:
        return self.stoi.get(token, self.unk_id)

    def id_to_token(self, index: int) -> str:
        return self.itos[index]

    # ---- encoding -------------------------------------------------------------------------
    def encode(self, text: str, add_special_tokens=False) -> list[int]:
        """Text -> list of ids; unknown tokens become ``<unk>``. ``add_special_tokens`` wraps the
        ids in ``<bos>`` ... ``<eos>``."""
        self._check_fitted("encode")
        get, unk = self.stoi.get, self.unk_id
        ids = [get(t, unk) for t in self.tokenize(text)]
        return [self.bos_id, *ids, self.eos_id] if add_special_tokens else ids

    def decode(self, ids, skip_special_tokens=True) -> str:
        """Ids (a list, array or Tensor) -> text; special tokens are dropped unless
        ``skip_special_tokens=False``."""
        self._check_fitted("decode")
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        ids = np.asarray(ids).reshape(-1).tolist()
        n = len(self.itos)
        bad = [i for i in ids if not 0 <= i < n]
        if bad:
            raise ValueError(
                f"{type(self).__name__}.decode: ids {bad[:10]} are outside the "
                f"vocabulary 0..{n - 1}"
            )
        skip = len(SPECIAL_TOKENS) if skip_special_tokens else 0
        return self.detokenize([self.itos[i] for i in ids if i >= skip])

    def encode_batch(
        self,
        texts,
        add_special_tokens=False,
        maxlen=None,
        padding="post",
        truncating="post",
        return_tensor=False,
    ):
        """Encode several texts and pad them into one int64 ``(n, maxlen)`` array (a Tensor with
        ``return_tensor=True``), padded with ``<pad>`` = 0; see ``pad_sequences``."""
        return pad_sequences(
            [self.encode(t, add_special_tokens) for t in texts],
            maxlen,
            padding,
            truncating,
            self.pad_id,
            return_tensor,
        )

    def decode_batch(self, batch, skip_special_tokens=True) -> list[str]:
        """Decode each row of a 2-d id array or Tensor (padding is skipped with the specials)."""
        rows = batch.tolist() if isinstance(batch, (Tensor, np.ndarray)) else batch
        return [self.decode(r, skip_special_tokens) for r in rows]

    # ---- saving -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to rebuild the tokenizer, as plain JSON types."""
        return {
            "type": type(self).__name__,
            "version": _FORMAT_VERSION,
            "min_freq": self.min_freq,
            "max_size": self.max_size,
            "lower": self.lower,
            **self._config(),
            "itos": list(self.itos),
        }

    def load_state_dict(self, state: dict):
        if state.get("type") != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state is for a "
                f"{state.get('type')!r}; load it with that class or "
                "Tokenizer.load(path)"
            )
        self.min_freq, self.max_size, self.lower = (
            state["min_freq"],
            state["max_size"],
            (state["lower"]),
        )
        for key in self._config():
            setattr(self, key, state[key])
        self._set_vocab(state["itos"])
        return self

    def save(self, path) -> None:
        """Write the tokenizer to ``path`` as JSON (atomically: never a half-written file)."""
        blob = json.dumps(self.state_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write(path, [blob])

    @classmethod
    def load(cls, path):
        """Read a tokenizer saved with ``save``. ``Tokenizer.load`` picks the right class."""
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        kinds = {k.__name__: k for k in (CharTokenizer, WordTokenizer)}
        kind = kinds.get(state.get("type")) if cls is Tokenizer else cls
        if kind is None:
            raise ValueError(
                f"Tokenizer.load: {path} holds an unknown tokenizer type "
                f"{state.get('type')!r}; expected one of {sorted(kinds)}"
            )
        return kind().load_state_dict(state)

    def __repr__(self):
        return (
            f"{type(self).__name__}(vocab_size={len(self.itos)}, min_freq={self.min_freq}, "
            f"max_size={self.max_size}, lower={self.lower})"
        )


class CharTokenizer(Tokenizer):
    """One token per character: a small vocabulary, no unknown words (only unseen characters).

    >>> tok = CharTokenizer().fit(["hello"])
    >>> tok.itos[4:]
    ['l', 'e', 'h', 'o']
    >>> tok.encode("hole"), tok.decode(tok.encode("hole"))
    ([6, 7, 4, 5], 'hole')
    """

    def tokenize(self, text: str) -> list[str]:
        return list(text.lower() if self.lower else text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)


class WordTokenizer(Tokenizer):
    """Words and punctuation marks as tokens, found with the regular expression ``pattern``
    (by default runs of letters/digits/underscore, or any single other non-space character).
    Lower-cases by default. ``decode`` joins tokens with single spaces.

    >>> WordTokenizer().tokenize("Hello, world!")
    ['hello', ',', 'world', '!']
    """

    DEFAULT_PATTERN = r"\w+|[^\w\s]"

    def __init__(self, min_freq=1, max_size=None, lower=True, pattern=DEFAULT_PATTERN):
        super().__init__(min_freq, max_size, lower)
        self.pattern = pattern  # compiles the regex too (see __setattr__)

    def __setattr__(self, name, value):
        if name == "pattern":
            object.__setattr__(self, "_regex", re.compile(value))
        object.__setattr__(self, name, value)

    def tokenize(self, text: str) -> list[str]:
        return self._regex.findall(text.lower() if self.lower else text)

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def _config(self) -> dict:
        return {"pattern": self.pattern}
