"""``DataParallel``: PyTorch's single-process multi-GPU wrapper, here running the module as is.

glassnet does not split a batch over several GPUs inside one process; ``DataParallel(model)``
just calls ``model`` (so scripts written for it run, on one device), and its ``state_dict``
keys carry the ``module.`` prefix as in PyTorch. For real data parallelism use
``DistributedDataParallel`` with ``glassnet run -n N``.

>>> import glassnet
>>> dp = DataParallel(glassnet.nn.Linear(3, 2))
>>> sorted(dp.state_dict())
['module.bias', 'module.weight']
>>> dp(glassnet.zeros(4, 3)).shape
glassnet.Size([4, 2])
"""

from __future__ import annotations

from glassnet.nn.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = device_ids
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
