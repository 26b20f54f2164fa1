"""The safetensors layout, written plainly and read with every field checked.

A safetensors file is an 8-byte little-endian header length ``n``, ``n`` bytes of UTF-8 JSON,
then the tensors' bytes. The JSON maps each tensor's name to ``{"dtype", "shape",
"data_offsets"}`` (offsets counted from the end of the header) and may hold ``"__metadata__"``,
a map of strings to strings.

Reading keeps the reference implementation's rules and checks everything against the file's
size before allocating: the header is at most 100 MB of JSON without duplicate keys, each shape
is a list of non-negative integers whose product times the item size is exactly the span of
its data offsets, and the tensors tile the data section with no gap and no overlap.

NumPy has no bfloat16, so BF16 tensors (as published checkpoints often are) are read as raw
16-bit patterns (``BF16_BITS``), checked like any other, then widened exactly to float32 with
bit shifts; writing rounds float32 to bfloat16 the same way PyTorch does.

>>> import numpy as np
>>> blob = encode({"w": np.arange(3, dtype=np.int64)}, {"note": "hi"})
>>> n = struct.unpack("<Q", blob[:8])[0]
>>> header, metadata = parse_header(blob[8 : 8 + n], "<bytes>")
>>> header[0], metadata
(Entry(name='w', code='I64', shape=(3,), start=0, end=24), {'note': 'hi'})
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

import numpy as np

from glassnet.serialization import foreign
from glassnet.serialization.errors import CheckpointError, short
from glassnet.serialization.sources import read_exact, readinto_exact

DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_CODES = {(dt.kind, dt.itemsize): code for code, dt in DTYPES.items()}
# NumPy has no bfloat16: BF16 tensors are read as their raw 16-bit patterns under this marker
# dtype (so checksums see the file's bytes), then widened exactly to float32 by ``widen_bf16``.
BF16_BITS = np.dtype([("bf16", "<u2")])
# safetensors dtypes NumPy cannot hold exactly; each gets its own message.
_NO_NUMPY_TYPE = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"}
MAX_HEADER = 100_000_000  # the reference reader's limit
MAX_NDIM = 64  # NumPy's
_MAX_BYTES = 2**63 - 1  # NumPy's largest array
_FIELDS = ("dtype", "shape", "data_offsets")


@dataclass(frozen=True)
class Entry:
    """One tensor's place in the file: dtype code, shape and byte range of the data section."""

    name: str
    code: str
    shape: tuple
    start: int
    end: int


# ---- writing -----------------------------------------------------------------------------------
def is_bf16(dtype) -> bool:
    """True for ml_dtypes' bfloat16 and for the raw-bits marker ``BF16_BITS``."""
    return dtype == BF16_BITS or (dtype.kind == "V" and dtype.name == "bfloat16")


def dtype_code(array, name: str) -> str:
    """The safetensors code of an array's dtype ('F32', 'I64', 'BF16', ...)."""
    if is_bf16(array.dtype):
        return "BF16"
    code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"glassnet.save: dtype {array.dtype} of '{name}' cannot be stored; supported: "
            "float16/32/64, bfloat16, int8/16/32/64, uint8/16/32/64 and bool"
        )
    return code


def to_bf16(array) -> np.ndarray:
    """A float array rounded to bfloat16 (nearest, ties to even, as PyTorch), as ``BF16_BITS``.

    bfloat16 is the top half of a float32, so rounding is integer arithmetic on the bits.

    >>> bits = to_bf16(np.array([1.0, 1.00390625, -2.5, np.inf], dtype=np.float32))
    >>> widen_bf16(bits).tolist()
    [1.0, 1.0, -2.5, inf]
    """
    if is_bf16(array.dtype):
        return np.ascontiguousarray(array).view(BF16_BITS)
    u = np.ascontiguousarray(array, dtype="<f4").view("<u4")
    rounded = ((u + (0x7FFF + ((u >> 16) & 1))) >> 16).astype("<u2")
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    if nan.any():  # rounding could carry a NaN into inf: keep it a (quiet) NaN
        rounded[nan] = ((u[nan] >> 16) | 0x0040).astype("<u2")
    return rounded.view(BF16_BITS).reshape(np.shape(array))


def widen_bf16(bits) -> np.ndarray:
    """bfloat16 bit patterns (``BF16_BITS`` or uint16) -> float32, exactly."""
    u16 = np.asarray(bits).view("<u2")
    return (u16.astype("<u4") << 16).view("<f4")


def widen_arrays(arrays: dict) -> dict:
    """Every BF16 array of a read file widened to float32; the others unchanged."""
    return {k: widen_bf16(a) if a.dtype == BF16_BITS else a for k, a in arrays.items()}


