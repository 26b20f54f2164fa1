"""The ``"mpi"`` backend: collectives on NumPy arrays through mpi4py (the ``[dist]`` extra).

Every rank calls the same collectives in the same order, as MPI requires. CuPy arrays are
copied to the host and back (the MPICH wheel is not CUDA-aware); use ``backend="nccl"`` to keep
GPU buffers on the device. float16/bfloat16 are reduced in float32 (MPI has no half type),
then rounded back once, which is at least as accurate as reducing in half precision.
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require
from glassnet.distributed.reduce_op import ReduceOp

_WIDEN = {"float16", "bfloat16"}


def _mpi():
    return require("mpi4py.MPI", "dist")


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` finishes it and writes the result.

    ``finish`` is called once with the reduced buffer, after MPI has completed the request."""

    def __init__(self, request, buffer, finish):
        self._request, self._buffer, self._finish = request, buffer, finish
        self._done = request is None

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish(self._buffer)
            self._finish = None


class MPIBackend:
    """One MPI communicator (a duplicate of COMM_WORLD, so user MPI code cannot interleave)."""

    name = "mpi"

    def __init__(self):
        MPI = _mpi()
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self._ops = {
            ReduceOp.SUM: MPI.SUM,
            ReduceOp.AVG: MPI.SUM,
            ReduceOp.MAX: MPI.MAX,
            ReduceOp.MIN: MPI.MIN,
            ReduceOp.PRODUCT: MPI.PROD,
        }

    # Buffers: a C-contiguous NumPy array MPI can read and write.
    @staticmethod
    def host_buffer(array) -> tuple[np.ndarray, bool]:
        """(buffer, widened): a contiguous host copy in a dtype MPI knows."""
        host = array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array
        widened = host.dtype.name in _WIDEN
        if widened:
            host = host.astype(np.float32)
        return np.ascontiguousarray(host), widened

    def _finish_avg(self, op, buf):
        if op is ReduceOp.AVG:
            buf /= self.size
        return buf

    def iallreduce(self, buf: np.ndarray, op: ReduceOp, finish=None) -> Work:
        """Start a sum/max/... over ranks of ``buf`` in place; ``finish(buf)`` runs on wait."""
        if op is ReduceOp.AVG and buf.dtype.kind not in "fc":
            raise TypeError(
                f"all_reduce with ReduceOp.AVG needs a floating tensor, got {buf.dtype}"
            )
        if self.size == 1:
            work = Work(None, buf, None)
            self._finish_avg(op, buf)
            if finish is not None:
                finish(buf)
            return work
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self._ops[op])

        def done(b):
            self._finish_avg(op, b)
            if finish is not None:
                finish(b)

        return Work(request, buf, done)

    def allreduce(self, buf: np.ndarray, op: ReduceOp) -> np.ndarray:
        self.iallreduce(buf, op).wait()
        return buf

    def broadcast(self, buf: np.ndarray, src: int) -> np.ndarray:
        self.comm.Bcast(buf, root=src)
        return buf

    def allgather(self, buf: np.ndarray) -> np.ndarray:
        out = np.empty((self.size, *buf.shape), dtype=buf.dtype)
        self.comm.Allgather(buf, out)
        return out

    def reduce_scatter(self, stacked: np.ndarray, op: ReduceOp) -> np.ndarray:
        """``stacked[r]`` is this rank's contribution to rank r's result."""
        out = np.empty(stacked.shape[1:], dtype=stacked.dtype)
        if self.size == 1:
            out[...] = stacked[0]
        else:
            self.comm.Reduce_scatter_block(stacked, out, op=self._ops[op])
        return self._finish_avg(op, out)

    def barrier(self):
        self.comm.Barrier()

    def close(self):
        if self.comm is not None:
            self.comm.Free()
            self.comm = None
