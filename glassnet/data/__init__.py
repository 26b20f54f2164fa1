"""glassnet.data: datasets, loaders, splits, preprocessing, transforms and tokenizers."""

from glassnet.data.dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    default_collate,
)
from glassnet.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
