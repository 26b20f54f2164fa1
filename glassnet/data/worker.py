"""``get_worker_info()``: which loading worker runs the current code, as in PyTorch.

glassnet loads data in the training process: with ``num_workers > 0`` a DataLoader prepares
batches on one background thread (its single worker, id 0) instead of worker processes. Inside
that thread, ``get_worker_info()`` describes it, so code that splits an IterableDataset among
workers sees one worker and keeps all the data; everywhere else it returns None, as in
PyTorch's main process.

>>> from glassnet.data import get_worker_info
>>> get_worker_info() is None
True
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """The worker running the current code: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


def get_worker_info():
    """The ``WorkerInfo`` of the loading worker this runs in, or None outside one."""
    return getattr(_local, "info", None)


def _enter_worker(info):
    _local.info = info


def _leave_worker():
    _local.info = None