def little_endian(array, name: str) -> np.ndarray:
    """The array as a C-contiguous little-endian array of the same shape (no copy if it is)."""
    code = dtype_code(array, name)
    if code == "BF16":
        return to_bf16(array)
    # ascontiguousarray would turn a 0-d array into shape (1,): keep the shape explicitly.
    out = np.ascontiguousarray(array, dtype=DTYPES[code]).reshape(np.shape(array))
    return out


def encode_header(entries, metadata: dict | None) -> bytes:
    """8-byte length + the JSON header for ``entries`` (name, code, shape, nbytes), padded."""
    header = {}
    offset = 0
    for name, code, shape, nbytes in entries:
        header[name] = {
            "dtype": code,
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    if metadata:
        header["__metadata__"] = metadata
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # keep the data 8-byte aligned, as the reference writer does
    if len(blob) > MAX_HEADER:
        raise ValueError(
            f"glassnet.save: the header would be {len(blob)} bytes, over the {MAX_HEADER}-byte "
            "limit of safetensors readers; store long lists of numbers as tensors"
        )
    return struct.pack("<Q", len(blob)) + blob


def encode(tensors: dict, metadata: dict | None = None) -> bytes:
    """A whole file as bytes (for small files and tests; ``save`` streams instead)."""
    arrays = {k: little_endian(v, k) for k, v in tensors.items()}
    entries = [(k, dtype_code(a, k), a.shape, a.nbytes) for k, a in arrays.items()]
    return encode_header(entries, metadata) + b"".join(a.tobytes() for a in arrays.values())


# ---- reading -----------------------------------------------------------------------------------
class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str, label: str, what: str, *, allow_nan: bool):
    """json.loads that refuses duplicate keys and turns every failure into a CheckpointError."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            **({} if allow_nan else {"parse_constant": _no_constant}),
        )
    except _DuplicateKeyError as exc:
        raise CheckpointError(
            f"{label}: {what} has the key {short(exc.args[0])} twice: the file was edited or "
            "damaged"
        ) from None
    except RecursionError:
        raise CheckpointError(f"{label}: {what} is nested too deeply to be a checkpoint") from None
    except ValueError as exc:  # JSONDecodeError, too-long integers
        raise CheckpointError(
            f"{label}: {what} is not valid JSON ({exc}); the file is corrupted or not a "
            "safetensors file"
        ) from None


def parse_header(raw: bytes, label: str):
    """The header's bytes -> (list of Entry in file order, metadata dict of str -> str)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(
            f"{label}: the header is not valid JSON: it is not UTF-8 text (byte {exc.start} is "
            f"0x{raw[exc.start]:02x}); the file is corrupted or not a safetensors file"
        ) from None
    header = parse_json(text, label, "the header", allow_nan=False)
    if not isinstance(header, dict):
        raise CheckpointError(
            f"{label}: the header must be a JSON object, got {type(header).__name__}"
        )
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(
            f"{label}: __metadata__ must map strings to strings, got {short(metadata)}"
        )
    return [_entry(name, info, label) for name, info in header.items()], metadata


def _entry(name, info, label) -> Entry:
    where = f"{label}: tensor '{name}'"
    if not isinstance(info, dict):
        raise CheckpointError(
            f"{where} has the entry {short(info)}; it must be a JSON object with "
            "dtype, shape and data_offsets"
        )
    missing = [k for k in _FIELDS if k not in info]
    if missing:
        raise CheckpointError(f"{where} has a malformed entry {short(info)}: no {missing}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if isinstance(code, str) and code in _NO_NUMPY_TYPE:
        raise CheckpointError(
            f"{where} has dtype {code}, which NumPy (and so glassnet) cannot hold; convert "
            "the tensors to float32 (or bfloat16) where they were saved (in PyTorch: "
            "{k: v.float() for k, v in state.items()}) and save again"
        )
    if not isinstance(code, str) or (code not in DTYPES and code != "BF16"):
        raise CheckpointError(
            f"{where} has the unknown dtype {short(code)}; known: {sorted([*DTYPES, 'BF16'])}"
        )
    if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
        raise CheckpointError(
            f"{where} has the shape {short(shape)}, which is not a list of non-negative integers"
        )
    if len(shape) > MAX_NDIM:
        raise CheckpointError(
            f"{where} has {len(shape)} dimensions; at most {MAX_NDIM} are allowed"
        )
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(type(o) is int for o in offsets)
        and 0 <= offsets[0] <= offsets[1]
    ):
        raise CheckpointError(
            f"{where} has data_offsets {short(offsets)}; they must be two integers "
            "0 <= start <= end"
        )
    itemsize = _dtype(code).itemsize
    if math.prod(s for s in shape if s) * itemsize > _MAX_BYTES:
        raise CheckpointError(f"{where} has the shape {short(shape)}, too large for any array")
    nbytes = math.prod(shape) * itemsize
    start, end = offsets
    if end - start != nbytes:
        raise CheckpointError(
            f"{where} claims shape {shape} of {code} ({nbytes} bytes) but spans {end - start} "
            f"bytes (data_offsets {offsets})"
        )
    return Entry(name, code, tuple(shape), start, end)


