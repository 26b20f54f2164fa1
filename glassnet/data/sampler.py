"""Samplers: the order in which a DataLoader visits a dataset, with PyTorch's names and
arguments (``torch.utils.data.sampler``).

Random ones draw from a ``glassnet.Generator`` when given one, else from glassnet's seeded
default generator, so ``glassnet.manual_seed`` makes the order repeat.

>>> import glassnet
>>> from glassnet.data import BatchSampler, SequentialSampler, SubsetRandomSampler
>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
>>> g = glassnet.Generator().manual_seed(0)
>>> sorted(SubsetRandomSampler([10, 20, 30], generator=g))
[10, 20, 30]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import random as grandom
from glassnet.tensor import Tensor

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


class Sampler:
    """Base class: subclass it and define ``__iter__`` (yielding indices) and ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., n-1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation each epoch; with ``replacement=True``, ``num_samples``
    independent uniform draws. Without replacement, ``num_samples`` beyond the dataset's length
    continues with further permutations, as PyTorch does.

    >>> import glassnet
    >>> g = glassnet.Generator().manual_seed(0)
    >>> len(list(RandomSampler(range(4), replacement=True, num_samples=10, generator=g)))
    10
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if num_samples is not None:
            _check_positive_int("num_samples", num_samples)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        # Read each time: the dataset may change size between epochs.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = grandom.rng("cpu", self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=count).tolist())
        if n == 0:
            return iter(())
        parts = [rng.permutation(n) for _ in range(count // n)]
        if count % n:
            parts.append(rng.permutation(n)[: count % n])
        return iter(np.concatenate(parts).tolist() if parts else [])

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, each once per epoch (e.g. a validation subset)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        order = grandom.rng("cpu", self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (which need
    not sum to 1): the usual fix for imbalanced classes.

    >>> import glassnet
    >>> g = glassnet.Generator().manual_seed(0)
    >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
    {1}
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = weights.detach().numpy() if isinstance(weights, Tensor) else np.asarray(weights)
        w = w.astype(np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise RuntimeError(
                "WeightedRandomSampler: weights must be finite, non-negative and not all zero"
            )
        if not replacement and num_samples > int((w > 0).sum()):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {int((w > 0).sum())} indices of non-zero weight"
            )
        self.weights = Tensor._make(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights._data / self.weights._data.sum()
        rng = grandom.rng("cpu", self.generator)
        draws = rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
