"""``torch.utils.data.dataloader``: DataLoader and its helpers (from ``glassnet.data``)."""

from glassnet.data.dataloader import DataLoader, default_collate, default_convert
from glassnet.data.worker import WorkerInfo, get_worker_info

__all__ = ["DataLoader", "WorkerInfo", "default_collate", "default_convert", "get_worker_info"]
