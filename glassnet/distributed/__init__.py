"""``glassnet.distributed``: data-parallel training across processes, with PyTorch's names
(``torch.distributed``), on MPI (CPU) or NCCL (GPU). Needs the ``[dist]`` extra.

Launch a script on 4 processes with ``glassnet run -n 4 script.py``; in it::

    import glassnet.distributed as dist
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()

>>> from glassnet.distributed import ReduceOp, is_initialized
>>> is_initialized(), ReduceOp.AVG.name
(False, 'AVG')
"""

from glassnet.distributed.collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    reduce_scatter,
    reduce_scatter_tensor,
)
from glassnet.distributed.process_group import (
    DistributedError,
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from glassnet.distributed.reduce_op import ReduceOp

__all__ = [
    "DistributedError",
    "ReduceOp",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "reduce_scatter",
    "reduce_scatter_tensor",
]
