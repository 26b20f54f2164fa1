"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch (or per batch for OneCycleLR), after
``optimizer.step()``. The formulas follow PyTorch's, including its recursive forms, so a
schedule gives the same learning rates step for step.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.zeros(1))
>>> opt = glassnet.optim.SGD([w], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]

The schedules live in one file per family (``step_schedules``, ``cyclic_schedules``,
``plateau``) on a shared base (``schedule_base``); this module gathers them under PyTorch's name
``glassnet.optim.lr_scheduler``.
"""

from glassnet.optim.cyclic_schedules import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
)
from glassnet.optim.plateau import ReduceLROnPlateau
from glassnet.optim.schedule_base import LRScheduler
from glassnet.optim.step_schedules import (
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    SequentialLR,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "LambdaLR",
    "SequentialLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]
