"""glassnet's tokenizers against Hugging Face's ``tokenizers`` library: a tokenizer.json trained
by the library encodes to the same ids here (byte-level BPE and WordPiece, unicode and
whitespace edge cases, special tokens, pairs, padding and truncation), and the ones trained
here load in the library and encode the same."""

import pytest
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers

from glassnet.data.tokenizers import ByteLevelBPETokenizer, Tokenizer, WordPieceTokenizer
from glassnet.datasets.text import read_corpus

STRINGS = [
    "Hello world",
    "Hello  world, it's   a test!",
    "  leading spaces",
    "trailing   ",
    "tabs\tand\nnew\n\nlines\r\n",
    " ",
    "",
    "don't I'll we've they're I'm he'd SHE'S",
    "''s and !'t",
    "numbers 12345 3.14 ½ ² ٣",
    "naïve café über Ünïcödé ÀÉÎ",
    "combining e\u0301 and \u00e9",
    "日本語のテキスト and 中文",
    "emoji 🎉🚀 ok 👍🏽",
    "nbsp\u00a0here and\u2028line\u3000ideographic",
    "ctrl\x1fchar and\x00nul",
    "under_score snake_case __init__",
    "<|endoftext|>special in the middle<|endoftext|>x",
    "[CLS] bert [SEP] specials [MASK] here",
]


@pytest.fixture(scope="module")
def corpus():
    text = read_corpus(max_chars=40_000)
    return text.splitlines() + ["naïve café über 日本語 emoji 🎉 don't"] * 3


@pytest.fixture(scope="module")
def hf_bpe(corpus, tmp_path_factory):
    tok = HFTokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    path = tmp_path_factory.mktemp("bpe") / "tokenizer.json"
    tok.save(str(path))
    return tok, path


@pytest.fixture(scope="module")
def hf_wordpiece(corpus, tmp_path_factory):
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = HFTokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=specials, show_progress=False
    )
    tok.train_from_iterator(corpus, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    path = tmp_path_factory.mktemp("wp") / "tokenizer.json"
    tok.save(str(path))
    return tok, path


@pytest.mark.parametrize("which", ["hf_bpe", "hf_wordpiece"])
def test_a_tokenizer_json_from_the_library_encodes_the_same(which, request):
    hf, path = request.getfixturevalue(which)
    ours = Tokenizer.from_file(path)
    assert ours.vocab_size == hf.get_vocab_size()
    for s in STRINGS:
        want = hf.encode(s)
        got = ours.encode(s)
        assert got.ids == want.ids, s
        assert got.tokens == want.tokens, s
        assert ours.decode(got.ids) == hf.decode(want.ids), s


def test_wordpiece_pairs_have_the_library_type_ids(hf_wordpiece):
    hf, path = hf_wordpiece
    ours = Tokenizer.from_file(path)
    for a, b in zip(STRINGS, STRINGS[3:]):
        want, got = hf.encode(a, b), ours.encode(a, b)
        assert (got.ids, got.type_ids) == (want.ids, want.type_ids), (a, b)


def test_padding_truncation_and_attention_masks_match_the_library(hf_wordpiece):
    hf, path = hf_wordpiece
    ours = Tokenizer.from_file(path)
    texts = STRINGS[:8]
    hf.enable_truncation(max_length=7)
    hf.enable_padding(pad_id=hf.token_to_id("[PAD]"), pad_token="[PAD]")
    try:
        want = hf.encode_batch(texts)
    finally:
        hf.no_truncation()
        hf.no_padding()
    got = ours(texts, padding=True, truncation=True, max_length=7)
    assert got["input_ids"] == [e.ids for e in want]
    assert got["attention_mask"] == [e.attention_mask for e in want]
    assert got["token_type_ids"] == [e.type_ids for e in want]
    left = ours(texts[:2], padding="max_length", truncation=True, max_length=12,
                padding_side="left", return_tensors="np")  # fmt: skip
    n = len(ours.encode(texts[0]).ids)  # [CLS] hello world [SEP]
    assert left["input_ids"].shape == (2, 12)
    assert left["attention_mask"][0].tolist() == [0] * (12 - n) + [1] * n
    assert left["input_ids"][0, : 12 - n].tolist() == [ours.pad_token_id] * (12 - n)


@pytest.mark.parametrize("kind", ["bpe", "wordpiece"])
def test_tokenizers_trained_here_load_in_the_library(kind, corpus, tmp_path):
    if kind == "bpe":
        ours = ByteLevelBPETokenizer.train(corpus, vocab_size=350)
    else:
        ours = WordPieceTokenizer.train(corpus, vocab_size=250)
    ours.save(tmp_path / "tokenizer.json")
    hf = HFTokenizer.from_file(str(tmp_path / "tokenizer.json"))
    for s in STRINGS:
        assert ours.encode(s).ids == hf.encode(s).ids, s
        assert ours.decode(ours.encode(s).ids) == hf.decode(hf.encode(s).ids), s
    # and reading back our own file gives the same tokenizer
    again = Tokenizer.from_file(tmp_path / "tokenizer.json")
    assert [again.encode(s).ids for s in STRINGS] == [ours.encode(s).ids for s in STRINGS]


def test_byte_level_bpe_round_trips_any_text(corpus):
    tok = ByteLevelBPETokenizer.train(corpus[:200], vocab_size=300)
    for s in STRINGS:
        assert tok.decode(tok.encode(s).ids, skip_special_tokens=False) == s


@pytest.mark.parametrize("kind", ["bert", "bytelevel"])
def test_the_library_ready_made_tokenizers_encode_the_same(kind, corpus, tmp_path):
    """transformers' own recipes: BertProcessing, strip_accents, add_prefix_space, and merges
    stored in the older 'a b' string form."""
    import json

    from tokenizers.implementations import BertWordPieceTokenizer
    from tokenizers.implementations import ByteLevelBPETokenizer as HFByteLevel

    if kind == "bert":
        hf = BertWordPieceTokenizer(strip_accents=True, lowercase=True)
        hf.train_from_iterator(corpus, vocab_size=300, show_progress=False)
    else:
        hf = HFByteLevel(add_prefix_space=True)
        hf.train_from_iterator(corpus, vocab_size=350, show_progress=False)
    path = tmp_path / "tokenizer.json"
    hf.save(str(path))
    spec = json.loads(path.read_text())
    if kind == "bytelevel":
        spec["model"]["merges"] = [" ".join(m) for m in spec["model"]["merges"]]
        path.write_text(json.dumps(spec))
        hf = HFTokenizer.from_file(str(path))
    ours = Tokenizer.from_file(path)
    for s in STRINGS:
        assert ours.encode(s).ids == hf.encode(s).ids, s
        assert ours.decode(ours.encode(s).ids) == hf.decode(hf.encode(s).ids), s
