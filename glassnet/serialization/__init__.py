"""Saving and loading tensors safely: ``glassnet.save`` and ``glassnet.load``.

Files are safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the raw bytes. Loading only parses JSON and copies bytes, so a
file can never run code (unlike pickle). Anything that is not an array (numbers, strings, lists,
tuples, nested dicts such as an optimizer's state) is kept as JSON in the header's
``__metadata__``; tensors keep their names (a state_dict's keys), so other safetensors readers
open the file. Every file carries checksums of its tensors and of its JSON state.

Writes to a path are atomic: the bytes go to a temporary file in the same folder, are flushed to
disk, and only then renamed over the target, so a crash never leaves a half-written file; the
next write removes temporary files that killed writes left behind.

The parts: ``save_load`` (the two calls), ``structure`` (Python values <-> JSON and arrays),
``safetensors_format`` (the file layout and its checks), ``checksums``, ``sources`` (what may be
read), ``atomic`` (writes and stale temporary files), ``foreign`` (pickle and PyTorch files
recognised), ``allowlist`` (PyTorch's safe_globals calls, no-ops here).

>>> import glassnet, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
>>> glassnet.save({"weight": glassnet.ones(2, 3), "epoch": 4}, path)
>>> loaded = glassnet.load(path)
>>> loaded["epoch"], loaded["weight"].shape
(4, glassnet.Size([2, 3]))
"""

from glassnet.serialization.allowlist import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from glassnet.serialization.atomic import (
    STALE_AFTER_S,
    TEMP_PREFIX,
    atomic_write,
    remove_stale_temp_files,
)
from glassnet.serialization.errors import CheckpointError
from glassnet.serialization.save_load import (
    load,
    load_verified,
    read_safetensors,
    save,
    write_safetensors,
)

__all__ = [
    "STALE_AFTER_S",
    "TEMP_PREFIX",
    "CheckpointError",
    "add_safe_globals",
    "atomic_write",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "load_verified",
    "read_safetensors",
    "remove_stale_temp_files",
    "safe_globals",
    "save",
    "write_safetensors",
]
