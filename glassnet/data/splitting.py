"""Splitting data for honest evaluation: train/validation/test splits and k-fold cross-validation.

Fit everything (the model, but also scalers, imputers and vocabularies) on the training part only;
the validation and test parts stand in for data the model has never seen.

>>> import numpy as np
>>> from glassnet.data import train_val_test_split, KFold
>>> x, y = np.arange(20).reshape(10, 2), np.arange(10)
>>> x_tr, x_val, x_te, y_tr, y_val, y_te = train_val_test_split(x, y, val_size=0.2,
...                                                             test_size=0.2, seed=0)
>>> len(y_tr), len(y_val), len(y_te)
(6, 2, 2)
>>> [val.tolist() for _, val in KFold(n_splits=3).split(x)]
[[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from glassnet import random as grandom
from glassnet.data._arrays import take, to_numpy


def _generator(seed):
    """A NumPy generator: glassnet's own (seeded by manual_seed) when ``seed`` is None."""
    if seed is None:
        return grandom.rng("cpu")
    if isinstance(seed, grandom.Generator):
        return seed.for_device("cpu")
    return np.random.default_rng(seed)


def _count(size, n, name):
    """A split size given as a fraction (rounded up, as scikit-learn does) or as a count."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if not 0 <= size <= n:
            raise ValueError(
                f"train_val_test_split: {name}={size} must be between 0 and the "
                f"number of samples ({n})"
            )
        return int(size)
    if isinstance(size, numbers.Real) and 0 <= size < 1:
        return int(math.ceil(size * n))
    raise ValueError(
        f"train_val_test_split: {name} must be a fraction in [0, 1) or a sample count, got {size!r}"
    )


def _allocate(total, capacity):
    """Share ``total`` samples among classes in proportion to ``capacity`` (largest remainder),
    never giving a class more than its capacity."""
    exact = total * capacity / max(int(capacity.sum()), 1)
    counts = np.floor(exact).astype(np.int64)
    left = total - int(counts.sum())
    if left:
        # Larger fractional parts first; ties go to the bigger class, then the earlier one.
        order = np.lexsort((np.arange(len(capacity)), -capacity, -(exact - counts)))
        counts[order[:left]] += 1
    return counts


def train_val_test_split(
    *arrays, val_size=0.1, test_size=0.1, stratify=None, shuffle=True, seed=None
):
    """Split arrays (NumPy arrays, Tensors or lists of equal length) into train, validation and
    test parts, returned as ``a_train, a_val, a_test, b_train, b_val, b_test, ...``.

    Sizes are fractions of the samples (rounded up) or counts; 0 gives an empty part.
    ``stratify=labels`` keeps each class's proportion the same in every part. ``seed=None``
    draws from glassnet's generator, so ``glassnet.manual_seed`` makes the split repeat. With
    ``shuffle=False`` the parts are consecutive: train first, then validation, then test.

    >>> import numpy as np
    >>> y = np.array([0] * 8 + [1] * 4)
    >>> parts = train_val_test_split(y, val_size=0.25, test_size=0.25, stratify=y, seed=1)
    >>> [np.bincount(p).tolist() for p in parts]
    [[4, 2], [2, 1], [2, 1]]
    """
    if not arrays:
        raise ValueError("train_val_test_split: give at least one array to split")
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != n:
            raise ValueError(
                f"train_val_test_split: all arrays must have the same length; "
                f"array 0 has {n} samples but array {i} has {len(a)}"
            )
    n_test = _count(test_size, n, "test_size")
    n_val = _count(val_size, n, "val_size")
    n_train = n - n_test - n_val
    if n_train <= 0:
        raise ValueError(
            f"train_val_test_split: with {n} samples, val_size={val_size!r} "
            f"({n_val}) and test_size={test_size!r} ({n_test}) leave no training "
            "samples; make them smaller"
        )
    if stratify is None:
        order = _generator(seed).permutation(n) if shuffle else np.arange(n)
        parts = [order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]]
    else:
        if not shuffle:
            raise ValueError(
                "train_val_test_split: stratify needs shuffle=True (a stratified "
                "split picks samples from each class at random)"
            )
        parts = _stratified_parts(to_numpy(stratify), n, n_val, n_test, _generator(seed))
    return [take(a, p) for a in arrays for p in parts]


def _stratified_parts(labels, n, n_val, n_test, rng):
    if len(labels) != n:
        raise ValueError(f"train_val_test_split: stratify has {len(labels)} labels for {n} samples")
    classes, encoded = np.unique(labels, return_inverse=True)
    encoded = encoded.reshape(-1)
    sizes = np.bincount(encoded, minlength=len(classes))
    test_c = _allocate(n_test, sizes)
    val_c = _allocate(n_val, sizes - test_c)
    train, val, test = [], [], []
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(encoded == c))
        test.append(members[: test_c[c]])
        val.append(members[test_c[c] : test_c[c] + val_c[c]])
        train.append(members[test_c[c] + val_c[c] :])
    # Mix the classes inside each part so it is not ordered class by class.
    return [rng.permutation(np.concatenate(p)) for p in (train, val, test)]


class KFold:
    """K-fold cross-validation: ``split(X)`` yields ``(train_idx, val_idx)`` k times, each sample
    landing in exactly one validation fold. Fold sizes differ by at most one (the first
    ``n % k`` folds are one larger), as in scikit-learn.

    >>> import numpy as np
    >>> [(tr.tolist(), va.tolist()) for tr, va in KFold(2).split(np.zeros(4))]
    [([2, 3], [0, 1]), ([0, 1], [2, 3])]
    """

    def __init__(self, n_splits=5, shuffle=False, random_state=None):
        if not isinstance(n_splits, numbers.Integral) or n_splits < 2:
            raise ValueError(
                f"{type(self).__name__}: n_splits must be an integer >= 2, got {n_splits!r}"
            )
        if not shuffle and random_state is not None:
            raise ValueError(
                f"{type(self).__name__}: random_state has no effect when "
                "shuffle=False; pass shuffle=True or drop random_state"
            )
        self.n_splits, self.shuffle, self.random_state = int(n_splits), shuffle, random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds."""
        return self.n_splits

    def _check(self, n):
        if self.n_splits > n:
            raise ValueError(
                f"{type(self).__name__}: cannot make n_splits={self.n_splits} "
                f"folds from only {n} samples"
            )

    def _test_folds(self, X, y):
        n = len(X)
        self._check(n)
        order = _generator(self.random_state).permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        folds = np.empty(n, dtype=np.int64)
        folds[order] = np.repeat(np.arange(self.n_splits), sizes)
        return folds

    def split(self, X, y=None, groups=None):
        """Yield ``(train_indices, val_indices)`` for each fold, as sorted int64 arrays."""
        folds = self._test_folds(X, y)
        for k in range(self.n_splits):
            in_fold = folds == k
            yield np.flatnonzero(~in_fold), np.flatnonzero(in_fold)

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
            f"random_state={self.random_state})"
        )


