"""``glassnet.save`` and ``glassnet.load``: PyTorch's calls, safetensors files, no pickle.

>>> import io, glassnet, numpy as np
>>> buffer = io.BytesIO()
>>> glassnet.save({"w": glassnet.ones(2), "mean": np.zeros(1), "steps": (1, 2)}, buffer)
>>> _ = buffer.seek(0)
>>> back = glassnet.load(buffer, weights_only=True)
>>> type(back["w"]).__name__, type(back["mean"]).__name__, back["steps"]
('Tensor', 'ndarray', (1, 2))
"""

from __future__ import annotations

import io
import json
import os

import numpy as np

from glassnet import backend
from glassnet.serialization import checksums
from glassnet.serialization.atomic import atomic_write
from glassnet.serialization.errors import CheckpointError
from glassnet.serialization.safetensors_format import (
    check_bool_bytes,
    dtype_code,
    encode_header,
    is_bf16,
    little_endian,
    parse_json,
    read_file,
    to_bf16,
    widen_arrays,
)
from glassnet.serialization.sources import open_source
from glassnet.serialization.structure import Packer, Unpacker, array_of
from glassnet.tensor import Tensor

STRUCTURE = "glassnet"  # the metadata entry holding the JSON structure


def _is_path(f) -> bool:
    return isinstance(f, (str, bytes, os.PathLike))


