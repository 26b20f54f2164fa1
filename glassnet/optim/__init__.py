"""glassnet.optim: optimizers and learning-rate schedulers with PyTorch's names and updates."""

from glassnet.optim import lr_scheduler
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.adaptive import Adadelta, Adagrad, Adamax, NAdam, RMSprop
from glassnet.optim.lbfgs import LBFGS
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adamax",
    "NAdam",
    "LBFGS",
    "lr_scheduler",
]
