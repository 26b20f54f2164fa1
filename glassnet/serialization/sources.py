"""Where ``glassnet.load`` reads from: a path or a binary file object, checked before reading.

Only regular files are read. A directory, a named pipe (FIFO), a device or a socket is refused
from its ``stat`` alone, before it is opened, so a symlink to a device that never ends or a pipe
that never gets a writer cannot make ``load`` hang or fill the memory. A path is opened with
``O_NONBLOCK`` and checked again on the open descriptor, in case it was swapped in between.

>>> import io
>>> with open_source(io.BytesIO(b"12345")) as source:
...     source.size, source.label
(5, '<BytesIO>')
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from dataclasses import dataclass

from glassnet.serialization.errors import CheckpointError

_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the stat must not block open()
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1 << 24  # bytes per read() for file objects that have no readinto()


@dataclass
class Source:
    """An open binary file, its ``size`` in bytes from ``start``, and a ``label`` for errors.
    ``is_path``: glassnet opened it (it must end with its last tensor)."""

    file: object
    start: int
    size: int
    label: str
    is_path: bool


def _kind(mode) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _require_regular(mode, label):
    kind = _kind(mode)
    if kind is None:
        return
    hint = (
        " pass the path of a .safetensors file inside it"
        if kind == "a directory"
        else " glassnet.load reads regular files only (their size is known before reading): "
        "copy the data into a file first"
    )
    raise CheckpointError(f"{label}: is {kind}, not a regular file;{hint}")


@contextlib.contextmanager
def open_source(f):
    """Open a path (or take a file object) for reading; yield a Source."""
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fspath(f)
        label = os.fsdecode(path)
        try:
            mode = os.stat(path).st_mode  # follows symlinks: a link to a device is refused here
        except FileNotFoundError:
            raise FileNotFoundError(f"glassnet.load: no such file: '{label}'") from None
        _require_regular(mode, label)
        fd = os.open(path, _READ_FLAGS)
        try:
            st = os.fstat(fd)
            _require_regular(st.st_mode, label)
            file = os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise
        with file:
            yield Source(file, 0, st.st_size, label, True)
        return
    yield _file_object_source(f)


def _file_object_source(f) -> Source:
    if not hasattr(f, "read"):
        raise TypeError(
            f"glassnet.load: expected a path or a binary file object, got {type(f).__name__}"
        )
    if isinstance(f, io.TextIOBase):
        raise TypeError(
            "glassnet.load: the file object is open in text mode; open it with open(path, 'rb')"
        )
    name = getattr(f, "name", None)
    label = os.fsdecode(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__}>"
    try:
        fd = f.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        _require_regular(os.fstat(fd).st_mode, label)
    seekable = getattr(f, "seekable", None)
    if seekable is None or not seekable():
        raise ValueError(
            f"glassnet.load: {label} is not seekable, and the file's size must be known before "
            "reading; read it into memory first: glassnet.load(io.BytesIO(stream.read()))"
        )
    start = f.tell()
    end = f.seek(0, os.SEEK_END)
    f.seek(start)
    return Source(f, start, max(end - start, 0), label, False)


def read_exact(file, n: int, label: str, what: str) -> bytes:
    """Read exactly ``n`` bytes (n is known to fit in the file) or raise 'truncated'."""
    buf = bytearray(n)
    readinto_exact(file, memoryview(buf), label, what)
    return bytes(buf)


def readinto_exact(file, view: memoryview, label: str, what: str) -> None:
    """Fill ``view`` from ``file``; a short read means the file shrank or was cut."""
    view = view.cast("B") if view.format != "B" else view
    got, n = 0, view.nbytes
    readinto = getattr(file, "readinto", None)
    while got < n:
        if readinto is not None:
            k = readinto(view[got:])
        else:
            chunk = file.read(min(n - got, _CHUNK))
            k = len(chunk) if chunk else 0
            view[got : got + k] = chunk
        if not k:
            raise CheckpointError(
                f"{label}: the file ended after {got} of the {n} bytes of {what}: the file is "
                "truncated"
            )
        got += k
