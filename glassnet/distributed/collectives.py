"""Collectives on glassnet tensors, with ``torch.distributed``'s names and in-place semantics.

Every rank of the group must call the same collectives in the same order. ``all_reduce``,
``broadcast`` write into the tensor given; ``all_gather`` fills a list; ``reduce_scatter``
writes its output. ``async_op=True`` returns a work object whose ``wait()`` finishes the call.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend as gbackend
from glassnet.distributed.process_group import DistributedError, current
from glassnet.distributed.reduce_op import ReduceOp, as_reduce_op
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor


def _check_tensor(fn, tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a glassnet Tensor, got {type(tensor).__name__}")


def buffer_of(impl, array):
    """(buffer the backend can use in place, whether it is ``array`` itself)."""
    if impl.name == "nccl":
        buf = impl.device_buffer(array)
        return buf, buf is array
    if isinstance(array, np.ndarray) and array.flags.c_contiguous and array.dtype.kind in "biuf":
        if array.dtype.name not in ("float16", "bfloat16"):
            return array, True
    buf, _ = impl.host_buffer(array)
    return buf, False


def write_back(tensor, buf, same):
    """Put a collective's result into ``tensor`` (its dtype and device) and bump its version."""
    if same:
        tensor._version[0] += 1
        return
    data = tensor._data
    result = gbackend.to_device(buf, gbackend.device_of(data)).astype(data.dtype, copy=False)
    data[...] = result
    tensor._version[0] += 1


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks (sum by default) and write the result into it on every
    rank.

    >>> import glassnet, glassnet.distributed as dist         # doctest: +SKIP
    >>> dist.init_process_group("mpi")                          # doctest: +SKIP
    >>> t = glassnet.tensor([float(dist.get_rank() + 1)])       # doctest: +SKIP
    >>> dist.all_reduce(t); t                                   # doctest: +SKIP
    tensor([3.])  # with 2 ranks: 1 + 2
    """
    _check_tensor("all_reduce", tensor)
    impl = current()
    buf, same = buffer_of(impl, tensor._data)
    work = impl.iallreduce(buf, as_reduce_op(op), finish=lambda b: write_back(tensor, b, same))
    if async_op:
        return work
    work.wait()
    return None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    _check_tensor("broadcast", tensor)
    impl = current()
    if not 0 <= src < impl.size:
        raise DistributedError(f"broadcast: src={src} is not a rank of a world of {impl.size}")
    buf, same = buffer_of(impl, tensor._data)
    impl.broadcast(buf, src)
    write_back(tensor, buf, same)
    return _Done() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (the list holds world-size tensors of
    ``tensor``'s shape, as in PyTorch)."""
    _check_tensor("all_gather", tensor)
    impl = current()
    _check_list("all_gather", "tensor_list", tensor_list, tensor.shape, impl.size)
    buf, _ = buffer_of(impl, tensor._data)
    gathered = impl.allgather(buf)
    for r, out in enumerate(tensor_list):
        write_back(out, gathered[r], False)
    return _Done() if async_op else None


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """``output_tensor`` (world size times the input's first dim) gets every rank's input,
    concatenated along dim 0."""
    impl = current()
    buf, _ = buffer_of(impl, input_tensor._data)
    gathered = impl.allgather(buf)
    want = (impl.size * buf.shape[0], *buf.shape[1:]) if buf.ndim else (impl.size,)
    if tuple(output_tensor.shape) != want:
        raise ShapeError(
            f"all_gather_into_tensor: output of shape {tuple(output_tensor.shape)}, expected "
            f"{want} (world size {impl.size} x input {tuple(buf.shape)})"
        )
    write_back(output_tensor, gathered.reshape(want), False)
    return _Done() if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r's ``output`` gets the reduction over ranks of their ``input_list[r]``."""
    _check_tensor("reduce_scatter", output)
    impl = current()
    _check_list("reduce_scatter", "input_list", input_list, output.shape, impl.size)
    if impl.name == "nccl":  # stacked on the device: GPU tensors never visit the host
        stacked = impl.cupy.stack([impl.device_buffer(t._data) for t in input_list])
    else:
        stacked = np.stack([gbackend.to_numpy(t._data) for t in input_list])
        stacked, _ = impl.host_buffer(stacked)
    result = impl.reduce_scatter(stacked, as_reduce_op(op))
    write_back(output, result, False)
    return _Done() if async_op else None


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """Like reduce_scatter with the inputs given as one tensor split along dim 0."""
    impl = current()
    parts = input._data.reshape(impl.size, *output.shape)
    return reduce_scatter(output, [Tensor._make(p) for p in parts], op, group, async_op)


def _check_list(fn, name, tensors, shape, size):
    if len(tensors) != size:
        raise DistributedError(
            f"{fn}: {name} has {len(tensors)} tensors, expected one per rank ({size})"
        )
    for i, t in enumerate(tensors):
        if tuple(t.shape) != tuple(shape):
            raise ShapeError(
                f"{fn}: {name}[{i}] has shape {tuple(t.shape)}, expected {tuple(shape)} "
                "(the shape of the local tensor)"
            )


class _Done:
    """The work object of a collective that already finished."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True
