"""Pre-tokenizers: how normalized text is cut into words before the subword model runs (the
``pre_tokenizer`` of a Hugging Face ``tokenizer.json``).

``ByteLevel`` is GPT-2's: text is cut by GPT-2's pattern (contractions, letter runs, digit runs,
other-symbol runs, each with at most one leading space, and whitespace runs), and every UTF-8
byte is then shown as one printable character, so any string has a tokenization and no token is
unknown. ``BertPreTokenizer`` splits on whitespace and isolates punctuation.

>>> ByteLevel().split("Hello  world's 42!")
['Hello', 'Ġ', 'Ġworld', "'s", 'Ġ42', '!']
>>> BertPreTokenizer().split("Hi, there!")
['Hi', ',', 'there', '!']
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "ByteLevel",
    "BertPreTokenizer",
    "Whitespace",
    "WhitespaceSplit",
    "Sequence",
    "from_json",
]

# Unicode's White_Space property (what \s means in the Rust regex engines); Python's isspace
# also counts the separators U+001C..U+001F, which these do not.
WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def bytes_to_unicode() -> dict:
    """GPT-2's table from the 256 byte values to printable characters: the printable Latin-1
    bytes stand for themselves, the others are moved to code points from 256 on."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def _kind(ch: str) -> str:
    if ch in WHITE_SPACE:
        return "s"
    cat = unicodedata.category(ch)[0]
    return cat if cat in "LN" else "o"


def gpt2_split(text: str) -> list[str]:
    """GPT-2's pattern as a scanner, the alternatives tried in this order at each position:
    ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``."""
    out, i, n = [], 0, len(text)
    kinds = [_kind(c) for c in text]
    while i < n:
        c = next((c for c in _CONTRACTIONS if text.startswith(c, i)), None)
        if c is not None:
            out.append(c)
            i += len(c)
            continue
        start = i
        if text[i] == " " and i + 1 < n and kinds[i + 1] != "s":
            i += 1  # the one optional leading space of a word
        if kinds[i] != "s":
            kind = kinds[i]
            while i < n and kinds[i] == kind:
                i += 1
            out.append(text[start:i])
            continue
        j = i
        while j < n and kinds[j] == "s":
            j += 1
        # \s+(?!\S): a run before a word leaves its last character to lead that word
        end = j if j == n or j - i == 1 else j - 1
        out.append(text[i:end])
        i = end
    return out


class ByteLevel:
    """GPT-2's byte-level pre-tokenizer (``add_prefix_space``: a space before the first word,
    so it is encoded as a word-start like the others)."""

    def __init__(self, add_prefix_space=False, use_regex=True, trim_offsets=True):
        self.add_prefix_space, self.use_regex, self.trim_offsets = (
            add_prefix_space,
            use_regex,
            trim_offsets,
        )

    def split(self, text: str) -> list[str]:
        if self.add_prefix_space and text and not text.startswith(" "):
            text = " " + text
        words = gpt2_split(text) if self.use_regex else [text]
        return ["".join(BYTE_TO_CHAR[b] for b in w.encode("utf-8")) for w in words if w]

    @staticmethod
    def alphabet() -> list[str]:
        return sorted(BYTE_TO_CHAR.values())

    def to_json(self):
        return {
            "type": "ByteLevel",
            "add_prefix_space": self.add_prefix_space,
            "trim_offsets": self.trim_offsets,
            "use_regex": self.use_regex,
        }


def _is_punctuation(ch: str) -> bool:
    return (ch.isascii() and not ch.isalnum() and ch.isprintable() and ch != " ") or (
        unicodedata.category(ch).startswith("P")
    )


class BertPreTokenizer:
    """Split on whitespace (dropped) and around every punctuation character (kept alone)."""

    def split(self, text: str) -> list[str]:
        out, word = [], []
        for ch in text:
            if ch in WHITE_SPACE:
                if word:
                    out.append("".join(word))
                word = []
            elif _is_punctuation(ch):
                if word:
                    out.append("".join(word))
                out.append(ch)
                word = []
            else:
                word.append(ch)
        if word:
            out.append("".join(word))
        return out

    def to_json(self):
        return {"type": "BertPreTokenizer"}


class WhitespaceSplit:
    def split(self, text):
        out, word = [], []
        for ch in text:
            if ch in WHITE_SPACE:
                if word:
                    out.append("".join(word))
                word = []
            else:
                word.append(ch)
        if word:
            out.append("".join(word))
        return out

    def to_json(self):
        return {"type": "WhitespaceSplit"}


class Whitespace:
    """Runs of word characters, and runs of other non-space characters (``\\w+|[^\\w\\s]+``)."""

    def split(self, text):
        out, i, n = [], 0, len(text)
        while i < n:
            if text[i] in WHITE_SPACE:
                i += 1
                continue
            word = text[i].isalnum() or text[i] == "_"
            j = i
            while (
                j < n
                and text[j] not in WHITE_SPACE
                and (text[j].isalnum() or text[j] == "_") == word
            ):
                j += 1
            out.append(text[i:j])
            i = j
        return out

    def to_json(self):
        return {"type": "Whitespace"}


class Sequence:
    def __init__(self, pretokenizers):
        self.pretokenizers = list(pretokenizers)

    def split(self, text):
        words = [text]
        for p in self.pretokenizers:
            words = [piece for w in words for piece in p.split(w)]
        return words

    def to_json(self):
        return {"type": "Sequence", "pretokenizers": [p.to_json() for p in self.pretokenizers]}


def from_json(spec):
    """The pre-tokenizer a ``tokenizer.json`` describes (None for none)."""
    if spec is None:
        return None
    kind = spec["type"]
    if kind == "ByteLevel":
        return ByteLevel(
            spec.get("add_prefix_space", False),
            spec.get("use_regex", True),
            spec.get("trim_offsets", True),
        )
    if kind == "BertPreTokenizer":
        return BertPreTokenizer()
    if kind == "Whitespace":
        return Whitespace()
    if kind == "WhitespaceSplit":
        return WhitespaceSplit()
    if kind == "Sequence":
        return Sequence(from_json(s) for s in spec["pretokenizers"])
    raise NotImplementedError(
        f"tokenizer.json: pre-tokenizer {kind!r} is not supported; supported: ByteLevel, "
        "BertPreTokenizer, Whitespace, WhitespaceSplit, Sequence"
    )
