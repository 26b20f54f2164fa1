"""``DistributedDataParallel``: the same model on every process, gradients averaged over the
processes after each backward, so every replica takes the same optimizer step.

How the gradients travel: parameters are grouped into buckets of at most ``bucket_cap_mb``
(newest layers first, the order backward reaches them). During backward, an engine hook tells
DDP each time a layer sends a parameter its gradient; once a parameter has received all of the
shares the forward pass recorded, its gradient goes into its bucket, and once a bucket is full
its all-reduce starts (non-blocking) while backward continues with the earlier layers. After the
last gradient is accumulated, DDP waits for the buckets and writes the averages into ``.grad``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from glassnet import backend, grad_mode
from glassnet import distributed as dist
from glassnet.distributed.collectives import write_back
from glassnet.distributed.process_group import DistributedError, current
from glassnet.distributed.reduce_op import ReduceOp
from glassnet.nn.module import Module
from glassnet.nn.parallel.buckets import FIRST_BUCKET_BYTES, Bucket, assign_buckets
from glassnet.tensor import Tensor
from glassnet.tensor_tree import tensors_in

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training (PyTorch's arguments; ``device_ids``,
    ``output_device``, ``dim`` and ``static_graph`` are accepted and unused).

    Call ``glassnet.distributed.init_process_group`` first. The replicas start from rank 0's
    weights (broadcast here). ``state_dict()`` keys carry the ``module.`` prefix, as in
    PyTorch; save ``ddp.module.state_dict()`` on rank 0 for a checkpoint that loads into the
    bare model. ``no_sync()`` skips the all-reduce for gradient accumulation.

    >>> import glassnet, glassnet.distributed as dist       # doctest: +SKIP
    >>> dist.init_process_group("mpi")                        # doctest: +SKIP
    >>> ddp = DistributedDataParallel(glassnet.nn.Linear(4, 2))  # doctest: +SKIP
    >>> ddp(glassnet.randn(8, 4)).sum().backward()            # doctest: +SKIP
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        **kwargs,
    ):
        super().__init__()
        self.module = module
        impl = current()
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_cap_mb = cap_mb
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = {id(p): n for n, p in named}
        params = [p for _, p in named]
        with grad_mode.no_grad():
            for t in [*module.parameters(), *module.buffers()]:
                dist.broadcast(t, src=0)
        cap = int(cap_mb * 1024 * 1024)
        self._buckets = []
        self._where = {}  # id(param) -> (bucket, index in bucket)
        for group in assign_buckets(params, cap, min(cap, FIRST_BUCKET_BYTES)):
            dtype = group[0]._data.dtype
            if impl.name == "mpi":
                xp = np
                if dtype.name in ("float16", "bfloat16"):
                    dtype = np.dtype(np.float32)  # MPI has no half type: reduce in float32
            else:
                xp = backend.get_array_module(group[0]._data)
            bucket = Bucket(group, dtype, xp)
            for i, p in enumerate(group):
                self._where[id(p)] = (bucket, i)
            self._buckets.append(bucket)
        self._impl = impl
        self._active = False
        self._hook_handles = []
        for p in params:
            p.__dict__["_grad_edge_hook"] = self._on_edge
            self._hook_handles.append(p.register_post_accumulate_grad_hook(self._on_accumulated))

    # ---- forward: record how many gradient shares each parameter will receive ---------------
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self._impl.size > 1:
            with grad_mode.no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, src=0)
        out = self.module(*inputs, **kwargs)
        self._active = False
        if self.require_backward_grad_sync and grad_mode.is_grad_enabled() and self._where:
            self._prepare(out)
        return out

    def _prepare(self, out):
        expected = {key: 0 for key in self._where}
        seen, stack = set(), [t.grad_fn for t in tensors_in(out) if t.grad_fn is not None]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            for parent in fn._next:
                if parent is None:
                    continue
                if parent._is_node:
                    stack.append(parent)
                elif id(parent) in expected:
                    expected[id(parent)] += 1
        self._expected = expected
        self._arrived = dict.fromkeys(expected, 0)
        self._final = {}  # id(param) -> the count of shares its bucket slot was filled with
        unused = [k for k, n in expected.items() if n == 0]
        if unused and not self.find_unused_parameters:
            names = ", ".join(self._names[k] for k in unused[:5])
            raise DistributedError(
                f"DistributedDataParallel: parameters {names} were not used to compute the "
                "output, so their gradients would never be all-reduced. Pass "
                "find_unused_parameters=True to DistributedDataParallel, or remove them."
            )
        self._waiting = len(expected) - len(unused)  # post-accumulate hooks still to come
        self._next_bucket = 0
        for bucket in self._buckets:
            bucket.ready, bucket.work = 0, None
        self._active = True
        for key in unused:  # their local gradient (zero if none) joins the average
            bucket, i = self._where[key]
            p = bucket.params[i]
            self._fill(bucket, i, p, None)
        if not self._waiting:
            self._active = False

    # ---- backward hooks ----------------------------------------------------------------------
    def _on_edge(self, param, grad_so_far):
        if not self._active:
            return
        key = id(param)
        self._arrived[key] += 1
        if self._next_bucket:  # MPI advances a started all-reduce only when entered: nudge it
            work = self._buckets[self._next_bucket - 1].work
            if work is not None and work != "redo":
                work.is_completed()
        if self._arrived[key] == self._expected[key]:
            bucket, i = self._where[key]
            self._fill(bucket, i, param, grad_so_far)

    def _fill(self, bucket, i, param, grad):
        """Put param's full local gradient (.grad so far plus this backward's) in the bucket."""
        old = param.grad
        if grad is None:
            full = None if old is None else old._data
        else:
            full = grad if old is None else old._data + grad
        bucket.put(i, full)
        self._final[id(param)] = self._arrived.get(id(param), 0)
        bucket.ready += 1
        self._launch_ready()

    def _launch_ready(self):
        # in bucket order on every rank: MPI and NCCL need the same collectives in the same order
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.ready < len(bucket.params):
                return
            bucket.work = self._impl.iallreduce(bucket.buffer, ReduceOp.AVG)
            self._next_bucket += 1

    def _on_accumulated(self, param):
        if not self._active:
            return
        self._waiting -= 1
        if self._waiting == 0:
            self._active = False
            self._finish()

    def _finish(self):
        for bucket in self._buckets:
            # a parameter whose slot was filled before all its shares arrived (it is also used
            # outside forward), or never filled (an op sent it no gradient): fill from .grad now
            for i, p in enumerate(bucket.params):
                key = id(p)
                if key not in self._final or self._final[key] != self._arrived[key]:
                    if bucket.work is not None:
                        bucket.work.wait()
                        bucket.work = "redo"
                    if key not in self._final:
                        bucket.ready += 1
                    self._final[key] = self._arrived[key]
                    bucket.put(i, None if p.grad is None else p.grad._data)
        for bucket in self._buckets:
            if bucket.work == "redo":
                bucket.work = self._impl.iallreduce(bucket.buffer, ReduceOp.AVG)
        self._launch_ready()
        for bucket in self._buckets:
            bucket.work.wait()
            for i, p in enumerate(bucket.params):
                avg = bucket.slice_for(i, p._data.shape)
                if p.grad is None:
                    avg = backend.to_device(avg, backend.device_of(p._data))
                    p.grad = Tensor._make(avg.astype(p._data.dtype, copy=True))
                else:
                    write_back(p.grad, avg, False)

    # ---- gradient accumulation ---------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forward/backward accumulate gradients locally with no communication; the
        first backward after it all-reduces the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
