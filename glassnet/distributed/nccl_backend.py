"""The ``"nccl"`` backend: collectives on CuPy arrays through ``cupy.cuda.nccl``.

NOT YET RUN ON A GPU: written from CuPy's documented NCCL API (``NcclCommunicator(ndev, uid,
rank)``, ``allReduce/bcast/allGather/reduceScatter(sendptr, recvptr, count, dtype, [op,]
stream)``) and kept import-safe: nothing here touches CuPy until ``init_process_group(
backend="nccl")`` is called. MPI (the ``"mpi"`` backend) starts the processes and hands rank 0's
NCCL unique id to the others; gradient buckets then stay on the device. Each rank uses GPU
``rank % device_count``.
"""

from __future__ import annotations

from glassnet._optional import require
from glassnet.distributed.mpi_backend import MPIBackend
from glassnet.distributed.reduce_op import ReduceOp


class NCCLWork:
    """An NCCL collective queued on the current stream; ``wait()`` synchronizes the stream."""

    def __init__(self, stream, finish=None, buffer=None):
        self._stream, self._finish, self._buffer = stream, finish, buffer

    def is_completed(self) -> bool:
        done = self._stream.done
        if done:
            self.wait()
        return done

    def wait(self, timeout=None) -> bool:
        self._stream.synchronize()
        if self._finish is not None:
            self._finish(self._buffer)
            self._finish = None
        return True


class NCCLBackend:
    name = "nccl"

    def __init__(self):
        cupy = require("cupy", "cuda")
        nccl = require("cupy.cuda.nccl", "cuda")
        self.cupy, self.nccl = cupy, nccl
        self.mpi = MPIBackend()  # bootstrap: process launch, rank, world size, unique id
        self.rank, self.size = self.mpi.rank, self.mpi.size
        cupy.cuda.Device(self.rank % cupy.cuda.runtime.getDeviceCount()).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.mpi.comm.bcast(uid, root=0)
        self.comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self._ops = {
            ReduceOp.SUM: nccl.NCCL_SUM,
            ReduceOp.AVG: nccl.NCCL_SUM,  # then divided: NCCL_AVG needs NCCL >= 2.10
            ReduceOp.MAX: nccl.NCCL_MAX,
            ReduceOp.MIN: nccl.NCCL_MIN,
            ReduceOp.PRODUCT: nccl.NCCL_PROD,
        }
        self._types = {
            "float16": nccl.NCCL_FLOAT16,
            "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64,
            "int32": nccl.NCCL_INT32,
            "int64": nccl.NCCL_INT64,
            "uint8": nccl.NCCL_UINT8,
            "int8": nccl.NCCL_INT8,
        }

    def device_buffer(self, array):
        buf = self.cupy.ascontiguousarray(self.cupy.asarray(array))
        if buf.dtype.name not in self._types:
            raise TypeError(
                f"the nccl backend cannot reduce {buf.dtype} tensors; use one of "
                f"{sorted(self._types)}"
            )
        return buf

    def _stream(self):
        return self.cupy.cuda.get_current_stream()

    def iallreduce(self, buf, op: ReduceOp, finish=None):
        stream = self._stream()
        dtype = self._types[buf.dtype.name]
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, self._ops[op], stream.ptr)
        if op is ReduceOp.AVG:
            buf /= self.size  # queued on the same stream, after the reduction
        return NCCLWork(stream, finish, buf)

    def allreduce(self, buf, op: ReduceOp):
        self.iallreduce(buf, op).wait()
        return buf

    def broadcast(self, buf, src: int):
        stream = self._stream()
        self.comm.bcast(buf.data.ptr, buf.size, self._types[buf.dtype.name], src, stream.ptr)
        stream.synchronize()
        return buf

    def allgather(self, buf):
        out = self.cupy.empty((self.size, *buf.shape), dtype=buf.dtype)
        stream = self._stream()
        dtype = self._types[buf.dtype.name]
        self.comm.allGather(buf.data.ptr, out.data.ptr, buf.size, dtype, stream.ptr)
        stream.synchronize()
        return out

    def reduce_scatter(self, stacked, op: ReduceOp):
        stacked = self.cupy.ascontiguousarray(stacked)
        out = self.cupy.empty(stacked.shape[1:], dtype=stacked.dtype)
        stream = self._stream()
        dtype = self._types[stacked.dtype.name]
        self.comm.reduceScatter(
            stacked.data.ptr, out.data.ptr, out.size, dtype, self._ops[op], stream.ptr
        )
        if op is ReduceOp.AVG:
            out /= self.size
        stream.synchronize()
        return out

    def barrier(self):
        self._stream().synchronize()
        self.mpi.barrier()

    def close(self):
        self.comm = None
        self.mpi.close()
