"""The default process group: which backend this process talks through, its rank and size.

``init_process_group("mpi")`` works both under ``glassnet run -n N`` (or any ``mpiexec``) and in
a plain ``python script.py``, where MPI starts as a world of one, so one script serves both.
"""

from __future__ import annotations

from glassnet.errors import GlassnetError

_BACKENDS = ("mpi", "nccl")
_state = {"backend": None}


class DistributedError(GlassnetError, RuntimeError):
    """A collective called in a state that cannot work (no process group, bad rank...)."""


def init_process_group(
    backend="mpi",
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    """Join the default process group (PyTorch's signature).

    ``backend``: ``"mpi"`` (CPU, NumPy buffers, through mpi4py) or ``"nccl"`` (GPU, CuPy
    buffers; see ``glassnet.distributed.nccl_backend``). ``"gloo"`` is accepted as PyTorch
    scripts spell the CPU backend and runs on MPI. The processes, their ranks and the world size
    come from the MPI launcher (``glassnet run -n N``), so ``init_method``, ``world_size`` and
    ``rank`` need not be given; when given they must agree with it. ``timeout`` is accepted for
    compatibility; a hung job is ended by ``glassnet run --timeout``.
    """
    if _state["backend"] is not None:
        raise DistributedError(
            "init_process_group: the default process group is already initialized; call "
            "destroy_process_group() first."
        )
    name = str(backend).lower()
    if name == "gloo":
        name = "mpi"
    if name not in _BACKENDS:
        raise ValueError(
            f"init_process_group: unknown backend {backend!r}; glassnet has 'mpi' (CPU) and "
            "'nccl' (GPU through CuPy)."
        )
    if name == "nccl":
        from glassnet.distributed.nccl_backend import NCCLBackend

        impl = NCCLBackend()
    else:
        from glassnet.distributed.mpi_backend import MPIBackend

        impl = MPIBackend()
    for label, given, actual in (("world_size", world_size, impl.size), ("rank", rank, impl.rank)):
        if given not in (-1, None) and int(given) != actual:
            impl.close()
            raise DistributedError(
                f"init_process_group: {label}={given} was given but the MPI launcher started "
                f"this process with {label}={actual}; drop the argument or launch with "
                "'glassnet run -n N'."
            )
    _state["backend"] = impl


def is_available() -> bool:
    """True when mpi4py can be imported (the ``[dist]`` extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    return _state["backend"] is not None


def is_mpi_available() -> bool:
    return is_available()


def is_nccl_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("cupy") is not None


def current() -> object:
    """The backend object of the default group, or a DistributedError that says what to do."""
    impl = _state["backend"]
    if impl is None:
        raise DistributedError(
            "Default process group has not been initialized, please make sure to call "
            "glassnet.distributed.init_process_group('mpi') first."
        )
    return impl


def get_backend(group=None) -> str:
    return current().name


def get_rank(group=None) -> int:
    return current().rank


def get_world_size(group=None) -> int:
    return current().size


def barrier(group=None, async_op=False, device_ids=None):
    current().barrier()


def destroy_process_group(group=None):
    """Leave the default group (a no-op when none is initialized)."""
    impl, _state["backend"] = _state["backend"], None
    if impl is not None:
        impl.close()
