"""DataLoader: turns a dataset into shuffled mini-batches of tensors, as PyTorch's does.

Shuffling uses the loader's own generator, seeded from glassnet's (so ``glassnet.manual_seed``
makes runs repeat exactly). ``num_workers > 0`` (or ``prefetch=True``) prepares the next
batches on a background thread while the model trains on the current one.

>>> import glassnet
>>> from glassnet.data import DataLoader, TensorDataset
>>> ds = TensorDataset(glassnet.arange(10).float().reshape(10, 1), glassnet.arange(10))
>>> batches = list(DataLoader(ds, batch_size=4))
>>> [tuple(x.shape) for x, y in batches]
[(4, 1), (4, 1), (2, 1)]
"""

from __future__ import annotations

import itertools
import math
import queue
import threading

import numpy as np

from glassnet import random as grandom
from glassnet.backend import get_array_module
from glassnet.data.dataset import IterableDataset
from glassnet.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from glassnet.data.worker import WorkerInfo, _enter_worker, _leave_worker, get_worker_info
from glassnet.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def default_collate(samples):
    """Stack a list of samples into a batch: tensors/arrays/numbers stacked along a new first
    dim; tuples, lists and dicts collated field by field (tuples give lists, as in PyTorch).
    Python floats give float32, glassnet's default dtype (PyTorch gives float64)."""
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
        fields = [default_collate(list(field)) for field in zip(*samples)]
        if hasattr(first, "_fields"):  # a namedtuple stays one, as in PyTorch
            return type(first)(*fields)
        return fields  # a list for tuples too, as PyTorch's (x, y = batch works the same)
    raise TypeError(f"default_collate: don't know how to batch {type(first).__name__}")


def default_convert(data):
    """What a loader with ``batch_size=None`` applies to each sample: NumPy arrays and NumPy
    scalars become tensors, inside tuples (which become lists, as in PyTorch), lists and dicts
    too; everything else is left as it is.

    >>> import numpy as np
    >>> default_convert({"x": np.zeros(2), "name": "a"})
    {'x': tensor([0., 0.], dtype=glassnet.float64), 'name': 'a'}
    """
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OSUV":
        return Tensor._make(np.asarray(data))
    if isinstance(data, dict):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(v) for v in data]
    return data


class DataLoader:
    """Iterate over a dataset in mini-batches, with PyTorch's arguments in PyTorch's order.

    ``batch_size=None`` turns batching off (samples come one by one, arrays made tensors). An
    ``IterableDataset`` is read in order and cut into batches. ``num_workers > 0`` (or
    ``prefetch=True``) prepares the next batches on one background thread of this process, not
    in worker processes: ``worker_init_fn(0)`` runs in that thread first and
    ``get_worker_info()`` there says ``num_workers=1``. ``pin_memory``, ``persistent_workers``,
    ``prefetch_factor``, ``timeout``, ``multiprocessing_context``, ``pin_memory_device`` and
    ``in_order`` are accepted (checked as PyTorch checks them) and change nothing else.

    >>> import glassnet
    >>> from glassnet.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(glassnet.arange(6).float(), glassnet.arange(6))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, pin_memory=True)
    >>> sorted(i for _, y in loader for i in y.tolist())
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
        prefetch=False,
    ):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order
        self.persistent_workers = persistent_workers
        self.prefetch = prefetch or num_workers > 0
        self._iterable = isinstance(dataset, IterableDataset) or (
            not hasattr(dataset, "__getitem__") and hasattr(dataset, "__iter__")
        )
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}; an IterableDataset decides its own order "
                        "(shuffle inside its __iter__)."
                    )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None and not self._iterable:
            if shuffle:
                # A generator of its own, seeded from glassnet's, so the order repeats under
                # manual_seed but is not disturbed by other draws during training.
                if generator is None:
                    generator = grandom.Generator(int(grandom.rng("cpu").integers(0, 2**62)))
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler = getattr(batch_sampler, "sampler", sampler)
        self.batch_sampler = batch_sampler
        self.generator = generator
        batching = batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if batching else default_convert)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)  # TypeError, as in PyTorch, for a dataset without a length
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)

    def _fetch(self, indices):
        ds = self.dataset
        tensors = getattr(ds, "tensors", None)
        if (
            tensors is not None
            and self.collate_fn is default_collate
            and type(ds).__getitem__ is _tensor_dataset_getitem()
        ):
            # Fast path: one fancy-index per tensor instead of a Python loop over samples.
            idx = np.asarray(indices)
            return [_take(t, idx) for t in tensors]
        return self.collate_fn([ds[i] for i in indices])

    def _batches(self):
        collate = self.collate_fn
        if self._iterable:
            samples = iter(self.dataset)
            if self.batch_size is None:
                for sample in samples:
                    yield collate(sample)
                return
            while True:
                batch = list(itertools.islice(samples, self.batch_size))
                if not batch or (self.drop_last and len(batch) < self.batch_size):
                    return
                yield collate(batch)
        elif self.batch_sampler is None:
            for i in self.sampler:
                yield collate(self.dataset[i])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def __iter__(self):
        # One draw per epoch for the worker's seed, before the sampler's, as PyTorch's
        # iterators do: the shuffled order is then the same with and without workers.
        seed = int(grandom.rng("cpu", self.generator).integers(0, 2**62))
        if not self.prefetch:
            yield from self._batches()
            return
        info = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=self.dataset)
        yield from _prefetched(self, info, depth=max(1, self.prefetch_factor or 2))


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing."
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
            "to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _tensor_dataset_getitem():
    from glassnet.data.dataset import TensorDataset

    return TensorDataset.__getitem__


def _take(t, idx):
    if isinstance(t, Tensor):
        return Tensor._make(t._data[get_array_module(t._data).asarray(idx)])
    return Tensor._make(np.asarray(t)[idx])


def _prefetched(loader, info, depth=2):
    """The loader's batches, made on one background thread up to ``depth`` ahead."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        _enter_worker(info)
        try:
            if loader.worker_init_fn is not None:
                loader.worker_init_fn(info.id)
            for batch in loader._batches():
                if stop.is_set():
                    return
                q.put(batch)
            q.put(done)
        except BaseException as exc:  # hand the error to the consumer
            q.put(exc)
        finally:
            _leave_worker()

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
        while thread.is_alive():  # unblock a worker waiting on a full queue, then let it end
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.01)