def _dtype(code: str) -> np.dtype:
    return BF16_BITS if code == "BF16" else DTYPES[code]


def check_layout(entries, data_size: int, label: str, *, exact: bool) -> int:
    """Check the tensors tile [0, end) with no gap or overlap and fit in ``data_size`` bytes."""
    if entries:
        last = max(entries, key=lambda e: e.end)
        if last.end > data_size:
            raise CheckpointError(
                f"{label}: tensor '{last.name}' ends at byte {last.end} but the file holds only "
                f"{data_size} data bytes: the file is truncated"
            )
    pos, previous = 0, None
    for e in sorted(entries, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise CheckpointError(
                f"{label}: tensors '{previous}' and '{e.name}' overlap in the file"
            )
        if e.start > pos:
            raise CheckpointError(
                f"{label}: data bytes {pos} to {e.start} (before tensor '{e.name}') belong to no "
                "tensor; the header was edited or the file is not a safetensors file"
            )
        pos, previous = e.end, e.name
    if exact and pos != data_size:
        raise CheckpointError(
            f"{label}: {data_size - pos} bytes follow the last tensor; safetensors files end "
            "with their last tensor (two files joined, or a damaged copy)"
        )
    return pos


def read_arrays(file, entries, label: str) -> dict:
    """Read each tensor (file positioned at the data section); name -> array, in header order."""
    arrays = {}
    for e in sorted(entries, key=lambda e: (e.start, e.end)):
        flat = np.empty(math.prod(e.shape), dtype=_dtype(e.code))
        readinto_exact(file, memoryview(flat.view(np.uint8)), label, f"tensor '{e.name}'")
        arrays[e.name] = flat.reshape(e.shape)
    return {e.name: arrays[e.name] for e in entries}


def check_bool_bytes(arrays, label: str) -> None:
    """BOOL tensors must hold bytes 0 and 1 only (NumPy would show other bytes oddly)."""
    for name, array in arrays.items():
        if array.dtype.kind == "b" and array.size and array.view(np.uint8).max() > 1:
            raise CheckpointError(
                f"{label}: BOOL tensor '{name}' holds bytes other than 0 and 1: the file is "
                "damaged or was not written as safetensors"
            )


def _not_safetensors(source, fault: str):
    """Raise for a file whose start is not a safetensors header, naming a known format."""
    head, view = foreign.read_head(source.file, source.start, source.size)
    known = foreign.message(source.label, head, view)
    raise CheckpointError(known or f"{source.label}: {fault}")


def read_file(source):
    """Read and check a whole safetensors file from a Source: (name -> array, metadata).

    Only the 8-byte length, then the header, then exactly the bytes the header declares are
    read, each after checking that it fits in the file: a header claiming 2**64 elements or a
    header length of 2**63 fails before anything is allocated.
    """
    file, size, label = source.file, source.size, source.label
    if size < 8:
        head = read_exact(file, size, label, "the file")
        known = foreign.message(label, head)
        raise CheckpointError(
            known
            or f"{label}: file is truncated ({size} bytes; a safetensors file starts with an "
            "8-byte header length)"
        )
    (n,) = struct.unpack("<Q", read_exact(file, 8, label, "the header length"))
    if n > MAX_HEADER:
        _not_safetensors(
            source,
            f"the header length {n} is over the {MAX_HEADER}-byte limit of safetensors "
            "headers: the file is damaged or not a safetensors file",
        )
    if 8 + n > size:
        _not_safetensors(
            source,
            f"header length {n} does not fit in a file of {size} bytes: the file is truncated "
            "or not a safetensors file",
        )
    raw = read_exact(file, n, label, "the header")
    if raw[:1] != b"{":
        _not_safetensors(
            source,
            f"the header does not start with '{{' (it starts with {short(raw[:8])}): the file "
            "is damaged or not a safetensors file",
        )
    entries, metadata = parse_header(raw, label)
    check_layout(entries, size - 8 - n, label, exact=source.is_path)
    return read_arrays(file, entries, label), metadata
