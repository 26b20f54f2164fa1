"""Fuzzing the loader: every load of a glassnet file, intact or damaged, either returns exactly
what was saved (same types, keys, dtypes, shapes and bytes) or raises CheckpointError.

Inputs come from hypothesis (random objects, saved, then cut and flipped) and from seeded random
mutations of a fixed set of files: byte flips, truncations, insertions, deletions, header
lengths, and edits of the header's JSON values to hostile ones (re-encoded so the file still
parses). One edit cannot be detected: deleting all of glassnet's metadata leaves a valid plain
safetensors file, as other tools write; it must then load as the safetensors package reads it.
Files without checksums (another tool's) and files whose edited structure carries fresh
checksums cannot be compared with an original; for them the claim is that loading gives a
value or a CheckpointError, never another exception. All runs are reproducible (hypothesis is
derandomized, the mutations use fixed seeds). Case counts: 400 + 400 hypothesis examples and
4000 + 1000 + 1000 seeded mutations, 6800 in all.
"""

import json
import math
import struct
from collections import OrderedDict

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors.numpy import load as safetensors_numpy_load
from safetensors.numpy import save as safetensors_numpy_save

import glassnet
from glassnet.serialization import CheckpointError
from tests.roundtrip import assert_same, handmade, load_bytes, saved_bytes, split, with_structure

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64"]
DTYPES += ["uint8", "uint16", "uint32", "uint64", "bool"]
arrays = hnp.arrays(
    dtype=st.sampled_from(DTYPES),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
MARKER_LIKE = ["__tensor__", "__ndarray__", "__tuple__", "__dict__", "__metadata__", "", "a.b"]
texts = st.text(st.characters(blacklist_categories=()), max_size=6)  # with lone surrogates
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    texts,
    arrays,
    arrays.map(glassnet.from_numpy),
    arrays.map(lambda a: a.reshape(-1)[0] if a.size else np.float32(0)),  # NumPy scalars
)
keys = st.one_of(
    texts,
    st.sampled_from(MARKER_LIKE),
    st.integers(-3, 3),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.tuples(st.integers(0, 2), st.text(max_size=2)),
)
objects = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=3),
        st.dictionaries(st.sampled_from(MARKER_LIKE + ["x", "y"]), inner, max_size=3),
        st.dictionaries(texts, inner, max_size=3).map(OrderedDict),
    ),
    max_leaves=10,
)


def _glassnet_metadata_gone(blob) -> bool:
    try:
        header, _ = split(blob)
        metadata = header.get("__metadata__") or {}
        return not any(k.startswith("glassnet") for k in metadata)
    except (ValueError, AttributeError, TypeError, struct.error):
        return False


def exact_or_checkpoint_error(blob, original):
    """'refused', 'exact', or 'plain': the edit deleted all of glassnet's metadata, leaving a
    valid plain safetensors file (as other tools write), which must then load as the
    safetensors package reads it: a dict of its tensors."""
    try:
        loaded = load_bytes(blob)
    except CheckpointError:
        return "refused"
    if _glassnet_metadata_gone(blob):
        oracle = safetensors_numpy_load(blob)
        assert_same(loaded, {k: glassnet.from_numpy(oracle[k]) for k in loaded})
        assert sorted(loaded) == sorted(oracle)
        return "plain"
    assert_same(loaded, original)
    return "exact"


def value_or_checkpoint_error(blob):
    try:
        load_bytes(blob)
    except CheckpointError:
        pass


# ---- hypothesis --------------------------------------------------------------------------------
@FUZZ
@given(objects)
def test_any_object_round_trips_exactly(obj):
    assert_same(load_bytes(saved_bytes(obj)), obj)


