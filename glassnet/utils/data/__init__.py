"""``torch.utils.data`` for glassnet: the same objects as ``glassnet.data``, under PyTorch's
module path, so ``from torch.utils.data import DataLoader, Dataset`` carries over.

>>> from glassnet.utils.data import DataLoader, TensorDataset, random_split
>>> import glassnet
>>> train, val = random_split(TensorDataset(glassnet.arange(10)), [8, 2])
>>> len(DataLoader(train, batch_size=3))
3
"""

from glassnet.utils.data.dataloader import (
    DataLoader,
    default_collate,
    default_convert,
    get_worker_info,
)
from glassnet.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from glassnet.utils.data.distributed import DistributedSampler
from glassnet.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "DistributedSampler",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
