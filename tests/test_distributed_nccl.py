"""The nccl backend's calls into ``cupy.cuda.nccl``, checked without a GPU.

A stand-in for CuPy (NumPy arrays that expose ``.data.ptr``) and for its NCCL module, whose
communicator methods have CuPy's own signatures (from cupy/cuda/nccl.pyx: pointers, an element
count, an NCCL dtype code, [an op,] a stream pointer) and do a world of one's collectives on
the arrays behind the pointers. A wrong argument order, a byte count for an element count or a
wrong dtype code fails here; what a GPU adds (NCCL itself) is left to benchmarks/nccl_smoke.py.
One real MPI process (mpi4py) does the bootstrap, as under ``glassnet run -n 1``.
"""

import sys
import types

import mpi4py  # noqa: F401 - a pinned test dependency: the bootstrap runs on real MPI
import numpy as np
import pytest

import glassnet
import glassnet.distributed as dist

CODES = dict(int8=0, uint8=1, int32=2, int64=4, float16=6, float32=7, float64=8)
OPS = dict(sum=0, prod=1, max=2, min=3)


class FakeArray(np.ndarray):
    """A NumPy array with CuPy's ``.data.ptr``; the pointer finds the array again."""

    registry = {}

    @property
    def data(self):
        ptr = self.__array_interface__["data"][0]
        FakeArray.registry[ptr] = self
        return types.SimpleNamespace(ptr=ptr)


def _fake(a):
    return np.asarray(a).view(FakeArray)


class Stream:
    ptr, done = 0, True

    def synchronize(self):
        pass


def _fake_cupy(calls):
    cupy = types.ModuleType("cupy")
    cuda = types.ModuleType("cupy.cuda")
    nccl = types.ModuleType("cupy.cuda.nccl")
    cupy.ndarray = FakeArray
    cupy.asarray = lambda a: a if isinstance(a, FakeArray) else _fake(np.array(a))
    cupy.ascontiguousarray = lambda a: _fake(np.ascontiguousarray(a))
    cupy.empty = lambda shape, dtype: _fake(np.empty(shape, dtype))
    cupy.stack = lambda arrays: _fake(np.stack(arrays))
    cupy.cuda = cuda
    cuda.nccl = nccl
    cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    cuda.get_current_stream = Stream

    class Device:
        def __init__(self, i):
            self.i = i

        def use(self):
            calls.append(("device", self.i))

    cuda.Device = Device
    for name, code in CODES.items():
        setattr(nccl, f"NCCL_{name.upper()}", code)
    for name, code in OPS.items():
        setattr(nccl, f"NCCL_{name.upper()}", code)
    nccl.get_unique_id = lambda: tuple(range(128))

    def arr(ptr, count, datatype):
        a = FakeArray.registry[ptr]
        assert a.size == count, f"count {count} for an array of {a.size} elements"
        assert CODES[a.dtype.name] == datatype, f"dtype code {datatype} for {a.dtype}"
        return a

    class NcclCommunicator:  # CuPy's signatures; a world of one
        def __init__(self, ndev: int, commId: tuple, rank: int):
            assert isinstance(commId, tuple) and len(commId) == 128
            calls.append(("init", ndev, rank))

        def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
            calls.append(("allReduce", op))
            arr(recvbuf, count, datatype)[...] = arr(sendbuf, count, datatype)

        def bcast(self, buff, count, datatype, root, stream):
            calls.append(("bcast", root))
            arr(buff, count, datatype)

        def allGather(self, sendbuf, recvbuf, count, datatype, stream):
            calls.append(("allGather",))
            out = FakeArray.registry[recvbuf]
            assert out.size == count  # count: elements per rank (one rank here)
            out.reshape(-1)[...] = arr(sendbuf, count, datatype).reshape(-1)

        def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
            calls.append(("reduceScatter", op))
            out = arr(recvbuf, recvcount, datatype)
            out[...] = FakeArray.registry[sendbuf].reshape(out.shape)

        def destroy(self):
            calls.append(("destroy",))

    nccl.NcclCommunicator = NcclCommunicator
    return {"cupy": cupy, "cupy.cuda": cuda, "cupy.cuda.nccl": nccl}


@pytest.fixture
def nccl_world(monkeypatch):
    calls = []
    for name, module in _fake_cupy(calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    dist.init_process_group("nccl")
    try:
        yield calls
    finally:
        dist.destroy_process_group()


def test_collectives_call_nccl_with_cupys_signatures(nccl_world):
    calls = nccl_world
    assert calls[:2] == [("device", 0), ("init", 1, 0)]  # GPU of local rank 0, world of one
    x = np.array([1.5, -2.0, 4.0], dtype=np.float32)
    for op, code in [(dist.ReduceOp.SUM, 0), (dist.ReduceOp.MAX, 2), (dist.ReduceOp.AVG, 0)]:
        t = glassnet.tensor(x)
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), x)  # a world of one: the value itself
        assert calls[-1] == ("allReduce", code)  # AVG: a sum, then divided by the world
    t = glassnet.tensor(np.arange(6, dtype=np.int64).reshape(2, 3))
    dist.broadcast(t, src=0)
    assert calls[-1] == ("bcast", 0)
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3))
    out = [glassnet.zeros(3, dtype=glassnet.float64)]
    dist.all_gather(out, glassnet.tensor(x.astype(np.float64)))
    assert calls[-1] == ("allGather",)
    np.testing.assert_array_equal(out[0].numpy(), x)
    got = glassnet.zeros(3)
    dist.reduce_scatter(got, [glassnet.tensor(x)])
    assert calls[-1] == ("reduceScatter", 0)
    np.testing.assert_array_equal(got.numpy(), x)


def test_nccl_refuses_what_it_cannot_reduce(nccl_world):
    with pytest.raises(TypeError, match="averages floating tensors only, got int64"):
        dist.all_reduce(glassnet.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="cannot reduce bool tensors"):
        dist.all_reduce(glassnet.tensor([True, False]))


def test_destroy_releases_the_communicator(monkeypatch):
    calls = []
    for name, module in _fake_cupy(calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    dist.init_process_group("nccl")
    dist.destroy_process_group()
    assert calls[-1] == ("destroy",) and not dist.is_initialized()
