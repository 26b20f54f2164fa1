"""Checksums that let every file glassnet writes be verified, kept in ``__metadata__``.

Three string entries, so any safetensors reader still opens the file:

- ``glassnet.checksum.tensors``: SHA-256 of the whole tensor payload: for each tensor in order
  of name, the JSON ``[name, dtype, shape]`` and a newline, then its bytes. It covers names,
  dtypes, shapes and data, but not where in the file each tensor sits, so a copy laid out
  differently by another writer still verifies.
- ``glassnet.checksum.crc32``: a JSON map of each tensor's CRC-32 (of the same text and bytes),
  so a damaged file names the damaged tensor.
- ``glassnet.checksum.metadata``: SHA-256 of every other ``__metadata__`` entry (the JSON
  structure with the epoch, history, optimizer and random state of a checkpoint), as the JSON of
  the sorted map.

They find accidental damage (a flipped bit, a cut copy, an edit by hand); they are not a
signature: whoever can write the file can write matching checksums.

>>> import numpy as np
>>> meta = add_checksums({"w": np.zeros(2, np.float32)}, {"glassnet.version": "2"})
>>> for key in sorted(meta):
...     print(key)
glassnet.checksum.crc32
glassnet.checksum.metadata
glassnet.checksum.tensors
glassnet.version
>>> verify({"w": np.zeros(2, np.float32)}, meta, "<bytes>")
True
"""

from __future__ import annotations

import hashlib
import json
import zlib

import numpy as np

from glassnet.serialization.errors import CheckpointError
from glassnet.serialization.safetensors_format import dtype_code

TENSORS = "glassnet.checksum.tensors"
CRC32 = "glassnet.checksum.crc32"
METADATA = "glassnet.checksum.metadata"
VERSION = "glassnet.version"
FORMAT_VERSION = 2  # 1: files from glassnet before checksums (no glassnet.version entry)
_CHECKSUM_KEYS = (TENSORS, CRC32, METADATA)


def _code(array) -> str:
    return dtype_code(array, "")


def _describe(name, array) -> bytes:
    text = json.dumps([name, _code(array), list(array.shape)], separators=(",", ":"))
    return text.encode() + b"\n"


def _bytes(array) -> memoryview:
    return memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))


def tensor_digests(arrays: dict, *, crc: bool = True):
    """(SHA-256 of all tensors, {name: CRC-32} or None) for little-endian contiguous arrays."""
    sha = hashlib.sha256()
    crcs = {} if crc else None
    for name in sorted(arrays):
        head, data = _describe(name, arrays[name]), _bytes(arrays[name])
        sha.update(head)
        sha.update(data)
        if crc:
            crcs[name] = f"{zlib.crc32(data, zlib.crc32(head)):08x}"
    return "sha256:" + sha.hexdigest(), crcs


def metadata_digest(metadata: dict) -> str:
    rest = {k: v for k, v in metadata.items() if k != METADATA}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def add_checksums(arrays: dict, metadata: dict) -> dict:
    """``metadata`` plus the three checksum entries for ``arrays`` and for itself."""
    out = dict(metadata)
    out[VERSION] = str(FORMAT_VERSION)
    out[TENSORS], crcs = tensor_digests(arrays)
    out[CRC32] = json.dumps(crcs, separators=(",", ":"))
    out[METADATA] = metadata_digest(out)
    return out


def is_checksummed(metadata: dict) -> bool:
    return VERSION in metadata or any(k in metadata for k in _CHECKSUM_KEYS)


def verify(arrays: dict, metadata: dict, label: str) -> bool:
    """Check the checksums; True if there were some, False for a file without (another tool's).

    Raises CheckpointError naming what does not match: the metadata, a tensor, or the set of
    tensors.
    """
    if not is_checksummed(metadata):
        return False
    version = metadata.get(VERSION)
    if version is not None and version != str(FORMAT_VERSION):
        if version.isdigit() and int(version) > FORMAT_VERSION:
            raise CheckpointError(
                f"{label}: written by a newer glassnet (file format {version}; this one reads "
                f"up to {FORMAT_VERSION}); upgrade glassnet to load it"
            )
        raise CheckpointError(f"{label}: the metadata's glassnet.version {version!r} is unknown")
    missing = [k for k in (VERSION, *_CHECKSUM_KEYS) if k not in metadata]
    if missing:
        raise CheckpointError(
            f"{label}: the metadata lacks {missing}: the header was edited after the file was "
            "written, so it cannot be verified"
        )
    if metadata_digest(metadata) != metadata[METADATA]:
        raise CheckpointError(
            f"{label}: the metadata (the JSON state: structure, epoch, history, optimizer and "
            "random state) does not match its checksum: it was edited or damaged after the file "
            "was written. Use an earlier copy."
        )
    try:
        expected = json.loads(metadata[CRC32])
        ok = isinstance(expected, dict) and all(isinstance(v, str) for v in expected.values())
    except (ValueError, RecursionError):
        ok = False
    if not ok:
        raise CheckpointError(f"{label}: the metadata's {CRC32} entry is malformed")
    gone, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if gone or extra:
        raise CheckpointError(
            f"{label}: the tensors in the header differ from those written (missing "
            f"{gone[:5]}, unexpected {extra[:5]}): the header was edited or damaged"
        )
    if tensor_digests(arrays, crc=False)[0] == metadata[TENSORS]:
        return True
    _, crcs = tensor_digests(arrays)  # only for a damaged file: find the damaged tensor
    for name in arrays:
        if crcs[name] != expected[name]:
            array = arrays[name]
            raise CheckpointError(
                f"{label}: tensor '{name}' ({_code(array)}, shape {list(array.shape)}) does not "
                "match its checksum: the file is corrupted (its bytes, dtype or shape changed: a "
                "damaged disk, an interrupted copy, an edit). Use an earlier copy."
            )
    raise CheckpointError(
        f"{label}: the tensor payload does not match its SHA-256 checksum: the file is "
        "damaged. Use an earlier copy."
    )
