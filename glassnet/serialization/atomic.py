"""Atomic writes, and removal of the temporary files that killed writes leave behind.

``atomic_write`` writes into a temporary file ``.tmp-glassnet-XXXXXXXX`` in the target's folder,
flushes it to disk, renames it over the target and makes the rename durable: the target always
holds the old complete file or the new one. While it writes, it holds an exclusive ``flock`` on
the temporary file.

A process killed mid-write (kill -9, power loss) leaves its temporary file behind. The next
write into that folder removes such files when all of these hold (the rule is meant never to
touch a file someone is still writing):

- the name is ours: ``.tmp-glassnet-`` or ``.tmp-`` followed by 8 characters of
  ``tempfile``'s alphabet (what glassnet before this version used);
- it is a regular file (not a link) owned by the current user;
- it was last modified more than ``STALE_AFTER_S`` = 60 seconds ago (a live writer keeps
  changing it);
- no process holds a lock on it (a live writer holds one until its rename; a killed one's lock
  is gone with it). Where ``flock`` does not exist (Windows) only the age counts.

>>> import os, tempfile, time
>>> folder = tempfile.mkdtemp()
>>> stale = os.path.join(folder, ".tmp-glassnet-abcd1234")
>>> open(stale, "wb").close()
>>> os.utime(stale, (time.time() - 3600, time.time() - 3600))   # left by a write an hour ago
>>> atomic_write(os.path.join(folder, "notes.txt"), [b"hello"])
>>> sorted(os.listdir(folder))
['notes.txt']
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

TEMP_PREFIX = ".tmp-glassnet-"
STALE_AFTER_S = 60.0
_OURS = re.compile(r"\.tmp-(glassnet-)?[a-z0-9_]{8}")
# mkstemp makes owner-only files; saved files get the usual permissions (0666 less the umask).
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path, chunks) -> None:
    """Write ``chunks`` (bytes-like) to ``path`` through a temporary file, fsync, then rename;
    then remove stale temporary files of killed writes from the folder."""
    path = os.fsdecode(os.fspath(path))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    f = os.fdopen(fd, "wb")
    try:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # "being written": see remove_stale_temp_files
        os.fchmod(f.fileno(), 0o666 & ~_UMASK)
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
        if fcntl is None:
            f.close()  # Windows cannot rename an open file
        os.replace(tmp, path)  # the lock is held until the temporary name is gone
    except BaseException:
        f.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        f.close()
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    remove_stale_temp_files(folder)


def remove_stale_temp_files(folder, older_than: float = STALE_AFTER_S) -> list[str]:
    """Remove the temporary files killed writes left in ``folder`` (the rule is in the module's
    docstring); return the names removed. Never raises for a file it cannot remove."""
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _OURS.fullmatch(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if (
                not stat.S_ISREG(st.st_mode)
                or (hasattr(os, "getuid") and st.st_uid != os.getuid())
                or now - st.st_mtime < older_than
            ):
                continue
            if _unlink_if_unlocked(entry.path, st):
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def _unlink_if_unlocked(path, st) -> bool:
    if fcntl is None:
        os.unlink(path)
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return False  # replaced since we looked
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live writer holds it
        os.unlink(path)  # while we hold the lock, no writer can be using it
        return True
    finally:
        os.close(fd)
