"""Every malformed file gets a CheckpointError that names the fault, never a raw TypeError,
ValueError, KeyError, RecursionError, OverflowError, UnicodeDecodeError or MemoryError.

The cases are grouped by area (the header length, the JSON, a tensor's entry, the metadata,
glassnet's structure, the checksums, foreign formats); the inputs are written by hand, byte by
byte, so they do not depend on glassnet's writer. Each case also checks that loading allocates
almost nothing: the limit, 4 MiB, is far below what any of these headers claims (up to 2**64
elements) and far above the few small objects loading a header makes.
"""

import io
import json
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet.serialization import CheckpointError, checksums
from tests.roundtrip import handmade, saved_bytes, split, with_structure

F32x4 = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
DATA = np.arange(4, dtype="<f4").tobytes()


def entry(**changes):
    return {"w": {**F32x4, **changes}}


LENGTH = {
    "empty file": (b"", "truncated"),
    "five bytes": (b"\x05\x00\x00\x00\x00", "truncated"),
    "length 2**63": (struct.pack("<Q", 2**63) + b"{}", "over the 100000000-byte limit"),
    "length 2**64-1": (struct.pack("<Q", 2**64 - 1) + b"{}", "over the 100000000-byte limit"),
    "length past the end": (struct.pack("<Q", 1000) + b"{}", "does not fit in a file of 10"),
    "length zero": (struct.pack("<Q", 0) + DATA, "does not start with '{'"),
    "header is a list": (handmade(b"[]"), "does not start with '{'"),
    "header is a string": (handmade(b'"w"'), "does not start with '{'"),
    "length cuts the JSON": (struct.pack("<Q", 5) + b'{"w":{}}', "not valid JSON"),
}
JSON = {
    "broken JSON": (handmade(b'{"w": {"dtype": "F32",'), "not valid JSON"),
    "not UTF-8": (handmade(b'{"w\xff\xfe": 1}'), r"not UTF-8 text \(byte 3 is 0xff\)"),
    "lone continuation byte": (handmade(b'{"\x80": 1}'), "not UTF-8"),
    "duplicate tensor": (
        handmade('{"w": ' + json.dumps(F32x4) + ', "w": ' + json.dumps(F32x4) + "}", DATA),
        "has the key 'w' twice",
    ),
    "duplicate field": (
        handmade(b'{"w": {"dtype": "F32", "dtype": "I32", "shape": [], "data_offsets": [0, 4]}}'),
        "has the key 'dtype' twice",
    ),
    "deep nesting": (handmade(b'{"w": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "nested"),
    "NaN in the header": (handmade(b'{"w": NaN}'), "not valid JSON"),
    "Infinity as a shape": (
        handmade(b'{"w": {"dtype": "F32", "shape": [Infinity], "data_offsets": [0, 4]}}'),
        "not valid JSON",
    ),
    "a 5000-digit number": (
        handmade('{"w": {"dtype": "F32", "shape": [%s], "data_offsets": [0, 4]}}' % ("9" * 5000)),
        "not valid JSON",
    ),
}
ENTRY = {
    "entry is a number": (handmade({"w": 3}), "has the entry 3"),
    "entry is a list": (handmade({"w": [1, 2]}), "must be a JSON object"),
    "no dtype": (handmade({"w": {"shape": [], "data_offsets": [0, 4]}}), r"no \['dtype'\]"),
    "no shape": (handmade({"w": {"dtype": "F32", "data_offsets": [0, 4]}}), r"no \['shape'\]"),
    "no offsets": (handmade({"w": {"dtype": "F32", "shape": []}}), r"no \['data_offsets'\]"),
    "unknown dtype": (handmade(entry(dtype="F33"), DATA), "unknown dtype 'F33'"),
    "dtype is a number": (handmade(entry(dtype=5), DATA), "unknown dtype 5"),
    "dtype is null": (handmade(entry(dtype=None), DATA), "unknown dtype None"),
    "dtype lower case": (handmade(entry(dtype="f32"), DATA), "unknown dtype 'f32'"),
    "dtype F8_E5M2": (handmade(entry(dtype="F8_E5M2", data_offsets=[0, 4]), DATA[:4]), "F8_E5M2"),
    "dtype F8_E4M3": (handmade(entry(dtype="F8_E4M3", data_offsets=[0, 4]), DATA[:4]), "F8_E4M3"),
    "shape a string": (handmade(entry(shape="12"), DATA), "shape '12', which is not a list"),
    "shape a float": (handmade(entry(shape=[2.7]), DATA), r"shape \[2\.7\]"),
    "shape a whole float": (handmade(entry(shape=[4.0]), DATA), r"shape \[4\.0\]"),
    "shape a bool": (handmade(entry(shape=[True, 4]), DATA), r"shape \[True, 4\]"),
    "shape negative": (handmade(entry(shape=[-1, -4]), DATA), r"shape \[-1, -4\]"),
    "shape null": (handmade(entry(shape=[None]), DATA), r"shape \[None\]"),
    "shape an object": (handmade(entry(shape={"a": 4}), DATA), "not a list"),
    "shape nested": (handmade(entry(shape=[[4]]), DATA), r"shape \[\[4\]\]"),
    "65 dimensions": (handmade(entry(shape=[1] * 64 + [4]), DATA), "65 dimensions"),
    "2**64 elements": (handmade(entry(shape=[2**64]), DATA), "too large for any array"),
    "2**32 x 2**32": (handmade(entry(shape=[2**32, 2**32]), DATA), "too large"),
    "huge zero-size shape": (handmade(entry(shape=[0, 2**62, 2**62])), "too large"),
    "shape and offsets disagree": (handmade(entry(data_offsets=[0, 12]), DATA), "spans 12 bytes"),
    "offsets past the end": (
        handmade(entry(shape=[2**20], data_offsets=[0, 2**22]), DATA),
        "ends at byte 4194304 but the file holds only 16 data bytes",
    ),
    "offsets reversed": (handmade(entry(data_offsets=[16, 0]), DATA), "0 <= start <= end"),
    "offsets negative": (handmade(entry(data_offsets=[-16, 0]), DATA), "0 <= start <= end"),
    "three offsets": (handmade(entry(data_offsets=[0, 8, 16]), DATA), "two integers"),
    "offsets strings": (handmade(entry(data_offsets=["0", "16"]), DATA), "two integers"),
    "offsets bools": (handmade(entry(shape=[], data_offsets=[False, True]), DATA), "integers"),
    "offsets 2**64": (handmade(entry(data_offsets=[2**64, 2**64 + 16]), DATA), "ends at byte"),
    "overlapping tensors": (
        handmade({"a": F32x4, "b": {**F32x4, "data_offsets": [8, 24]}}, DATA + DATA[:8]),
        "tensors 'a' and 'b' overlap",
    ),
    "same bytes twice": (handmade({"a": F32x4, "b": F32x4}, DATA), "overlap"),
    "gap before a tensor": (handmade(entry(data_offsets=[4, 20]), DATA + DATA[:4]), "no tensor"),
    "gap between tensors": (
        handmade({"a": F32x4, "b": {**F32x4, "data_offsets": [20, 36]}}, DATA * 2 + DATA[:4]),
        "bytes 16 to 20 .* belong to no tensor",
    ),
}
METADATA = {
    "metadata a list": (handmade({"__metadata__": ["a"]}), "must map strings to strings"),
    "metadata a string": (handmade({"__metadata__": "epoch=3"}), "strings to strings"),
    "metadata a number value": (handmade({"__metadata__": {"epoch": 3}}), "strings to strings"),
    "metadata a null value": (handmade({"__metadata__": {"a": None}}), "strings to strings"),
    "metadata nested": (handmade({"__metadata__": {"a": {"b": "c"}}}), "strings to strings"),
    "glassnet structure not JSON": (
        handmade({"__metadata__": {"glassnet": "{not json"}}),
        "glassnet structure in the metadata is not valid JSON",
    ),
    "glassnet structure deep": (
        handmade({"__metadata__": {"glassnet": "[" * 50_000 + "]" * 50_000}}),
        "nested",
    ),
    "legacy: missing tensor": (
        handmade({"__metadata__": {"glassnet": '{"a": {"__tensor__": "nope"}}'}}),
        "refers to a missing tensor 'nope'",
    ),
    "legacy: tensor name a number": (
        handmade({"__metadata__": {"glassnet": '{"a": {"__tensor__": 3}}'}}),
        "missing tensor 3",
    ),
    "legacy: duplicate structure key": (
        handmade({"__metadata__": {"glassnet": '{"a": 1, "a": 2}'}}),
        "has the key 'a' twice",
    ),
}
W = {"w": np.zeros(2, np.float32), "i": np.zeros(2, np.int64)}
STRUCTURE = {
    "not JSON": (with_structure(W, '{"a": '), "not valid JSON"),
    "missing tensor": (with_structure(W, '{"__tensor__": "x"}'), "missing tensor 'x'"),
    "tensor name a list": (with_structure(W, '{"__ndarray__": ["w"]}'), r"missing tensor \['w'\]"),
    "markers mixed": (with_structure(W, '{"__tensor__": "w", "__tuple__": []}'), "mixes marker"),
    "marker with extra key": (with_structure(W, '{"__tuple__": [], "x": 1}'), "mixes marker"),
    "legacy marker in format 2": (with_structure(W, '{"__intkeys__": {}}'), "mixes marker"),
    "tuple of a number": (with_structure(W, '{"__tuple__": 5}'), "holds int, not a list"),
    "dict of a string": (with_structure(W, '{"__dict__": "ab"}'), "holds str, not a list"),
    "dict pair of three": (
        with_structure(W, '{"__dict__": [[1, 2, 3]]}'),
        "not a \\[key, value\\]",
    ),
    "dict pair a string": (with_structure(W, '{"__odict__": ["ab"]}'), "not a \\[key, value\\]"),
    "dict key a list": (with_structure(W, '{"__dict__": [[[1], 2]]}'), "key \\[1\\] is not"),
    "dict key an object": (with_structure(W, '{"__dict__": [[{"a": 1}, 2]]}'), "is not a str"),
    "dict key twice": (with_structure(W, '{"__dict__": [[1, 2], [1, 3]]}'), "key 1 appears twice"),
    "dict key true and 1": (with_structure(W, '{"__dict__": [[1, 2], [true, 3]]}'), "twice"),
    "requires_grad a string": (
        with_structure(W, '{"__tensor__": "w", "requires_grad": "yes"}'),
        "requires_grad is 'yes'",
    ),
    "int tensor requiring grad": (
        with_structure(W, '{"__tensor__": "i", "requires_grad": true}'),
        "int64 tensor cannot require gradients",
    ),
    "numpy scalar unknown dtype": (
        with_structure(W, '{"__numpy__": "Q8", "value": 1}'),
        "unknown NumPy scalar dtype 'Q8'",
    ),
    "numpy scalar out of range": (
        with_structure(W, '{"__numpy__": "U8", "value": 300}'),
        "300 does not fit a U8 scalar",
    ),
    "numpy scalar inexact": (
        with_structure(W, '{"__numpy__": "F16", "value": 0.1}'),
        "0.1 does not fit a F16",
    ),
    "numpy scalar wrong type": (
        with_structure(W, '{"__numpy__": "I32", "value": "3"}'),
        "I32 scalar holds '3'",
    ),
    "numpy bool from an int": (
        with_structure(W, '{"__numpy__": "BOOL", "value": 1}'),
        "BOOL scalar holds 1",
    ),
    "nested 400 deep": (with_structure(W, "[" * 400 + "]" * 400), "nested more than 300 levels"),
}


def _checksummed():
    return saved_bytes({"w": glassnet.arange(16, dtype=glassnet.float32), "epoch": 3})


def _resave(mutate_header):
    """A glassnet file whose header was edited (and re-encoded with a correct length)."""
    header, data = split(_checksummed())
    mutate_header(header)
    return handmade(header, data)


def _flip(offset_from_end):
    blob = bytearray(_checksummed())
    blob[len(blob) - offset_from_end] ^= 0x01
    return bytes(blob)


def _set_epoch(header):
    meta = header["__metadata__"]
    meta["glassnet"] = meta["glassnet"].replace('"epoch":3', '"epoch":4')


def _drop(*keys):
    def edit(header):
        for key in keys:
            del header["__metadata__"][key]

    return edit


def _set_meta(key, value):
    def edit(header):
        header["__metadata__"][key] = value

    return edit


def _forge_payload_digest(header):
    meta = header["__metadata__"]
    meta["glassnet.checksum.tensors"] = "sha256:" + "0" * 64
    meta["glassnet.checksum.metadata"] = checksums.metadata_digest(meta)


def _rename(header):
    header["v"] = header.pop("w")


def _reshape(header):
    header["w"]["shape"] = [4, 4]


def _retype(header):
    header["w"]["dtype"] = "I32"


CHECKSUM = {
    "flipped last payload byte": (_flip(1), r"tensor 'w' \(F32, shape \[16\]\) does not match"),
    "flipped first payload byte": (_flip(64), "does not match its checksum"),
    "truncated payload": (_checksummed()[:-3], "truncated"),
    "edited epoch": (_resave(_set_epoch), "metadata .* does not match its checksum"),
    "checksums stripped": (
        _resave(_drop("glassnet.checksum.tensors", "glassnet.checksum.metadata")),
        "lacks .*glassnet.checksum.tensors",
    ),
    "version stripped": (_resave(_drop("glassnet.version")), "lacks \\['glassnet.version'\\]"),
    "newer version": (_resave(_set_meta("glassnet.version", "3")), "newer glassnet"),
    "odd version": (_resave(_set_meta("glassnet.version", "two")), "'two' is unknown"),
    "renamed tensor": (_resave(_rename), "tensors in the header differ"),
    "payload digest forged": (_resave(_forge_payload_digest), "payload does not match its SHA-256"),
    "reshaped tensor": (_resave(_reshape), "does not match its checksum"),
    "retyped tensor": (_resave(_retype), "does not match its checksum"),
    "crc map not JSON": (
        _resave(_set_meta("glassnet.checksum.crc32", "{")),
        "metadata .* does not match",
    ),
    "extra metadata added": (_resave(_set_meta("note", "hi")), "metadata .* does not match"),
    "bool byte 2 (no checksum)": (
        handmade({"b": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02"),
        "BOOL tensor 'b' holds bytes other than 0 and 1",
    ),
}


def _torch_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:  # the layout torch.save writes
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        z.writestr("archive/version", "3\n")
    return buffer.getvalue()


def _npz():
    buffer = io.BytesIO()
    np.savez(buffer, w=np.ones(2))
    return buffer.getvalue()


def _npy():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(2))
    return buffer.getvalue()


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "hello")
    return buffer.getvalue()


FOREIGN = {
    **{
        f"pickle protocol {p}": (
            pickle.dumps({"w": [1.0]}, protocol=p),
            f"pickle \\(protocol {p}\\)",
        )
        for p in (2, 3, 4, 5)
    },
    "PyTorch zip (.pt)": (_torch_zip(), r"PyTorch checkpoint .*weights_only=True.*save_file"),
    "NumPy .npz": (_npz(), r"\.npz archive.*allow_pickle=False"),
    "NumPy .npy": (_npy(), r"\.npy file.*allow_pickle=False"),
    "other zip": (_zip(), "a zip archive"),
    "HDF5": (b"\x89HDF\r\n\x1a\n" + b"\0" * 64, "HDF5"),
    "GGUF": (b"GGUF" + b"\x03\0\0\0" + b"\0" * 64, "GGUF"),
    "plain text": (b"hello, this is not a checkpoint at all", "not a safetensors file"),
    "tiny pickle": (pickle.dumps(1, protocol=2), "pickle"),
}
AREAS = {
    "header length": LENGTH,
    "header JSON": JSON,
    "tensor entry": ENTRY,
    "metadata": METADATA,
    "glassnet structure": STRUCTURE,
    "checksums": CHECKSUM,
    "foreign formats": FOREIGN,
}
CASES = [
    pytest.param(blob, match, id=f"{area}: {name}")
    for area, cases in AREAS.items()
    for name, (blob, match) in cases.items()
]


@pytest.mark.parametrize("blob, match", CASES)
def test_malformed_file_gets_a_clear_checkpoint_error(blob, match):
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match) as err:
            glassnet.load(io.BytesIO(blob))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(err.value).startswith("<BytesIO>: ")  # the message names the file
    assert peak < max(4 * 2**20, 3 * len(blob)), f"loading allocated {peak} bytes"


def test_the_valid_twins_of_the_cases_load():
    """The hand-written inputs are right apart from their fault: fixed, they load."""
    back = glassnet.load(io.BytesIO(handmade({"w": F32x4}, DATA)))
    np.testing.assert_array_equal(back["w"].numpy(), [[0, 1], [2, 3]])
    back = glassnet.load(io.BytesIO(with_structure(W, '{"__dict__": [[1, {"__ndarray__": "w"}]]}')))
    assert list(back) == [1] and type(back[1]) is np.ndarray
    meta = {"glassnet": '{"a": {"__tensor__": "w"}, "b": {"__intkeys__": {"1": 2}}}'}
    back = glassnet.load(io.BytesIO(handmade({"w": F32x4, "__metadata__": meta}, DATA)))
    assert back["b"] == {1: 2} and back["a"].shape == (2, 2)
