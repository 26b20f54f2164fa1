"""Helpers for the serialization tests: exact comparison of what was saved with what was loaded,
and building safetensors bytes by hand (the format is simple enough to write in a few lines, so
the tests do not trust glassnet's own writer to make their inputs)."""

from __future__ import annotations

import io
import json
import math
import struct
from collections import OrderedDict

import numpy as np

import glassnet
from glassnet.serialization import write_safetensors


def _raw(array) -> bytes:
    return np.ascontiguousarray(array).tobytes()


def _same_float(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def assert_same(got, want, where="obj"):
    """``got`` is exactly ``want``: same types (Tensor stays Tensor, tuple stays tuple), same
    keys in the same order with the same key types, same dtypes and shapes, same bytes."""
    assert type(got) is type(want), f"{where}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, glassnet.Tensor):
        assert got.requires_grad == want.requires_grad, where
        got, want = got.detach().numpy(), want.detach().numpy()
    if isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and np.shape(got) == np.shape(want), where
        if isinstance(want, np.generic) and want.dtype.kind == "f":
            assert _same_float(float(got), float(want)), f"{where}: {got!r} != {want!r}"
        else:
            assert _raw(got) == _raw(want), f"{where}: values differ"
    elif isinstance(want, float):
        assert _same_float(got, want), f"{where}: {got!r} != {want!r}"
    elif isinstance(want, dict):
        assert len(got) == len(want), where
        for (kg, vg), (kw, vw) in zip(got.items(), want.items()):
            assert_same(kg, kw, f"{where} key")
            assert_same(vg, vw, f"{where}[{kw!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def saved_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    glassnet.save(obj, buffer)
    return buffer.getvalue()


def load_bytes(blob: bytes, **kwargs):
    return glassnet.load(io.BytesIO(blob), **kwargs)


def handmade(header, data: bytes = b"") -> bytes:
    """A file from a header (a dict, or raw JSON text/bytes) and data bytes, written by hand."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode("utf-8")
    return struct.pack("<Q", len(header)) + header + data


def split(blob: bytes):
    """(header dict, data bytes) of a file."""
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def with_structure(arrays: dict, structure_text: str) -> bytes:
    """A checksummed glassnet file whose JSON structure is ``structure_text`` verbatim, so a
    test reaches the structure checks (an edited structure alone fails its checksum first)."""
    buffer = io.BytesIO()
    write_safetensors(buffer, arrays, {"format": "pt", "glassnet": structure_text})
    return buffer.getvalue()


def legacy_bytes(obj) -> bytes:
    """The bytes glassnet wrote before checksums (format 1), from that version's rules: arrays
    and Tensors as {"__tensor__": name} named by their dotted path, tuples as {"__tuple__": [...]},
    dicts with int keys as {"__intkeys__": {...}}, and no metadata at all for a plain dict of
    tensors."""
    arrays = {}

    def pack(value, prefix):
        if isinstance(value, (glassnet.Tensor, np.ndarray)):
            key = prefix or "tensor"
            arrays[key] = value.detach().numpy() if isinstance(value, glassnet.Tensor) else value
            return {"__tensor__": key}
        if isinstance(value, dict):
            out = {str(k): pack(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in value.items()}
            return {"__intkeys__": out} if any(not isinstance(k, str) for k in value) else out
        if isinstance(value, (list, tuple)):
            items = [pack(v, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(value)]
            return {"__tuple__": items} if isinstance(value, tuple) else items
        return value

    structure = pack(obj, "")
    plain = isinstance(obj, dict) and all(
        isinstance(v, dict) and v.get("__tensor__") == k for k, v in structure.items()
    )
    codes = {"f8": "F64", "f4": "F32", "f2": "F16", "i8": "I64", "i4": "I32", "u1": "U8"}
    codes.update({"i2": "I16", "i1": "I8", "b1": "BOOL"})
    header, offset, data = OrderedDict(), 0, b""
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        header[name] = {
            "dtype": codes[f"{array.dtype.kind}{array.dtype.itemsize}"],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
        data += array.tobytes()
    if not plain:
        header["__metadata__"] = {"glassnet": json.dumps(structure)}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    return struct.pack("<Q", len(blob)) + blob + data
