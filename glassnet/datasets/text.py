"""A character corpus read from the running Python's own standard-library source files: real
text for a character language model that needs no download.

The files are the ``.py`` files at the top of the standard-library folder, in name order, read
until ``max_chars`` characters. The inputs are windows of ``seq_len`` character ids and the
targets the same windows shifted by one (the next character at each position). The text is cut
into a training part and a later test part before windowing, so no window crosses the cut.

>>> from glassnet import datasets
>>> b = datasets.load("python_source", max_chars=20_000, seq_len=32)
>>> len(b.text), b.x_train.shape[1], b.decode(b.encode("def f():")) == "def f():"
(20000, 32, True)
"""

from __future__ import annotations

import os
import sysconfig

import numpy as np

from glassnet.datasets.bundle import DatasetBundle


def stdlib_files() -> list[str]:
    """The standard library's top-level ``.py`` files, sorted by name."""
    root = sysconfig.get_paths()["stdlib"]
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"python_source: the standard-library folder {root!r} is not there (an embedded or "
            "zipped Python?); use another text corpus"
        )
    names = sorted(n for n in os.listdir(root) if n.endswith(".py"))
    return [os.path.join(root, n) for n in names]


def read_corpus(max_chars: int = 1_000_000) -> str:
    """Up to ``max_chars`` characters of standard-library source, files joined by newlines."""
    parts, size = [], 0
    for path in stdlib_files():
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        parts.append(text[: max_chars - size])
        size += len(parts[-1])
        if size >= max_chars:
            break
        parts.append("\n")
        size += 1
    return "".join(parts)[:max_chars]


def _windows(ids, seq_len):
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(
            f"python_source: {len(ids)} characters are too few for windows of seq_len={seq_len}; "
            "raise max_chars or lower seq_len"
        )
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1 : n * seq_len + 1].reshape(n, seq_len)
    return x, y


def python_source(max_chars=1_000_000, seq_len=64, test_size=0.1, seed=0) -> DatasetBundle:
    """Character windows of Python source (see the module docstring). ``seed`` is accepted for
    a uniform interface; the corpus and the split do not depend on it."""
    text = read_corpus(max_chars)
    vocab = sorted(set(text))
    stoi = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((stoi[c] for c in text), dtype=np.int64, count=len(text))
    cut = int(round(len(ids) * (1 - test_size)))
    x_train, y_train = _windows(ids[:cut], seq_len)
    has_test = test_size > 0
    x_test, y_test = _windows(ids[cut:], seq_len) if has_test else (None, None)

    def encode(s: str) -> np.ndarray:
        try:
            return np.array([stoi[c] for c in s], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"python_source: character {exc.args[0]!r} is not in the vocabulary"
            ) from None

    def decode(token_ids) -> str:
        return "".join(vocab[int(i)] for i in np.asarray(token_ids).ravel())

    return DatasetBundle(
        name="python_source",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="sequence",
        num_classes=len(vocab),
        description=f"{len(text)} characters of Python standard-library source, "
        f"{len(vocab)} distinct characters, windows of {seq_len}",
        extra={"text": text, "vocab": vocab, "stoi": stoi, "encode": encode, "decode": decode},
    )
