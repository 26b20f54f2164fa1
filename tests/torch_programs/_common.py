"""Shared by the PyTorch-style programs: the command line (--out) and the data they train on.

These programs are plain PyTorch. The suite runs each one twice, once on PyTorch and once with
`glassnet as-torch`, and compares the losses. Data comes from NumPy with a fixed seed, so both
runs see the same numbers; only the weight initialisation differs (two different generators).
"""

import argparse
import importlib.util
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
    # The CSV that scikit-learn ships, read without importing scikit-learn (0.9 s per process,
    # twice per program in the suite); load_digits reads the same file.
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        table = np.loadtxt(path, delimiter=",")
        pixels, target = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    else:
        from sklearn.datasets import load_digits

        raw = load_digits()
        pixels, target = raw.images, raw.target
    images = (pixels / 16.0).astype(np.float32)[:, None]
    return images, target.astype(np.int64)


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
