"""Shared by the PyTorch-style programs: the command line (--out) and the data they train on.

These programs are plain PyTorch. The suite runs each one twice, once on PyTorch and once with
`glassnet as-torch`, and compares the losses. Data comes from NumPy with a fixed seed, so both
runs see the same numbers; only the weight initialisation differs (two different generators).
"""

import argparse
import json
import os

import numpy as np


def arguments(**defaults):
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None, help="write the loss history here as JSON")
    for name, value in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return parser.parse_args()


def write_losses(path, losses, **extra):
    if path is None:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump({"losses": [float(v) for v in losses], **extra}, f)
    os.replace(tmp, path)


def digits():
    """scikit-learn's 8x8 digits as float32 images in [0, 1] (N, 1, 8, 8) and int64 labels."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    images = (raw.images / 16.0).astype(np.float32)[:, None]
    return images, raw.target.astype(np.int64)


def text(n_chars=4000, seed=0):
    """A small synthetic corpus: words from a tiny grammar, so a language model can learn it."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "my friend", "the bird", "our teacher"]
    verbs = ["sees", "likes", "follows", "finds", "greets"]
    objects = ["the ball", "a tree", "the river", "some bread", "the moon"]
    words = []
    while sum(len(w) + 1 for w in words) < n_chars:
        words.append(
            f"{subjects[rng.integers(5)]} {verbs[rng.integers(5)]} {objects[rng.integers(5)]}."
        )
    return " ".join(words)[:n_chars]


def sine_waves(n=32, length=200, seed=0):
    """Sine waves with random phase, float64 (n, length), like the time-sequence example."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) + rng.integers(-40, 40, size=(n, 1))
    return np.sin(t / 8.0).astype(np.float64)
