"""Tokenizers and pad_sequences: hand-computed vocabularies and encodings, round trips, saving."""

import json
import os

import numpy as np
import pytest

import glassnet
from glassnet.data import CharTokenizer, Tokenizer, WordTokenizer, pad_sequences

TRAIN = ["The cat sat on the mat.", "The dog sat on the log!", "A cat and a dog."]


def test_word_vocabulary_is_specials_then_frequency_then_alphabet():
    tok = WordTokenizer().fit(TRAIN)
    # the 4, . 2, a 2, cat 2, dog 2, on 2, sat 2, ! 1, and 1, log 1, mat 1
    assert tok.itos == [
        "<pad>",
        "<unk>",
        "<bos>",
        "<eos>",
        "the",
        ".",
        "a",
        "cat",
        "dog",
        "on",
        "sat",
        "!",
        "and",
        "log",
        "mat",
    ]
    assert tok.vocab_size == len(tok) == 15
    assert (tok.pad_id, tok.unk_id, tok.bos_id, tok.eos_id) == (0, 1, 2, 3)
    assert tok.token_to_id("cat") == 7 and tok.token_to_id("zebra") == 1
    assert tok.id_to_token(8) == "dog"


def test_word_encode_decode_by_hand():
    tok = WordTokenizer().fit(TRAIN)
    assert tok.encode("The zebra sat on the cat!") == [4, 1, 10, 9, 4, 7, 11]
    assert tok.encode("a dog", add_special_tokens=True) == [2, 6, 8, 3]
    assert tok.decode([2, 6, 8, 3]) == "a dog"
    assert tok.decode([2, 6, 1, 3, 0], skip_special_tokens=False) == "<bos> a <unk> <eos> <pad>"
    assert tok.decode(glassnet.tensor([4, 7])) == "the cat"
    text = "the cat sat on the log ."
    assert tok.decode(tok.encode(text)) == text


def test_word_tokenizer_options():
    assert WordTokenizer().tokenize("Don't stop, 2 go_on!") == [
        "don",
        "'",
        "t",
        "stop",
        ",",
        "2",
        "go_on",
        "!",
    ]
    assert WordTokenizer(lower=False).tokenize("Hi there") == ["Hi", "there"]
    assert WordTokenizer(pattern=r"\S+").tokenize("a-b c.") == ["a-b", "c."]
    cased = WordTokenizer(lower=False).fit(["The the THE"])
    assert cased.itos[4:] == ["THE", "The", "the"]


def test_min_freq_and_max_size():
    tok = WordTokenizer(min_freq=2).fit(TRAIN)
    assert tok.itos[4:] == ["the", ".", "a", "cat", "dog", "on", "sat"]
    assert tok.encode("the log") == [4, 1]
    tok = WordTokenizer(max_size=7).fit(TRAIN)
    assert tok.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "the", ".", "a"]
    assert tok.encode("a cat") == [6, 1]
    with pytest.raises(ValueError, match="special tokens"):
        WordTokenizer(max_size=3)
    with pytest.raises(ValueError, match="min_freq"):
        CharTokenizer(min_freq=0)


def test_special_tokens_in_text_are_not_counted_twice():
    tok = WordTokenizer(pattern=r"\S+").fit(["<pad> x <unk> x"])
    assert tok.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "x"]


def test_char_tokenizer_round_trip_and_unknown_characters():
    text = "hello world"
    tok = CharTokenizer().fit([text])
    # l 3, o 2, then ' ' d e h r w once each in code-point order
    assert tok.itos[4:] == ["l", "o", " ", "d", "e", "h", "r", "w"]
    assert tok.encode("hello") == [9, 8, 4, 4, 5]
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode("hex!") == [9, 8, 1, 1]
    assert tok.decode(tok.encode("hex!")) == "he"
    assert CharTokenizer(lower=True).fit(["AbA"]).itos[4:] == ["a", "b"]


def test_encode_batch_and_decode_batch():
    tok = WordTokenizer().fit(TRAIN)
    batch = tok.encode_batch(["the cat", "a dog sat on the mat"], add_special_tokens=True)
    assert batch.dtype == np.int64
    assert batch.tolist() == [[2, 4, 7, 3, 0, 0, 0, 0], [2, 6, 8, 10, 9, 4, 14, 3]]
    tensor = tok.encode_batch(["the cat", "dog"], maxlen=3, padding="pre", return_tensor=True)
    assert isinstance(tensor, glassnet.Tensor) and tensor.dtype == glassnet.int64
    assert tensor.tolist() == [[0, 4, 7], [0, 0, 8]]
    assert tok.decode_batch(batch) == ["the cat", "a dog sat on the mat"]


def test_pad_sequences_by_hand():
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3, 4], [5, 0, 0, 0], [0, 0, 0, 0], [6, 7, 0, 0]]
    assert pad_sequences(seqs, maxlen=3, padding="pre", truncating="pre", value=-1).tolist() == [
        [2, 3, 4],
        [-1, -1, 5],
        [-1, -1, -1],
        [-1, 6, 7],
    ]
    assert pad_sequences(seqs, maxlen=2, truncating="post").tolist() == [
        [1, 2],
        [5, 0],
        [0, 0],
        [6, 7],
    ]
    out = pad_sequences([glassnet.tensor([1, 2]), glassnet.tensor([3])])
    assert isinstance(out, glassnet.Tensor) and out.dtype == glassnet.int64
    assert out.tolist() == [[1, 2], [3, 0]]
    assert pad_sequences([], maxlen=None).shape == (0, 0)
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(seqs, padding="middle")


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (WordTokenizer, {"min_freq": 2, "lower": False, "pattern": r"[a-z]+|\S"}),
        (CharTokenizer, {"max_size": 10}),
    ],
)
def test_json_round_trip(tmp_path, cls, kwargs):
    tok = cls(**kwargs).fit(TRAIN + ["naïve café ☕"])
    path = os.path.join(tmp_path, "tok.json")
    tok.save(path)
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    assert state["type"] == cls.__name__ and state["itos"] == tok.itos
    assert [p for p in os.listdir(tmp_path)] == ["tok.json"], "no temporary file left behind"
    for loaded in (cls.load(path), Tokenizer.load(path)):
        assert type(loaded) is cls and repr(loaded) == repr(tok)
        assert loaded.itos == tok.itos and vars(loaded).keys() == vars(tok).keys()
        text = "The cat café ☕ zebra"
        assert loaded.encode(text) == tok.encode(text)
        assert loaded.tokenize(text) == tok.tokenize(text)


def test_wrong_type_and_unfitted_errors(tmp_path):
    path = os.path.join(tmp_path, "tok.json")
    CharTokenizer().fit(["ab"]).save(path)
    with pytest.raises(ValueError, match="CharTokenizer"):
        WordTokenizer.load(path)
    with pytest.raises(RuntimeError, match="fit"):
        WordTokenizer().encode("hi")
    with pytest.raises(TypeError, match="list"):
        WordTokenizer().fit("one string")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        CharTokenizer().fit(["ab"]).decode([99])
