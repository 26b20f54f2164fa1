"""``DistributedSampler``: each process of a data-parallel job reads its own share of a
dataset (``torch.utils.data.distributed.DistributedSampler``'s split and padding rules).

The dataset's indices (shuffled with ``seed + epoch`` when ``shuffle``) are padded by repeating
the first ones until they divide evenly among the ``num_replicas`` ranks (or cut to the largest
multiple with ``drop_last``); rank r then takes every ``num_replicas``-th index starting at r.

>>> [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False)) for r in (0, 1)]
[[0, 2, 4], [1, 3, 0]]
>>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False, drop_last=True))
[1, 3]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Indices of this rank's share of ``dataset``. Call ``set_epoch(epoch)`` before each epoch
    so the shuffle differs between epochs (and agrees between ranks).

    ``num_replicas`` and ``rank`` default to the world size and rank of the process group
    (``glassnet.distributed.init_process_group`` must then have been called).

    The shuffle is a permutation drawn by NumPy's PCG64 generator seeded with ``seed + epoch``,
    the same on every rank; it is not the permutation torch's generator draws for that seed.
    """

    def __init__(
        self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False
    ):
        if num_replicas is None or rank is None:
            from glassnet import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: pass num_replicas= and rank=, or call "
                    "glassnet.distributed.init_process_group() first."
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # the largest share every rank can have without repeating a sample
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            rng = np.random.default_rng(self.seed + self.epoch)
            indices = rng.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:  # fewer samples than ranks: repeat the whole list as often as needed
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffle's seed (the same value on every rank)."""
        self.epoch = epoch
