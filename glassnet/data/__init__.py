"""glassnet.data: datasets, loaders, splits, preprocessing, transforms and tokenizers."""

from glassnet.data import transforms
from glassnet.data.dataloader import DataLoader, default_collate, default_convert
from glassnet.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from glassnet.data.distributed import DistributedSampler
from glassnet.data.preprocessing import (
    LabelEncoder,
    MinMaxScaler,
    SimpleImputer,
    StandardScaler,
    one_hot,
)
from glassnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from glassnet.data.splitting import KFold, StratifiedKFold, train_val_test_split
from glassnet.data.text import (
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    pad_sequences,
)
from glassnet.data.worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "DistributedSampler",
    "ChainDataset",
    "CharTokenizer",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "KFold",
    "LabelEncoder",
    "MinMaxScaler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SimpleImputer",
    "StackDataset",
    "StandardScaler",
    "StratifiedKFold",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "Tokenizer",
    "WeightedRandomSampler",
    "WordTokenizer",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "one_hot",
    "pad_sequences",
    "random_split",
    "train_val_test_split",
    "transforms",
]
