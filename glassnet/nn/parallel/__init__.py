"""``glassnet.nn.parallel``: ``DistributedDataParallel`` (data parallelism over processes, see
``glassnet.distributed``) and ``DataParallel`` (single process: runs the module as is)."""

from glassnet.nn.parallel.data_parallel import DataParallel
from glassnet.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
