"""How good are generated digits? Scored by a digits classifier, not by eye.

A ``DigitsCNN`` is trained once on scikit-learn's digits (train split, seeded; kept in memory
for the rest of the process) and then judges a batch of generated 8x8 images:

- ``confident``: the fraction it classifies with probability >= 0.9 (does it look like *a*
  digit at all?);
- ``class_entropy``: the entropy, in bits, of the histogram of predicted classes (mode coverage:
  ``log2(10) = 3.32`` when all ten digits appear equally often, 0 when the model makes only one);
- ``frechet``: the Fréchet distance between Gaussians fitted to the classifier's penultimate
  features of the generated images and of the real test images (a digits "FID"; lower is
  better). ``frechet_real`` is the same distance for as many *real* training images: the floor
  that the finite sample sizes allow;
- ``class_accuracy`` (conditional models): the fraction classified as the asked-for class.

Images can be ``(N, 64)``, ``(N, 1, 8, 8)`` or ``(N, 1, 16, 16)`` (averaged 2x2 back to 8x8),
with values in [0, 1].

>>> import numpy as np
>>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))  # |1|^2*2 + (2-1)^2*2
4.0
"""

from __future__ import annotations

import numpy as np

import glassnet
import glassnet.nn.functional as F

CONFIDENCE = 0.9
_SCORERS: dict = {}


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``, the 2-Wasserstein distance squared
    between two Gaussians. ``tr (S1 S2)^(1/2)`` is computed as the sum of the square roots of
    the eigenvalues of the symmetric ``S1^(1/2) S2 S1^(1/2)`` (same eigenvalues as ``S1 S2``),
    which stays real and stable where a general matrix square root would not."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if not all(np.isfinite(a).all() for a in (mu1, mu2, s1, s2)):
        return float("nan")  # a diverged model's samples: no distance (the run is failed)
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root1 @ s2 @ root1
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    diff = mu1 - mu2
    d = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum())
    return max(d, 0.0)  # >= 0 exactly; rounding can leave -1e-12 for identical Gaussians


def gaussian_stats(features):
    """Mean and (unbiased) covariance of ``(N, D)`` features."""
    f = np.asarray(features, np.float64)
    return f.mean(0), np.cov(f, rowvar=False)


def to_digit_images(images) -> np.ndarray:
    """Any of the accepted layouts -> float32 ``(N, 1, 8, 8)`` in [0, 1] (clipped)."""
    x = images.numpy() if isinstance(images, glassnet.Tensor) else np.asarray(images)
    x = x.astype(np.float32)
    if x.ndim == 2 and x.shape[1] == 64:
        x = x.reshape(-1, 1, 8, 8)
    if x.ndim == 4 and x.shape[1:] == (1, 16, 16):
        x = x.reshape(-1, 1, 8, 2, 8, 2).mean(axis=(3, 5))
    if x.ndim != 4 or x.shape[1:] != (1, 8, 8):
        raise ValueError(
            f"digits scorer: images of shape {x.shape}; expected (N, 64), (N, 1, 8, 8) or "
            f"(N, 1, 16, 16) with values in [0, 1]"
        )
    return np.clip(x, 0.0, 1.0)


def entropy_bits(labels, num_classes=10) -> float:
    """Entropy in bits of the histogram of ``labels``."""
    p = np.bincount(np.asarray(labels), minlength=num_classes) / max(len(labels), 1)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0: no -0.0 for a single class


class DigitsScorer:
    """The trained classifier and the real test images' feature statistics."""

    def __init__(self, seed=0, epochs=12):
        from glassnet import datasets
        from glassnet.models.cnn import DigitsCNN

        glassnet.manual_seed(seed)
        data = datasets.load("digits", seed=0)
        self.x_train, self.y_train = data.x_train, data.y_train
        self.x_test, self.y_test = data.x_test, data.y_test
        model = DigitsCNN()
        opt = glassnet.optim.Adam(model.parameters(), lr=2e-3)
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            model.train()
            order = rng.permutation(len(self.x_train))
            for i in range(0, len(order), 64):
                idx = order[i : i + 64]
                loss = F.cross_entropy(
                    model(glassnet.tensor(self.x_train[idx])), glassnet.tensor(self.y_train[idx])
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.model = model.eval()
        probs, _ = self._run(self.x_test)
        self.test_accuracy = float((probs.argmax(1) == self.y_test).mean())
        self.real_stats = gaussian_stats(self.features(self.x_test))

    @glassnet.no_grad()
    def _run(self, x):
        x = to_digit_images(x)
        probs, feats = [], []
        for i in range(0, len(x), 256):
            h = self.model.features(glassnet.tensor(x[i : i + 256]))
            # the penultimate layer: everything of the classifier but its last Linear
            for layer in list(self.model.classifier)[:-1]:
                h = layer(h)
            feats.append(h.numpy())
            probs.append(F.softmax(self.model.classifier[-1](h), dim=1).numpy())
        return np.concatenate(probs), np.concatenate(feats)

    def predict_proba(self, images) -> np.ndarray:
        return self._run(images)[0]

    def features(self, images) -> np.ndarray:
        return self._run(images)[1]

    def score(self, images, labels=None) -> dict:
        """The quality figures of ``images`` (see the module docstring); ``labels``: the classes
        a conditional model was asked for."""
        probs, feats = self._run(images)
        pred = probs.argmax(1)
        n = len(pred)
        real_n = self.x_train[np.random.default_rng(1).permutation(len(self.x_train))[:n]]
        out = {
            "confident": float((probs.max(1) >= CONFIDENCE).mean()),
            "class_entropy": entropy_bits(pred),
            "classes_seen": int(len(np.unique(pred))),
            "frechet": frechet_distance(*gaussian_stats(feats), *self.real_stats),
            "frechet_real": frechet_distance(
                *gaussian_stats(self.features(real_n)), *self.real_stats
            ),
        }
        if labels is not None:
            labels = labels.numpy() if isinstance(labels, glassnet.Tensor) else np.asarray(labels)
            out["class_accuracy"] = float((pred == labels).mean())
        return out


def digits_scorer(seed=0) -> DigitsScorer:
    """The scorer for ``seed``, trained on first use and then cached for the process."""
    if seed not in _SCORERS:
        _SCORERS[seed] = DigitsScorer(seed)
    return _SCORERS[seed]


def score_digits(images, labels=None, seed=0) -> dict:
    """``digits_scorer(seed).score(images, labels)``."""
    return digits_scorer(seed).score(images, labels)