class StratifiedKFold(KFold):
    """K-fold cross-validation that keeps each class's proportion about the same in every fold.

    Without shuffling the folds are exactly scikit-learn's: the samples, sorted by class (classes
    in order of first appearance), are dealt to the folds in turn to fix how many of each class
    each fold gets, then each class fills its folds in blocks, keeping the data's order.

    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 1, 1])
    >>> [np.bincount(y[va]).tolist() for _, va in StratifiedKFold(2).split(y, y)]
    [[2, 1], [2, 1]]
    """

    def _test_folds(self, X, y):
        if y is None:
            raise ValueError("StratifiedKFold.split needs the labels: split(X, y)")
        labels = to_numpy(y).reshape(-1)
        n, k = len(labels), self.n_splits
        if len(X) != n:
            raise ValueError(f"StratifiedKFold.split: X has {len(X)} samples but y has {n}")
        self._check(n)
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        # Renumber classes by first appearance, so the result does not depend on label values.
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first)] = np.arange(len(first))
        encoded = rank[inverse.reshape(-1)]
        sizes = np.bincount(encoded)
        if np.all(sizes < k):
            raise ValueError(
                f"StratifiedKFold: n_splits={k} is more than the number of "
                f"members of every class (largest class: {sizes.max()})"
            )
        if sizes.min() < k:
            warnings.warn(
                f"StratifiedKFold: the smallest class has only {sizes.min()} members, "
                f"fewer than n_splits={k}",
                UserWarning,
                stacklevel=3,
            )
        rng = _generator(self.random_state) if self.shuffle else None
        folds = np.empty(n, dtype=np.int64)
        start = 0
        for c, size in enumerate(sizes):
            # Position p of the class-sorted list goes to fold p % k.
            per_fold = np.bincount(np.arange(start, start + size) % k, minlength=k)
            assignment = np.repeat(np.arange(k), per_fold)
            if rng is not None:
                assignment = rng.permutation(assignment)
            folds[encoded == c] = assignment
            start += size
        return folds
