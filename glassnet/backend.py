"""Where arrays live: NumPy on the CPU, CuPy on NVIDIA GPUs.

The array decides. Every op asks ``xp = get_array_module(array)`` and then uses ``xp`` only, so
the same forward and backward code runs on both devices. This is the only module that imports
CuPy, and it does so lazily, the first time a GPU is asked for.

>>> import numpy as np
>>> get_array_module(np.zeros(3)) is np
True
>>> device_of(np.zeros(3))
'cpu'
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

from glassnet.errors import DeviceError

_cupy = None
_cupy_error: str | None = None


malloc_tuned = False  # whether keep_freed_memory() changed glibc's settings in this process


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the OS; True when
    it took effect (Linux with glibc), False elsewhere.

    Every training step allocates and frees the same large temporaries (activations, im2col
    patches, gradients). By default glibc hands blocks over a few hundred KiB back to the OS and
    page-faults them in again on the next step. Keeping them (as PyTorch's caching allocators
    do) holds resident memory at its high-water mark instead.

    This changes the allocator of the whole process, so importing glassnet never does it: a
    program that owns its process opts in. ``glassnet train`` and the other commands do (set
    ``GLASSNET_KEEP_FREED_MEMORY=0`` to stop them); a script calls this function, or sets
    ``GLASSNET_KEEP_FREED_MEMORY=1`` before importing glassnet. There is no way back short of
    a new process, so call it once, at start-up.

    >>> isinstance(keep_freed_memory(), bool)
    True
    """
    global malloc_tuned
    if malloc_tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_trim_threshold, 1 << 30) == 1
        ok = libc.mallopt(m_mmap_threshold, 32 << 20) == 1 and ok
    except (OSError, AttributeError):  # not glibc (musl): nothing to tune
        return False
    malloc_tuned = ok
    return ok


if os.environ.get("GLASSNET_KEEP_FREED_MEMORY") == "1":
    keep_freed_memory()


def _load_cupy():
    """Import CuPy once; remember why it failed so the message can say so."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as exc:  # ImportError, or CUDA present but no usable GPU
            _cupy_error = f"{type(exc).__name__}: {exc}"
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return _load_cupy() is not None


def cupy_module():
    """The CuPy module, or a DeviceError that says how to get it."""
    cp = _load_cupy()
    if cp is None:
        raise DeviceError(
            "device 'cuda' is not available: CuPy could not be used "
            f"({_cupy_error}). Install the GPU extra with `pip install glassnet[cuda]` "
            "on a machine with an NVIDIA GPU, or keep the tensor on 'cpu'."
        )
    return cp


def get_array_module(*arrays):
    """NumPy or CuPy, whichever owns the arrays (NumPy when none is a CuPy array)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def is_cuda_array(array) -> bool:
    return _cupy is not None and isinstance(array, _cupy.ndarray)


def device_of(array) -> str:
    """'cuda' for a CuPy array, 'cpu' otherwise."""
    return "cuda" if is_cuda_array(array) else "cpu"


DEFAULT_DEVICE = ["cpu"]  # where new tensors go without device=; glassnet.set_default_device


def normalize_device(device) -> str:
    """Accept 'cpu', 'cuda', 'cuda:0', a Device, or None (the default device: cpu unless
    glassnet.set_default_device changed it)."""
    if device is None:
        return DEFAULT_DEVICE[0]
    name = str(device)
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        return "cuda"
    raise DeviceError(f"unknown device {device!r}: use 'cpu' or 'cuda'.")


def to_device(array, device: str):
    """Move an array to 'cpu' or 'cuda' (a no-op when it is already there)."""
    if device == "cpu":
        return array.get() if is_cuda_array(array) else array
    cp = cupy_module()
    return array if isinstance(array, cp.ndarray) else cp.asarray(array)


def to_numpy(array) -> np.ndarray:
    return array.get() if is_cuda_array(array) else np.asarray(array)


def scatter_add(xp, target, index, values):
    """target[index] += values with repeated indices accumulated (``add.at`` on both)."""
    xp.add.at(target, index, values)


def add_rows(xp, out, ids, rows):
    """Sum ``rows`` per id into ``out`` (axis 0), repeated ids adding up: embedding gradients,
    per-token sums. ``out`` must be zero at those ids (the CPU path writes the sums there).

    >>> import numpy as np
    >>> out = np.zeros((3, 2))
    >>> add_rows(np, out, np.array([2, 0, 2]), np.ones((3, 2)))
    >>> out.tolist()
    [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]
    """
    if ids.size == 0:
        return
    if not hasattr(xp.add, "reduceat"):
        scatter_add(xp, out, ids, rows)
        return
    # Sorting the ids and summing each run of equal ids is several times faster on the CPU than
    # np.add.at's element-by-element scatter.
    order = xp.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    first = xp.ones(1, dtype=bool)
    starts = xp.flatnonzero(xp.concatenate((first, sorted_ids[1:] != sorted_ids[:-1])))
    picked = xp.take(rows, order, axis=0)
    if starts.size * 1024 < rows.size:
        # Few distinct ids (a small vocabulary): one contiguous sum per run beats reduceat,
        # whose axis-0 loop is slow, as long as the Python loop stays short.
        bounds = starts.tolist() + [ids.size]
        add = xp.add.reduce
        for j, a, b in zip(sorted_ids[starts].tolist(), bounds, bounds[1:]):
            add(picked[a:b], axis=0, out=out[j])
    else:
        out[sorted_ids[starts]] = xp.add.reduceat(picked, starts, axis=0)


def is_writeable(array) -> bool:
    """False for read-only NumPy views (broadcast_to); CuPy arrays are always writeable."""
    return getattr(array.flags, "writeable", True)


# NumPy warns (RuntimeWarning) on log(0), 0/0, overflow and the like; PyTorch returns the same
# inf or nan quietly, and so do glassnet's ops: the engine runs every forward and backward
# inside ``quiet_start()`` / ``quiet_end(token)``. NumPy 2 keeps its error state in a context
# variable, so switching it costs two context-variable calls (about 0.1 us), not np.errstate's
# 0.7 us; older NumPy falls back to np.errstate.
try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj

    _QUIET = _make_extobj(all="ignore")

    def quiet_start():
        """Silence NumPy's floating-point warnings until ``quiet_end(token)``."""
        return _extobj_contextvar.set(_QUIET)

    def quiet_end(token):
        _extobj_contextvar.reset(token)

except ImportError:  # NumPy < 2

    def quiet_start():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def quiet_end(token):
        token.__exit__(None, None, None)
