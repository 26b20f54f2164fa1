"""Normalizers: how the text is cleaned before it is split (the ``normalizer`` of a Hugging Face
``tokenizer.json``). Each is a small object with ``normalize(text)`` and ``to_json()``.

>>> BertNormalizer(lowercase=True).normalize("Héllo\\tWORLD")
'hello world'
"""

from __future__ import annotations

import unicodedata

__all__ = ["BertNormalizer", "Lowercase", "StripAccents", "UnicodeForm", "Sequence", "from_json"]


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_bert_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_chinese(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def strip_accents(text: str) -> str:
    """Decompose (NFD) and drop the combining marks: 'é' -> 'e'."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class BertNormalizer:
    """BERT's cleaning: drop control characters, turn whitespace into spaces, put spaces around
    CJK ideographs, strip accents (by default when lowercasing) and lowercase."""

    def __init__(
        self, clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    ):
        self.clean_text, self.handle_chinese_chars = clean_text, handle_chinese_chars
        self.strip_accents, self.lowercase = strip_accents, lowercase

    def normalize(self, text: str) -> str:
        if self.clean_text:
            text = "".join(
                " " if _is_bert_whitespace(c) else c
                for c in text
                if not (c in "\0\ufffd" or _is_control(c))
            )
        if self.handle_chinese_chars:
            text = "".join(f" {c} " if _is_chinese(ord(c)) else c for c in text)
        if self.strip_accents if self.strip_accents is not None else self.lowercase:
            text = strip_accents(text)
        return text.lower() if self.lowercase else text

    def to_json(self):
        return {
            "type": "BertNormalizer",
            "clean_text": self.clean_text,
            "handle_chinese_chars": self.handle_chinese_chars,
            "strip_accents": self.strip_accents,
            "lowercase": self.lowercase,
        }


class Lowercase:
    def normalize(self, text):
        return text.lower()

    def to_json(self):
        return {"type": "Lowercase"}


class StripAccents:
    def normalize(self, text):
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    def to_json(self):
        return {"type": "StripAccents"}


class UnicodeForm:
    """One of the Unicode normal forms NFC, NFD, NFKC, NFKD."""

    def __init__(self, form):
        self.form = form

    def normalize(self, text):
        return unicodedata.normalize(self.form, text)

    def to_json(self):
        return {"type": self.form}


class Sequence:
    def __init__(self, normalizers):
        self.normalizers = list(normalizers)

    def normalize(self, text):
        for n in self.normalizers:
            text = n.normalize(text)
        return text

    def to_json(self):
        return {"type": "Sequence", "normalizers": [n.to_json() for n in self.normalizers]}


def from_json(spec):
    """The normalizer a ``tokenizer.json`` describes (None for none)."""
    if spec is None:
        return None
    kind = spec["type"]
    if kind == "BertNormalizer":
        return BertNormalizer(
            spec.get("clean_text", True),
            spec.get("handle_chinese_chars", True),
            spec.get("strip_accents"),
            spec.get("lowercase", True),
        )
    if kind == "Lowercase":
        return Lowercase()
    if kind == "StripAccents":
        return StripAccents()
    if kind in ("NFC", "NFD", "NFKC", "NFKD"):
        return UnicodeForm(kind)
    if kind == "Sequence":
        return Sequence(from_json(s) for s in spec["normalizers"])
    raise NotImplementedError(
        f"tokenizer.json: normalizer {kind!r} is not supported; supported: BertNormalizer, "
        "Lowercase, StripAccents, NFC, NFD, NFKC, NFKD, Sequence"
    )