# ---- writing -----------------------------------------------------------------------------------
def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` to ``f`` (a path, or a binary file object open for writing) as safetensors.

    ``obj``: a Tensor, a NumPy array, a state_dict, or nested dicts, lists and tuples of those
    and of numbers, strings, bools and None; all come back with their types from ``load``. A
    module, an optimizer or any other object is refused (that would need pickle): save its
    ``state_dict()``. To a path the write is atomic; every file carries checksums of its tensors
    and of its JSON state. ``pickle_module``, ``pickle_protocol`` and
    ``_use_new_zipfile_serialization`` are PyTorch's; they are accepted and unused, since
    nothing is pickled.
    """
    if not _is_path(f):
        if not hasattr(f, "write"):
            raise TypeError(
                f"glassnet.save: f must be a path or a binary file object, got {type(f).__name__}"
            )
        if isinstance(f, io.TextIOBase):
            raise TypeError("glassnet.save: the file is open in text mode; use open(path, 'wb')")
    target = repr(os.fsdecode(os.fspath(f))) if _is_path(f) else "f"
    packer = Packer(target)
    structure = packer.pack(obj)
    try:
        text = json.dumps(structure, separators=(",", ":"))
    except ValueError as exc:  # integers of more than 4300 digits
        raise ValueError(f"glassnet.save: {exc}") from None
    write_safetensors(f, packer.arrays, {"format": "pt", STRUCTURE: text})


_FLOAT_CODES = {"bfloat16": "BF16", "bf16": "BF16", "float16": "F16", "half": "F16"}
_FLOAT_CODES.update({"float32": "F32", "float": "F32", "float64": "F64", "double": "F64"})


def write_safetensors(f, tensors: dict, metadata: dict | None = None, *, dtype=None) -> None:
    """Write arrays (name -> array) and string metadata to ``f`` as safetensors, with
    checksums; atomically when ``f`` is a path.

    ``dtype`` ('bfloat16', 'float16', 'float32', 'float64', or a glassnet/NumPy float dtype)
    converts every floating-point array to that format as it is written (bfloat16 rounds to
    nearest, ties to even, as PyTorch's ``.bfloat16()``); integer and bool arrays keep theirs.
    Arrays of ml_dtypes' ``bfloat16`` are written as BF16 without being asked. Reading a BF16
    tensor back gives float32, exactly.
    """
    code = _float_code(dtype)
    arrays = {
        name: _as_code(backend.to_numpy(a), name, code) if code else backend.to_numpy(a)
        for name, a in tensors.items()
    }
    arrays = {name: little_endian(a, name) for name, a in arrays.items()}
    metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    metadata = checksums.add_checksums(arrays, metadata)
    entries = [(name, dtype_code(a, name), a.shape, a.nbytes) for name, a in arrays.items()]
    chunks = [encode_header(entries, metadata)]
    chunks += [memoryview(a.reshape(-1).view(np.uint8)) for a in arrays.values()]
    if _is_path(f):
        atomic_write(f, chunks)
        return
    for chunk in chunks:
        view = memoryview(chunk)
        while view.nbytes:  # a raw stream may write part of a chunk
            written = f.write(view)
            view = view[view.nbytes if written is None else written :]


def _float_code(dtype):
    if dtype is None:
        return None
    name = str(getattr(dtype, "name", dtype)).replace("glassnet.", "").replace("torch.", "")
    code = _FLOAT_CODES.get(name.lower())
    if code is None:
        raise ValueError(
            f"write_safetensors: dtype={dtype!r} is not a floating-point format safetensors "
            f"stores; use one of {sorted(_FLOAT_CODES)} (or None to keep each array's dtype)"
        )
    return code


def _as_code(array, name, code):
    """A floating-point array converted to the format ``code``; other arrays unchanged."""
    if not (array.dtype.kind == "f" or is_bf16(array.dtype)):
        return array
    if code == "BF16":
        return to_bf16(array)
    if is_bf16(array.dtype):
        array = widen_arrays({name: to_bf16(array)})[name]
    return array.astype({"F16": "<f2", "F32": "<f4", "F64": "<f8"}[code])


# ---- reading -----------------------------------------------------------------------------------
def read_safetensors(f):
    """Read and verify a safetensors file: (name -> NumPy array, metadata dict). BF16 tensors
    come back as float32 (exactly: bfloat16 is the top half of a float32)."""
    with open_source(f) as source:
        arrays, metadata = read_file(source)
    checksums.verify(arrays, metadata, source.label)
    check_bool_bytes(arrays, source.label)
    return widen_arrays(arrays), metadata


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Load what ``save`` wrote (or any safetensors file) from a path or a binary file object.

    Tensors come back on ``map_location``: None or 'cpu' (the default), 'cuda', a device, a
    dict such as ``{'cuda:0': 'cpu'}`` (glassnet files hold CPU data, so the entry for 'cpu'
    counts) or a function ``(array, 'cpu') -> array``. NumPy arrays stay NumPy arrays. A file
    without glassnet's structure (written by another tool) gives a dict of Tensors.

    ``weights_only`` is accepted and always effectively True: glassnet never unpickles, so no
    file can run code or build arbitrary objects. ``pickle_module``, ``mmap`` and an
    ``encoding=`` keyword are PyTorch's; accepted and unused. A damaged, truncated or foreign
    file raises CheckpointError naming the file and the fault.
    """
    return load_verified(
        f, map_location, pickle_module, weights_only=weights_only, mmap=mmap, **kwargs
    )[0]


def load_verified(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kw):
    """``load``, also saying whether the file carried checksums (and so was verified)."""
    unknown = set(kw) - {"encoding"}
    if unknown:
        raise TypeError(f"glassnet.load: unexpected keyword argument(s) {sorted(unknown)}")
    for name, value in (("weights_only", weights_only), ("mmap", mmap)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"glassnet.load: {name} must be True, False or None, got {value!r}")
    place = _placement(map_location)
    with open_source(f) as source:
        arrays, metadata = read_file(source)
    label = source.label
    verified = checksums.verify(arrays, metadata, label)
    check_bool_bytes(arrays, label)
    arrays = widen_arrays(arrays)  # BF16 -> float32 once the file's bytes are verified

    def make_tensor(array, requires_grad):
        t = Tensor._make(place(array))
        return t.requires_grad_(True) if requires_grad else t

    if STRUCTURE not in metadata:
        return {name: make_tensor(a, False) for name, a in arrays.items()}, verified
    what = "the glassnet structure in the metadata"
    structure = parse_json(metadata[STRUCTURE], label, what, allow_nan=True)
    legacy = checksums.VERSION not in metadata
    return Unpacker(arrays, make_tensor, label, legacy).node(structure), verified


def _placement(map_location):
    """array -> array on the requested device."""
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
    if callable(map_location) and not isinstance(map_location, str):
        return lambda array: _mapped(map_location, array)
    device = backend.normalize_device(map_location)
    return lambda array: backend.to_device(array, device)


def _mapped(function, array):
    out = function(array, "cpu")
    if isinstance(out, Tensor):
        return array_of(out)
    if isinstance(out, np.ndarray) or backend.is_cuda_array(out):
        return out
    raise TypeError(
        f"glassnet.load: map_location returned a {type(out).__name__}; it must return the array "
        "it was given (or a copy on another device)"
    )


__all__ = ["CheckpointError", "load", "load_verified", "read_safetensors", "save"]
