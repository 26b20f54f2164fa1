"""Post-processors (special tokens around the ids: ``[CLS] A [SEP] B [SEP]``) and decoders
(tokens back to text), as the ``post_processor`` and ``decoder`` sections of a Hugging Face
``tokenizer.json`` describe them.

>>> p = BertProcessing(("[SEP]", 3), ("[CLS]", 2))
>>> p.process(["hi"], [7], None, None)
(['[CLS]', 'hi', '[SEP]'], [2, 7, 3], [0, 0, 0], [1, 0, 1])
>>> WordPieceDecoder().decode(["un", "##aff", "##able", "!"])
'unaffable!'
"""

from __future__ import annotations

from glassnet.data.tokenizers.pre_tokenizers import CHAR_TO_BYTE

__all__ = ["BertProcessing", "TemplateProcessing", "ByteLevelDecoder", "WordPieceDecoder"]


class TemplateProcessing:
    """Special tokens placed by a template: ``single`` and ``pair`` are lists of
    ``{"SpecialToken": {"id", "type_id"}}`` and ``{"Sequence": {"id": "A"|"B", "type_id"}}``."""

    def __init__(self, single, pair, special_tokens):
        self.single, self.pair, self.special_tokens = single, pair, special_tokens

    def process(self, tokens, ids, pair_tokens, pair_ids):
        template = self.single if pair_ids is None else self.pair
        out_t, out_i, types, special = [], [], [], []
        for piece in template:
            if "Sequence" in piece:
                seq = piece["Sequence"]
                t, i = (tokens, ids) if seq["id"] == "A" else (pair_tokens, pair_ids)
                out_t += t
                out_i += i
                types += [seq["type_id"]] * len(i)
                special += [0] * len(i)
            else:
                sp = piece["SpecialToken"]
                entry = self.special_tokens[sp["id"]]
                out_t += entry["tokens"]
                out_i += entry["ids"]
                types += [sp["type_id"]] * len(entry["ids"])
                special += [1] * len(entry["ids"])
        return out_t, out_i, types, special

    def added(self, pair: bool) -> int:
        template = self.pair if pair else self.single
        return sum(
            len(self.special_tokens[p["SpecialToken"]["id"]]["ids"])
            for p in template
            if "SpecialToken" in p
        )

    def to_json(self):
        return {
            "type": "TemplateProcessing",
            "single": self.single,
            "pair": self.pair,
            "special_tokens": self.special_tokens,
        }


def BertProcessing(sep, cls):  # noqa: N802 - the name tokenizer.json uses
    """``[CLS] A [SEP]`` and ``[CLS] A [SEP] B [SEP]`` (B with token type 1)."""
    (sep_t, sep_i), (cls_t, cls_i) = sep, cls
    single = [
        {"SpecialToken": {"id": cls_t, "type_id": 0}},
        {"Sequence": {"id": "A", "type_id": 0}},
        {"SpecialToken": {"id": sep_t, "type_id": 0}},
    ]
    pair = single + [
        {"Sequence": {"id": "B", "type_id": 1}},
        {"SpecialToken": {"id": sep_t, "type_id": 1}},
    ]
    specials = {
        cls_t: {"id": cls_t, "ids": [cls_i], "tokens": [cls_t]},
        sep_t: {"id": sep_t, "ids": [sep_i], "tokens": [sep_t]},
    }
    return TemplateProcessing(single, pair, specials)


class ByteLevelDecoder:
    """Join the tokens and turn GPT-2's byte characters back into UTF-8 text."""

    def decode(self, tokens):
        data = b"".join(
            bytes([CHAR_TO_BYTE[c]]) if c in CHAR_TO_BYTE else c.encode("utf-8")
            for c in "".join(tokens)
        )
        return data.decode("utf-8", errors="replace")

    def to_json(self):
        return {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        }


_CLEANUP = (
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
    (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)  # fmt: skip


class WordPieceDecoder:
    """Join the pieces: a ``##`` piece continues the word, others start a new one; with
    ``cleanup`` the spaces before punctuation and in English contractions are removed."""

    def __init__(self, prefix="##", cleanup=True):
        self.prefix, self.cleanup = prefix, cleanup

    def decode(self, tokens):
        text = ""
        for i, t in enumerate(tokens):
            if t.startswith(self.prefix):
                t = t[len(self.prefix) :]
            elif i:
                t = " " + t
            if self.cleanup:  # token by token, as the tokenizers library does
                for a, b in _CLEANUP:
                    t = t.replace(a, b)
            text += t
        return text

    def to_json(self):
        return {"type": "WordPiece", "prefix": self.prefix, "cleanup": self.cleanup}


def processor_from_json(spec):
    if spec is None:
        return None
    kind = spec["type"]
    if kind == "TemplateProcessing":
        return TemplateProcessing(spec["single"], spec["pair"], spec["special_tokens"])
    if kind == "BertProcessing":
        return BertProcessing(tuple(spec["sep"]), tuple(spec["cls"]))
    if kind == "ByteLevel":
        return None  # only adjusts offsets, which glassnet does not report
    if kind == "Sequence":
        found = [processor_from_json(p) for p in spec["processors"]]
        found = [p for p in found if p is not None]
        if len(found) > 1:
            raise NotImplementedError("tokenizer.json: several special-token processors in one")
        return found[0] if found else None
    raise NotImplementedError(
        f"tokenizer.json: post-processor {kind!r} is not supported; supported: "
        "TemplateProcessing, BertProcessing, ByteLevel"
    )


def decoder_from_json(spec):
    if spec is None:
        return None
    kind = spec["type"]
    if kind == "ByteLevel":
        return ByteLevelDecoder()
    if kind == "WordPiece":
        return WordPieceDecoder(spec.get("prefix", "##"), spec.get("cleanup", True))
    raise NotImplementedError(
        f"tokenizer.json: decoder {kind!r} is not supported; supported: ByteLevel, WordPiece"
    )
