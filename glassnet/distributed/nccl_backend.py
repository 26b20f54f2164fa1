"""The ``"nccl"`` backend: collectives on CuPy arrays through ``cupy.cuda.nccl``.

NOT YET RUN ON A GPU: written from, and reviewed against, CuPy's NCCL API
(``NcclCommunicator(ndev, uid, rank)``; ``allReduce``, ``bcast``, ``allGather`` and
``reduceScatter`` take device pointers, an element count, an NCCL dtype code, [an op,] and a
stream pointer); tests/test_distributed_nccl.py checks those calls against a stand-in with
CuPy's signatures. Import-safe: nothing here touches CuPy until ``init_process_group(
backend="nccl")`` is called. MPI (the ``"mpi"`` backend) starts the processes and hands rank
0's NCCL unique id to the others; gradient buckets then stay on the device. Each rank uses the
GPU of its index among the ranks on its machine.
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
        cupy.cuda.Device(self._local_rank() % cupy.cuda.runtime.getDeviceCount()).use()
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

    def _local_rank(self):
        """This rank's index among the ranks on its machine: GPU i of each machine goes to
        its i-th rank, however mpiexec spread the ranks over the machines (``rank % count``
        would give two ranks one GPU when a machine holds fewer ranks than GPUs)."""
        MPI = self.mpi.MPI
        local = self.mpi.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        try:
            return local.Get_rank()
        finally:
            local.Free()

    def _check_avg(self, buf, op):
        # NCCL_AVG needs NCCL >= 2.10, so AVG is a sum divided afterwards; CuPy cannot divide
        # an integer buffer in place (PyTorch's gloo refuses AVG too)
        if op is ReduceOp.AVG and buf.dtype.kind in "iu":
            raise TypeError(
                f"the nccl backend averages floating tensors only, got {buf.dtype}; use "
                "ReduceOp.SUM and divide, or convert with .float()"
            )

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
        self._check_avg(buf, op)
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
        self._check_avg(stacked, op)
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
        if self.comm is not None:
            self._stream().synchronize()  # no collective may still use the communicator
            self.comm.destroy()
            self.comm = None
        self.mpi.close()
