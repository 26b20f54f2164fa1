"""``torch.utils.data.distributed``: ``DistributedSampler`` (from ``glassnet.data``)."""

from glassnet.data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
