"""Saving and loading tensors safely: ``glassnet.save`` and ``glassnet.load``.

Files are safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the raw bytes. Loading only parses JSON and copies bytes, so a
file can never run code (unlike pickle). Anything that is not a tensor (numbers, strings, lists,
nested dicts such as an optimizer's state) is kept as JSON in the header's ``__metadata__``.
A plain state_dict is stored under its own keys, so other safetensors readers can open it.

Writes are atomic: the bytes go to a temporary file in the same folder, are flushed to disk,
and only then renamed over the target, so a crash never leaves a half-written file.

>>> import glassnet, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
>>> glassnet.save({"weight": glassnet.ones(2, 3), "epoch": 4}, path)
>>> loaded = glassnet.load(path)
>>> loaded["epoch"], loaded["weight"].shape
(4, glassnet.Size([2, 3]))
"""

from __future__ import annotations

import json
import os
import struct
import tempfile

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor

_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_CODES = {v: k for k, v in _DTYPES.items()}
_META_KEY = "glassnet"
_MAX_HEADER = 100 * 1024 * 1024
# mkstemp makes owner-only files; saved models get the usual permissions (0666 less the umask).
_UMASK = os.umask(0)
os.umask(_UMASK)


class CheckpointError(ValueError):
    """A file that is not a valid glassnet/safetensors file; the message names file and fault."""


# ---- writing -----------------------------------------------------------------------------------
def save(obj, path) -> None:
    """Save a tensor, a state_dict, or a nested dict/list of tensors and plain values."""
    tensors: dict[str, np.ndarray] = {}
    structure = _pack(obj, "", tensors)
    plain = (
        isinstance(obj, dict)
        and all(isinstance(v, dict) and v.get("__tensor__") == k for k, v in structure.items())
        if isinstance(structure, dict)
        else False
    )
    metadata = None if plain else {_META_KEY: json.dumps(structure)}
    write_safetensors(path, tensors, metadata)


def _pack(obj, prefix, tensors):
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray) or backend.is_cuda_array(obj):
        key = prefix or "tensor"
        array = obj._data if isinstance(obj, Tensor) else obj
        tensors[key] = backend.to_numpy(array)
        return {"__tensor__": key}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"glassnet.save: dict keys must be str or int, got {k!r}")
            name = f"{prefix}.{k}" if prefix else str(k)
            out[str(k)] = _pack(v, name, tensors)
        if any(not isinstance(k, str) for k in obj):
            return {"__intkeys__": out}
        return out
    if isinstance(obj, (list, tuple)):
        items = [
            _pack(v, f"{prefix}.{i}" if prefix else str(i), tensors) for i, v in enumerate(obj)
        ]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"glassnet.save: cannot store a {type(obj).__name__} (at '{prefix}'); only tensors, "
        "arrays, numbers, strings, None, lists, tuples and dicts are saved (never pickled "
        "objects). Save a module's state_dict() rather than the module."
    )


def write_safetensors(path, tensors: dict, metadata: dict | None = None) -> None:
    """Write arrays to ``path`` in the safetensors format, atomically."""
    header = {}
    offset = 0
    arrays = []
    for name, array in tensors.items():
        # ascontiguousarray would turn a 0-d array into shape (1,): keep the shape explicitly.
        array = np.ascontiguousarray(array).reshape(np.shape(array))
        code = _CODES.get(
            array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        )
        if code is None:
            raise TypeError(f"glassnet.save: dtype {array.dtype} of '{name}' is not supported")
        array = array.astype(_DTYPES[code], copy=False)
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
        arrays.append(array)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # keep the data 8-byte aligned
    atomic_write(path, [struct.pack("<Q", len(blob)), blob, *(a.tobytes() for a in arrays)])


def atomic_write(path, chunks) -> None:
    """Write ``chunks`` (bytes) to ``path`` through a temporary file, fsync, then rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# ---- reading -----------------------------------------------------------------------------------
def load(path, map_location=None):
    """Load what ``save`` wrote. Tensors come back on ``map_location`` ('cpu' by default)."""
    arrays, metadata = read_safetensors(path)
    device = backend.normalize_device(map_location)

    def wrap(a):
        return Tensor._make(backend.to_device(a, device))

    if metadata and _META_KEY in metadata:
        try:
            structure = json.loads(metadata[_META_KEY])
        except json.JSONDecodeError as exc:
            raise CheckpointError(
                f"{path}: the glassnet metadata is not valid JSON ({exc})"
            ) from None
        return _unpack(structure, arrays, wrap, path)
    return {k: wrap(v) for k, v in arrays.items()}


def _unpack(node, arrays, wrap, path):
    if isinstance(node, dict):
        if "__tensor__" in node and len(node) == 1:
            key = node["__tensor__"]
            if key not in arrays:
                raise CheckpointError(f"{path}: the metadata refers to a missing tensor '{key}'")
            return wrap(arrays[key])
        if "__tuple__" in node and len(node) == 1:
            return tuple(_unpack(v, arrays, wrap, path) for v in node["__tuple__"])
        if "__intkeys__" in node and len(node) == 1:
            return {
                _maybe_int(k): _unpack(v, arrays, wrap, path)
                for k, v in node["__intkeys__"].items()
            }
        return {k: _unpack(v, arrays, wrap, path) for k, v in node.items()}
    if isinstance(node, list):
        return [_unpack(v, arrays, wrap, path) for v in node]
    return node


def _maybe_int(key):
    return int(key) if key.lstrip("-").isdigit() else key


def read_safetensors(path):
    """Parse and validate a safetensors file; return (name -> NumPy array, metadata dict)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"glassnet.load: no such file: '{path}'")
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise CheckpointError(
            f"{path}: file is truncated ({len(raw)} bytes; a safetensors file "
            "starts with an 8-byte header length)"
        )
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise CheckpointError(
            f"{path}: header length {n} does not fit in a file of {len(raw)} bytes: the file is "
            "truncated or not a safetensors file"
        )
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{path}: the header is not valid JSON ({exc}); the file is "
            "corrupted or not a safetensors file"
        ) from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the header must be a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(raw)[8 + n :]
    arrays = {}
    spans = []
    for name, info in header.items():
        try:
            dtype = _DTYPES[info["dtype"]]
            shape = tuple(int(s) for s in info["shape"])
            start, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(
                f"{path}: tensor '{name}' has a malformed entry {info!r}"
            ) from None
        count = int(np.prod(shape)) if shape else 1
        if any(s < 0 for s in shape) or end - start != count * dtype.itemsize or start < 0:
            raise CheckpointError(
                f"{path}: tensor '{name}' claims shape {shape} of {info['dtype']} but spans "
                f"{end - start} bytes"
            )
        if end > len(data):
            raise CheckpointError(
                f"{path}: tensor '{name}' ends at byte {end} but the file holds only "
                f"{len(data)} data bytes: the file is truncated"
            )
        spans.append((start, end, name))
        arrays[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(shape).copy()
    spans.sort()
    for (_, e0, a), (s1, _, b) in zip(spans, spans[1:]):
        if s1 < e0:
            raise CheckpointError(f"{path}: tensors '{a}' and '{b}' overlap in the file")
    return arrays, metadata
