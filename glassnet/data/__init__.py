"""glassnet.data: datasets, loaders, splits, preprocessing, transforms and tokenizers."""

from glassnet.data import transforms
from glassnet.data.dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    default_collate,
)
from glassnet.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from glassnet.data.preprocessing import (
    LabelEncoder,
    MinMaxScaler,
    SimpleImputer,
    StandardScaler,
    one_hot,
)
from glassnet.data.splitting import KFold, StratifiedKFold, train_val_test_split
from glassnet.data.text import (
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    pad_sequences,
)

__all__ = [
    "BatchSampler",
    "CharTokenizer",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "KFold",
    "LabelEncoder",
    "MinMaxScaler",
    "RandomSampler",
    "SequentialSampler",
    "SimpleImputer",
    "StandardScaler",
    "StratifiedKFold",
    "Subset",
    "TensorDataset",
    "Tokenizer",
    "WordTokenizer",
    "default_collate",
    "one_hot",
    "pad_sequences",
    "random_split",
    "train_val_test_split",
    "transforms",
]
