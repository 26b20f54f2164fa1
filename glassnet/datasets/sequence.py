"""Sequence tasks: forecasting a noisy sine, and copy / reverse / addition over tokens.

``sine`` is a regression on windows: inputs ``(N, window, 1)`` float32, target the next value
``(N, 1)``; its test part is the later stretch of the series (no peeking at the future).
``copy``, ``reverse`` and ``addition`` map a token sequence ``(N, L)`` int64 to another
``(N, L')`` int64; ``num_classes`` is the vocabulary size, ``bundle.vocab`` the tokens, and
``bundle.decode(ids)`` turns ids back into text.

>>> from glassnet import datasets
>>> b = datasets.load("addition", n_samples=100, n_digits=2)
>>> b.x_train.shape, b.y_train.shape
((80, 5), (80, 3))
>>> b.decode([1, 2, 10, 0, 5])
'12+05'
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets.bundle import DatasetBundle, from_arrays


def sine(
    n_samples=1000, window=20, noise=0.05, seed=0, test_size=0.2, period=25.0
) -> DatasetBundle:
    """Windows of ``window`` steps of ``sin(2πt/period)`` plus Gaussian noise (std ``noise``);
    the target is the value one step after each window."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples + window, dtype=np.float64)
    series = np.sin(2 * np.pi * t / period) + rng.normal(0.0, noise, size=t.shape)
    series = series.astype(np.float32)
    idx = np.arange(window)[None, :] + np.arange(n_samples)[:, None]
    x, y = series[idx][:, :, None], series[window:, None]
    n_test = int(round(n_samples * test_size)) if isinstance(test_size, float) else test_size
    cut = n_samples - n_test
    return DatasetBundle(
        name="sine",
        x_train=x[:cut],
        y_train=y[:cut],
        x_test=x[cut:] if n_test else None,
        y_test=y[cut:] if n_test else None,
        task="regression",
        description=f"next value of a noisy sine (period {period}, noise {noise}) from the "
        f"last {window} values",
        extra={"series": series},
    )


def _tokens_bundle(name, x, y, vocab, test_size, seed, description):
    b = from_arrays(
        x,
        y,
        test_size=test_size,
        seed=seed,
        name=name,
        task="sequence",
        description=description,
        stratify=False,
    )
    b.num_classes = len(vocab)
    b.extra["vocab"] = list(vocab)
    b.extra["decode"] = lambda ids: "".join(vocab[int(i)] for i in np.asarray(ids).ravel())
    return b


def _token_task(name, target, n_samples, length, vocab_size, seed, test_size):
    """Random token sequences (ids below ``vocab_size``); the target is ``target(x)``."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, size=(n_samples, length), dtype=np.int64)
    vocab = [str(i) if vocab_size <= 10 else f"<{i}>" for i in range(vocab_size)]
    description = f"{name} a sequence of {length} tokens out of {vocab_size}"
    return _tokens_bundle(name, x, target(x), vocab, test_size, seed, description)


def copy(n_samples=1000, length=8, vocab_size=10, seed=0, test_size=0.2) -> DatasetBundle:
    """Random token sequences; the target is the same sequence."""
    return _token_task("copy", np.copy, n_samples, length, vocab_size, seed, test_size)


def reverse(n_samples=1000, length=8, vocab_size=10, seed=0, test_size=0.2) -> DatasetBundle:
    """Random token sequences; the target is the sequence backwards."""
    return _token_task(
        "reverse",
        lambda x: np.ascontiguousarray(x[:, ::-1]),
        n_samples,
        length,
        vocab_size,
        seed,
        test_size,
    )


def _digits(values, width):
    """Each value's decimal digits, zero-padded to ``width``, as an ``(N, width)`` array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def addition(
    n_samples=1000, n_digits=3, seed=0, test_size=0.2, reverse_answer=False
) -> DatasetBundle:
    """``a+b`` written as tokens (each number zero-padded to ``n_digits``) -> the digits of the
    sum, padded to ``n_digits + 1``. Token ids: digits 0-9 are themselves, ``+`` is 10.
    ``reverse_answer=True`` writes the sum lowest digit first (easier for a left-to-right
    model, as carries flow that way)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 10**n_digits, size=n_samples, dtype=np.int64)
    b = rng.integers(0, 10**n_digits, size=n_samples, dtype=np.int64)
    plus = np.full((n_samples, 1), 10, dtype=np.int64)
    x = np.concatenate([_digits(a, n_digits), plus, _digits(b, n_digits)], axis=1)
    y = _digits(a + b, n_digits + 1)
    if reverse_answer:
        y = np.ascontiguousarray(y[:, ::-1])
    return _tokens_bundle(
        "addition",
        x,
        y,
        list("0123456789+"),
        test_size,
        seed,
        f"add two {n_digits}-digit numbers, digit by digit",
    )
