"""glassnet.train: the training layer. Trainer (fit / evaluate / predict), History, callbacks,
full training checkpoints, glassnet.fit (one call) and glassnet.summary (a table of layers).

>>> from glassnet.train import Trainer, EarlyStopping
>>> EarlyStopping(monitor="val_accuracy").mode
'max'
"""

import importlib

from glassnet.train import callbacks
from glassnet.train.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from glassnet.train.checkpoint import load_checkpoint, save_checkpoint
from glassnet.train.divergence import TrainingDivergedError
from glassnet.train.fit import fit
from glassnet.train.history import History
from glassnet.train.lr_finder import LRFindResult, lr_find
from glassnet.train.summary import ModelSummary, summary
from glassnet.train.trainer import Trainer

__all__ = [
    "Trainer",
    "TrainingDivergedError",
    "History",
    "fit",
    "lr_find",
    "LRFindResult",
    "summary",
    "ModelSummary",
    "save_checkpoint",
    "load_checkpoint",
    "callbacks",
    "metrics",
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "LambdaCallback",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


def __getattr__(name):
    # glassnet.train.metrics is imported on first use, keeping `import glassnet` light.
    if name == "metrics":
        return importlib.import_module("glassnet.train.metrics")
    raise AttributeError(f"module 'glassnet.train' has no attribute {name!r}")
