"""Callbacks: code run at fixed points of ``Trainer.fit`` (see ``Callback`` for the hooks).

>>> from glassnet.train.callbacks import EarlyStopping
>>> EarlyStopping(patience=3).mode
'min'
"""

from glassnet.train.callbacks.base import Callback, CallbackList
from glassnet.train.callbacks.csv_logger import CSVLogger
from glassnet.train.callbacks.early_stopping import EarlyStopping
from glassnet.train.callbacks.lambda_callback import LambdaCallback
from glassnet.train.callbacks.lr_scheduler import LRSchedulerCallback, ReduceLROnPlateau
from glassnet.train.callbacks.model_checkpoint import ModelCheckpoint
from glassnet.train.callbacks.progress_bar import ProgressBar
from glassnet.train.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "LambdaCallback",
    "LRSchedulerCallback",
    "ReduceLROnPlateau",
    "ModelCheckpoint",
    "ProgressBar",
    "TerminateOnNaN",
]
