"""DataLoader: turns a dataset into shuffled mini-batches of tensors.

Shuffling uses the loader's own generator, seeded from glassnet's (so ``glassnet.manual_seed``
makes runs repeat exactly). ``prefetch=True`` prepares the next batch on a background thread
while the model trains on the current one.

>>> import glassnet
>>> from glassnet.data import DataLoader, TensorDataset
>>> ds = TensorDataset(glassnet.arange(10).float().reshape(10, 1), glassnet.arange(10))
>>> batches = list(DataLoader(ds, batch_size=4))
>>> [tuple(x.shape) for x, y in batches]
[(4, 1), (4, 1), (2, 1)]
"""

from __future__ import annotations

import math
import queue
import threading

import numpy as np

from glassnet import random as grandom
from glassnet.backend import get_array_module
from glassnet.tensor import Tensor


class SequentialSampler:
    """Indices 0, 1, ..., n-1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler:
    """A fresh random permutation each epoch, from a seeded generator."""

    def __init__(self, data_source, generator=None):
        self.data_source = data_source
        self.generator = generator

    def __iter__(self):
        rng = grandom.rng("cpu", self.generator)
        return iter(rng.permutation(len(self.data_source)).tolist())

    def __len__(self):
        return len(self.data_source)


class BatchSampler:
    """Groups a sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last=False):
        if batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size}")
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


def default_collate(samples):
    """Stack a list of samples into a batch: tensors/arrays/numbers stacked along a new first
    dim; tuples, lists and dicts collated field by field."""
    first = samples[0]
    if isinstance(first, Tensor):
        from glassnet.ops.shape import stack

        return stack(samples)
    if isinstance(first, np.ndarray):
        return Tensor._make(np.stack(samples))
    if isinstance(first, (bool, np.bool_)):
        return Tensor._make(np.array(samples, dtype=bool))
    if isinstance(first, (int, np.integer)):
        return Tensor._make(np.array(samples, dtype=np.int64))
    if isinstance(first, (float, np.floating)):
        return Tensor._make(np.array(samples, dtype=np.float32))
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return (
            type(first)(default_collate(list(field)) for field in zip(*samples))
            if isinstance(first, tuple)
            else [default_collate(list(field)) for field in zip(*samples)]
        )
    raise TypeError(f"default_collate: don't know how to batch {type(first).__name__}")


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Args mirror PyTorch's: ``batch_size``, ``shuffle``, ``sampler``, ``batch_sampler``,
    ``drop_last``, ``collate_fn``, ``generator``. ``prefetch`` (or ``num_workers > 0``) loads the
    next batch on one background thread.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        drop_last=False,
        collate_fn=None,
        generator=None,
        prefetch=False,
        num_workers=0,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        self.prefetch = prefetch or num_workers > 0
        if batch_sampler is not None:
            if sampler is not None or shuffle or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler is mutually exclusive with "
                    "sampler, shuffle and drop_last"
                )
            self.batch_sampler = batch_sampler
        else:
            if sampler is not None and shuffle:
                raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
            if sampler is None:
                if shuffle:
                    # A generator of its own, seeded from glassnet's, so the order repeats under
                    # manual_seed but is not disturbed by other draws during training.
                    if generator is None:
                        generator = grandom.Generator(int(grandom.rng("cpu").integers(0, 2**62)))
                    sampler = RandomSampler(dataset, generator)
                else:
                    sampler = SequentialSampler(dataset)
            self.batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = getattr(self.batch_sampler, "sampler", sampler)
        self.generator = generator

    def __len__(self):
        return len(self.batch_sampler)

    def _fetch(self, indices):
        ds = self.dataset
        tensors = getattr(ds, "tensors", None)
        if tensors is not None and type(ds).__getitem__ is _tensor_dataset_getitem():
            # Fast path: one fancy-index per tensor instead of a Python loop over samples.
            idx = np.asarray(indices)
            return tuple(_take(t, idx) for t in tensors)
        return self.collate_fn([ds[i] for i in indices])

    def __iter__(self):
        batches = iter(self.batch_sampler)
        if not self.prefetch:
            for indices in batches:
                yield self._fetch(indices)
            return
        yield from _prefetched(self._fetch, batches)


def _tensor_dataset_getitem():
    from glassnet.data.dataset import TensorDataset

    return TensorDataset.__getitem__


def _take(t, idx):
    if isinstance(t, Tensor):
        return Tensor._make(t._data[get_array_module(t._data).asarray(idx)])
    return Tensor._make(np.asarray(t)[idx])


def _prefetched(fetch, batches, depth=2):
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            for indices in batches:
                if stop.is_set():
                    return
                q.put(fetch(indices))
            q.put(done)
        except BaseException as exc:  # hand the error to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