@FUZZ
@given(objects, st.data())
def test_damaged_copies_of_any_object_load_exactly_or_fail_cleanly(obj, data):
    blob = bytearray(saved_bytes(obj))
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == "flip" and blob:
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set" and blob:
            blob[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del blob[at:]
        elif kind == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del blob[at : at + data.draw(st.integers(1, 16))]
    exact_or_checkpoint_error(bytes(blob), obj)


# ---- seeded mutations of a fixed set of files --------------------------------------------------
def corpus():
    glassnet.manual_seed(0)
    model = glassnet.nn.Sequential(glassnet.nn.Linear(3, 4), glassnet.nn.Linear(4, 2))
    optimizer = glassnet.optim.Adam(model.parameters(), lr=0.01)
    model(glassnet.randn(2, 3)).sum().backward()
    optimizer.step()
    return [
        model.state_dict(),
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
        glassnet.arange(5),
        {},
        [np.zeros((0, 2)), (1, 2.5, None), {1: "a", "b": True}],
        {f"t{i}": glassnet.tensor([i], dtype=glassnet.int8) for i in range(12)},
    ]


HOSTILE = [
    -1,
    2**64,
    2**63,
    1e300,
    2.7,
    True,
    None,
    "12",
    "",
    [],
    {},
    [-1],
    [2**32, 2**32],
    [0, 2**62, 2**62],
    [[1]],
    {"__tensor__": "nope"},
    "F64",
    "BOOL",
    "BF16",
    [0, 0],
    [10, 2],
    "\udc80",
]


def _paths(node, path=()):
    """Every place in a JSON value, as a tuple of keys/indices."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _replace(node, path, value):
    if not path:
        return value
    node[path[0]] = _replace(node[path[0]], path[1:], value)
    return node


def mutate(blob: bytes, rng) -> bytes:
    raw = bytearray(blob)
    if len(raw) < 9:  # cut by an earlier mutation: grow it again
        return blob + rng.bytes(int(rng.integers(1, 9)))
    (n,) = struct.unpack("<Q", blob[:8])
    n = min(n, len(raw) - 8)
    kind = rng.integers(9)
    if kind <= 2 and n:  # a byte in the header (most of glassnet's checks live there)
        at = int(rng.integers(8, 8 + n))
        raw[at] = int(rng.integers(256)) if kind == 0 else raw[at] ^ (1 << int(rng.integers(8)))
    elif kind == 3 and len(raw) > 8 + n:  # a byte of the payload
        raw[int(rng.integers(8 + n, len(raw)))] ^= 1 << int(rng.integers(8))
    elif kind == 4:
        del raw[int(rng.integers(len(raw))) :]
    elif kind == 5:
        at = int(rng.integers(len(raw)))
        raw[at:at] = rng.bytes(int(rng.integers(1, 9)))
    elif kind == 6:
        lengths = [0, 1, n - 1, n + 1, n + 8, 2**63, 2**64 - 1]
        raw[:8] = struct.pack("<Q", lengths[int(rng.integers(len(lengths)))])
    elif kind >= 7:  # a JSON value of the header replaced by a hostile one, re-encoded
        try:
            header, data = split(blob)
        except ValueError:  # not JSON any more after an earlier mutation
            return blob[:-1]
        places = list(_paths(header))[1:]
        path = places[int(rng.integers(len(places)))]
        value = HOSTILE[int(rng.integers(len(HOSTILE)))]
        return handmade(json.dumps(_replace(header, path, value)), data)
    return bytes(raw)


def test_seeded_mutations_of_glassnet_files_load_exactly_or_fail_cleanly():
    rng = np.random.default_rng(9)
    files = [(saved_bytes(obj), obj) for obj in corpus()]
    outcomes = {"refused": 0, "exact": 0, "plain": 0}
    for _ in range(4000):
        blob, obj = files[int(rng.integers(len(files)))]
        for _ in range(int(rng.integers(1, 3))):
            blob = mutate(blob, rng)
        outcomes[exact_or_checkpoint_error(blob, obj)] += 1
    print(outcomes)
    # Most mutations must be caught; the harmless ones (a space in the header's padding, a
    # value replaced by itself) load as saved. Both kinds occur, so both branches were tested.
    assert outcomes["refused"] > 3000 and outcomes["exact"] > 0


def test_seeded_mutations_of_files_without_checksums_never_raise_anything_else():
    rng = np.random.default_rng(10)
    plain = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array([True, False]),
        "c": np.zeros((0,), np.int64),
    }
    files = [safetensors_numpy_save(plain), safetensors_numpy_save(plain, metadata={"k": "v"})]
    for _ in range(1000):
        blob = files[int(rng.integers(len(files)))]
        value_or_checkpoint_error(mutate(blob, rng))


STRUCTURE_HOSTILE = HOSTILE + [
    {"__tensor__": "t", "requires_grad": True},
    {"__ndarray__": 5},
    {"__numpy__": "U8", "value": -1},
    {"__numpy__": "F16", "value": 1e6},
    {"__dict__": [[[], 1]]},
    {"__odict__": [[1, 2], [1, 3]]},
    {"__tuple__": {}},
    {"__dict__": [[{"__tuple__": [[1]]}, 0]]},
    {"__intkeys__": {"1": 2}},
    [[[[[[[[[[]]]]]]]]]],
]


def test_edited_structures_with_fresh_checksums_never_raise_anything_else():
    """The structure's checks are reached only when its checksum matches: rewrite it each time."""
    rng = np.random.default_rng(11)
    arrays = {"t": np.arange(3, dtype=np.int64), "f": np.ones(2, np.float32)}
    base = {"a": {"__tensor__": "f"}, "b": [1, {"__ndarray__": "t"}], "c": {"__tuple__": [2]}}
    for _ in range(1000):
        structure = json.loads(json.dumps(base))
        places = list(_paths(structure))
        path = places[int(rng.integers(len(places)))]
        structure = _replace(
            structure, path, STRUCTURE_HOSTILE[int(rng.integers(len(STRUCTURE_HOSTILE)))]
        )
        value_or_checkpoint_error(with_structure(arrays, json.dumps(structure)))
    deep = "[" * 10_000 + "]" * 10_000
    value_or_checkpoint_error(with_structure(arrays, deep))
    assert math.isnan(load_bytes(with_structure(arrays, "NaN")))
