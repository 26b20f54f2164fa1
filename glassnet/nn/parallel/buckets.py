"""Gradient buckets for DistributedDataParallel: parameters grouped (newest first, as their
gradients arrive during backward) into flat buffers of at most ``cap`` bytes, one all-reduce each.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend

# PyTorch starts with a small bucket so the first all-reduce starts early in the backward pass.
FIRST_BUCKET_BYTES = 1024 * 1024


class Bucket:
    """Some parameters' gradients, side by side in one flat buffer."""

    def __init__(self, params, dtype, xp):
        self.params = params
        self.sizes = [int(p._data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        self.buffer = xp.zeros(self.offsets[-1], dtype=dtype)
        self.ready = 0
        self.work = None

    def put(self, index, grad_array):
        """Copy parameter ``index``'s full local gradient (None: zeros) into its slice."""
        a, b = self.offsets[index], self.offsets[index + 1]
        if grad_array is None:
            self.buffer[a:b] = 0
            return
        host = self.buffer.__class__ is np.ndarray
        src = backend.to_numpy(grad_array) if host else grad_array
        self.buffer[a:b] = src.reshape(-1)

    def slice_for(self, index, shape):
        a, b = self.offsets[index], self.offsets[index + 1]
        return self.buffer[a:b].reshape(shape)


def assign_buckets(params, cap_bytes, first_bytes=FIRST_BUCKET_BYTES):
    """Lists of parameters, in reverse registration order (the order backward reaches them),
    grouped by dtype and device, each list at most ``cap_bytes`` (a parameter larger than the
    cap gets a bucket of its own); the first bucket is capped at ``first_bytes``.

    >>> import glassnet
    >>> ps = [glassnet.nn.Parameter(glassnet.zeros(n)) for n in (4, 4, 4)]
    >>> [len(b) for b in assign_buckets(ps, cap_bytes=32, first_bytes=32)]  # 16 bytes each
    [2, 1]
    """
    groups = {}
    order = []
    for p in reversed(list(params)):
        key = (p._data.dtype.str, backend.device_of(p._data))
        if key not in groups:
            groups[key] = [[]]
            order.append(key)
        current = groups[key][-1]
        limit = first_bytes if len(groups[key]) == 1 else cap_bytes
        size = sum(q._data.nbytes for q in current)
        if current and size + p._data.nbytes > limit:
            groups[key].append([p])
        else:
            current.append(p)
    return [bucket for key in order for bucket in groups[key]]
