"""glassnet.save / glassnet.load: safetensors files that other readers open, atomic writes,
clear errors for damaged files, and torch.save/torch.load's behaviour (file objects, types kept,
map_location, weights_only, safe_globals)."""

import io
import json
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import glassnet
from glassnet.serialization import CheckpointError
from tests.roundtrip import assert_same, load_bytes, saved_bytes


def test_state_dict_round_trip_and_other_readers(tmp_path):
    path = tmp_path / "model.safetensors"
    state = {
        "fc.weight": glassnet.randn(3, 4),
        "fc.bias": glassnet.randn(3, dtype=glassnet.float64),
        "bn.num_batches_tracked": glassnet.tensor(7),
        "mask": glassnet.tensor([True, False]),
    }
    glassnet.save(state, path)
    # The safetensors library (an independent reader) sees the same keys, dtypes and values.
    other = load_file(str(path))
    assert set(other) == set(state)
    for k, v in state.items():
        np.testing.assert_array_equal(other[k], v.numpy())
        assert other[k].dtype == v.numpy().dtype
    back = glassnet.load(path)
    for k, v in state.items():
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


def test_reads_files_written_by_safetensors(tmp_path):
    path = str(tmp_path / "x.safetensors")
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], np.int64)}
    save_file(arrays, path)
    back = glassnet.load(path)
    np.testing.assert_array_equal(back["a"].numpy(), arrays["a"])
    np.testing.assert_array_equal(back["b"].numpy(), arrays["b"])


def test_nested_checkpoint_keeps_structure(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ckpt = {
        "epoch": 3,
        "optimizer": {
            "state": {0: {"step": 5, "exp_avg": glassnet.ones(2)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}],
        },
        "note": None,
        "history": [0.5, 0.25],
    }
    glassnet.save(ckpt, path)
    back = glassnet.load(path)
    assert back["epoch"] == 3 and back["note"] is None and back["history"] == [0.5, 0.25]
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["optimizer"]["state"][0]["step"] == 5
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["exp_avg"].numpy(), [1, 1])


def test_refuses_objects_it_would_have_to_pickle(tmp_path):
    with pytest.raises(TypeError, match="never pickles"):
        glassnet.save({"f": object()}, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    glassnet.save({"w": glassnet.ones(2)}, path)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        glassnet.save({"w": glassnet.zeros(2)}, path)
    monkeypatch.undo()
    # The old file is intact and no temporary file is left behind.
    np.testing.assert_array_equal(glassnet.load(path)["w"].numpy(), [1, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def _damaged(tmp_path, name, mutate):
    path = tmp_path / name
    glassnet.save({"w": glassnet.ones(4, 4), "epoch": 1}, path)
    raw = bytearray(path.read_bytes())
    path.write_bytes(bytes(mutate(raw)))
    return path


def test_truncated_file_names_file_and_fault(tmp_path):
    path = _damaged(tmp_path, "t.safetensors", lambda raw: raw[:-10])
    with pytest.raises(CheckpointError, match=r"t\.safetensors.*truncated"):
        glassnet.load(path)
    tiny = _damaged(tmp_path, "tiny.safetensors", lambda raw: raw[:5])
    with pytest.raises(CheckpointError, match="truncated"):
        glassnet.load(tiny)


def test_corrupted_header_is_reported(tmp_path):
    def corrupt(raw):
        raw[12] = ord("}")
        return raw

    path = _damaged(tmp_path, "c.safetensors", corrupt)
    with pytest.raises(CheckpointError, match=r"c\.safetensors.*not valid JSON"):
        glassnet.load(path)


def test_inconsistent_entry_is_reported(tmp_path):
    header = {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 12]}}
    blob = json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + b"\0" * 12)
    with pytest.raises(CheckpointError, match="spans 12 bytes"):
        glassnet.load(path)


def test_pickle_file_is_rejected_without_running_it(tmp_path):
    import pickle

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(CheckpointError):
        glassnet.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        glassnet.load(tmp_path / "nope.safetensors")


def test_zero_dim_tensors_keep_their_shape_and_files_are_readable(tmp_path):
    path = tmp_path / "bn.safetensors"
    glassnet.save({"num_batches_tracked": glassnet.tensor(3)}, path)
    back = glassnet.load(path)["num_batches_tracked"]
    assert back.shape == () and back.item() == 3
    assert load_file(str(path))["num_batches_tracked"].shape == ()
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


# ---- issue 10: torch.save / torch.load behaviour ------------------------------------------------
def _everything():
    return {
        "tensor": glassnet.tensor([[1.5, -0.0], [float("nan"), float("inf")]]),
        "int_tensor": glassnet.tensor([1, 2, 3]),
        "half": glassnet.tensor([1.0, 2.0], dtype=glassnet.float16),
        "scalar_tensor": glassnet.tensor(7),
        "param": glassnet.nn.Parameter(glassnet.ones(2)),
        "array": np.arange(6, dtype=np.int16).reshape(2, 3),
        "uint_array": np.array([2**40, 7], dtype=np.uint64),
        "empty_array": np.zeros((0, 3), np.float32),
        "tuple": (1, 2.5, "x", None, True),
        "list": [[], (), {}, [None]],
        "nested": {"a": {"b": {"c": [glassnet.zeros(1)]}}},
        "int_keys": {0: "zero", -3: "minus three", "0": "the string zero"},
        "odd_keys": {1.5: "float", None: "none", True: "bool", (1, "a"): "tuple"},
        "marker_like": {"__tensor__": "not a tensor", "__metadata__": 1, "__tuple__": [1]},
        "ordered": OrderedDict([("z", 1), ("a", 2)]),
        "numbers": [0, -1, 2**80, 0.1, -0.0, float("nan"), float("-inf"), 1e308],
        "numpy_scalars": [np.float32(0.1), np.int64(-5), np.bool_(True), np.uint8(255)],
        "text": 'héllo \u2603 \U0001f600 "quoted" \\ \n',
        "none": None,
        "flags": [True, False, 1, 0],
    }


def test_every_kind_of_value_round_trips_with_its_type(tmp_path):
    obj = _everything()
    glassnet.save(obj, tmp_path / "all.safetensors")
    back = glassnet.load(tmp_path / "all.safetensors")
    # glassnet never builds a Parameter on load (that would need nn); as torch does for a plain
    # tensor, requires_grad is kept.
    obj["param"] = obj["param"].detach().requires_grad_(True)
    assert_same(back, obj)
    assert type(back["tuple"]) is tuple and type(back["array"]) is np.ndarray
    assert type(back["tensor"]) is glassnet.Tensor and back["param"].requires_grad


def test_types_match_what_torch_save_and_torch_load_give():
    """The oracle is PyTorch itself: the same structure saved by torch comes back with the same
    container and leaf types (torch.Tensor where glassnet gives glassnet.Tensor)."""
    import torch

    def build(tensor):
        return {
            "w": tensor([1.0, 2.0]),
            "arr": np.ones(2),
            "cfg": {"betas": (0.9, 0.99), "layers": [1, 2], 3: None, "name": "adam"},
            "steps": (tensor([1]), [tensor([2.0])]),
            "ordered": OrderedDict(a=1),
        }

    def shape_of(obj):
        if isinstance(obj, (torch.Tensor, glassnet.Tensor)):
            return "Tensor"
        if isinstance(obj, dict):
            return (type(obj).__name__, [(k, shape_of(v)) for k, v in obj.items()])
        if isinstance(obj, (list, tuple)):
            return (type(obj).__name__, [shape_of(v) for v in obj])
        return type(obj).__name__

    buffer = io.BytesIO()
    torch.save(build(torch.tensor), buffer)
    buffer.seek(0)
    from_torch = torch.load(buffer, weights_only=False)
    from_glassnet = load_bytes(saved_bytes(build(glassnet.tensor)))
    assert shape_of(from_glassnet) == shape_of(from_torch)


def test_file_objects_in_and_out(tmp_path):
    state = {"w": glassnet.randn(3, 2), "epoch": 2}
    with open(tmp_path / "a.safetensors", "wb") as f:
        glassnet.save(state, f)
    with open(tmp_path / "a.safetensors", "rb") as f:
        assert_same(glassnet.load(f), state)

    class WriteOnly:  # a pipe or socket: write() and nothing else
        def __init__(self):
            self.parts = []

        def write(self, data):
            self.parts.append(bytes(data))
            return len(data)

    sink = WriteOnly()
    glassnet.save(state, sink)
    assert b"".join(sink.parts) == (tmp_path / "a.safetensors").read_bytes()

    # Two objects one after the other in one stream load one after the other, as with torch.
    buffer = io.BytesIO()
    glassnet.save({"first": glassnet.ones(1)}, buffer)
    glassnet.save([1, 2], buffer)
    buffer.seek(0)
    assert_same(glassnet.load(buffer), {"first": glassnet.ones(1)})
    assert glassnet.load(buffer) == [1, 2]


def test_file_object_misuse_is_explained(tmp_path):
    with open(tmp_path / "t.txt", "w") as f, pytest.raises(TypeError, match="text mode"):
        glassnet.save({"a": 1}, f)
    (tmp_path / "x.safetensors").write_bytes(saved_bytes({"a": 1}))
    with open(tmp_path / "x.safetensors") as f, pytest.raises(TypeError, match="rb"):
        glassnet.load(f)

    class Stream:
        def read(self, n=-1):
            return b""

        def seekable(self):
            return False

    with pytest.raises(ValueError, match=r"not seekable.*io\.BytesIO"):
        glassnet.load(Stream())
    with pytest.raises(TypeError, match="path or a binary file object"):
        glassnet.save({"a": 1}, 42)


def test_saving_a_whole_module_is_refused_with_the_line_to_write(tmp_path):
    model = glassnet.nn.Linear(2, 2)
    target = tmp_path / "model.pt"
    with pytest.raises(TypeError) as err:
        glassnet.save(model, target)
    message = str(err.value)
    assert f"glassnet.save(model.state_dict(), {str(target)!r})" in message
    assert f"model.load_state_dict(glassnet.load({str(target)!r}))" in message
    assert not target.exists()
    optimizer = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"optimizer\.state_dict\(\) at 'opt'"):
        glassnet.save({"opt": optimizer}, io.BytesIO())
    with pytest.raises(TypeError, match=r"cannot store a value of type set \(at 'tags'\)"):
        glassnet.save({"tags": {1, 2}}, io.BytesIO())
    with pytest.raises(TypeError, match="keys must be str, int, float, bool, None or tuples"):
        glassnet.save({frozenset(): 1}, io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested too deeply.*contains itself"):
        glassnet.save(loop, io.BytesIO())
    assert list(tmp_path.iterdir()) == []


def test_load_accepts_torch_keywords():
    blob = saved_bytes({"w": glassnet.ones(2)})
    for weights_only in (True, False, None):
        assert_same(load_bytes(blob, weights_only=weights_only), {"w": glassnet.ones(2)})
    back = glassnet.load(io.BytesIO(blob), None, None, weights_only=True, mmap=False)
    assert_same(back, {"w": glassnet.ones(2)})
    assert_same(load_bytes(blob, encoding="latin1"), {"w": glassnet.ones(2)})
    with pytest.raises(TypeError, match="weights_only must be"):
        load_bytes(blob, weights_only="yes")
    with pytest.raises(TypeError, match=r"unexpected keyword.*map_locaton"):
        load_bytes(blob, map_locaton="cpu")


def test_map_location_forms(device):
    blob = saved_bytes({"w": glassnet.arange(3), "a": np.ones(2)})
    for where in (device, glassnet.device(device), {"cpu": device}, f"{device}:0"):
        if where == "cpu:0":
            continue
        back = load_bytes(blob, map_location=where)
        assert back["w"].device == device
        np.testing.assert_array_equal(back["w"].cpu().numpy(), [0, 1, 2])
        assert type(back["a"]) is np.ndarray  # arrays are not moved, as in torch
    back = load_bytes(blob, map_location=lambda storage, location: storage)
    assert back["w"].device == "cpu" and back["w"].tolist() == [0, 1, 2]
    back = load_bytes(blob, map_location={"cuda:0": "cpu"})
    assert back["w"].device == "cpu"
    with pytest.raises(RuntimeError, match="unknown device"):
        load_bytes(blob, map_location="tpu")


def test_safe_globals_are_accepted_and_change_nothing():
    from glassnet import serialization

    class Config:
        pass

    blob = saved_bytes({"w": glassnet.ones(1), "cfg": {"lr": 0.1}})
    serialization.clear_safe_globals()
    with serialization.safe_globals([Config]):
        assert serialization.get_safe_globals() == [Config]
        assert_same(
            load_bytes(blob, weights_only=True), {"w": glassnet.ones(1), "cfg": {"lr": 0.1}}
        )
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([Config, (Config, "pkg.Config")])
    assert serialization.get_safe_globals() == [Config, (Config, "pkg.Config")]
    serialization.clear_safe_globals()
    with pytest.raises(TypeError, match="list of classes"):
        serialization.add_safe_globals(Config)


def test_other_readers_open_every_file_glassnet_writes(tmp_path):
    """safetensors' own readers (NumPy and PyTorch flavours) read nested files too: the
    checksums and the structure are string metadata."""
    import safetensors.torch as torch_safetensors
    from safetensors import safe_open

    path = tmp_path / "all.safetensors"
    glassnet.save(_everything(), path)
    other = load_file(str(path))
    np.testing.assert_array_equal(other["nested.a.b.c.0"], [0.0])
    np.testing.assert_array_equal(other["array"], np.arange(6).reshape(2, 3))
    assert other["half"].dtype == np.float16
    assert set(torch_safetensors.load_file(str(path))) == set(other)
    with safe_open(str(path), "np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "pt"  # what Hugging Face loaders look for
    assert {"glassnet.checksum.tensors", "glassnet.checksum.metadata"} <= set(metadata)


def test_reads_torch_safetensors_and_names_dtypes_numpy_lacks(tmp_path):
    import torch
    from safetensors.torch import save_file as torch_save_file

    path = str(tmp_path / "t.safetensors")
    weights = {"fc.weight": torch.randn(3, 2), "steps": torch.tensor([5], dtype=torch.int64)}
    torch_save_file(weights, path, metadata={"format": "pt"})
    back = glassnet.load(path)
    for k, v in weights.items():
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    torch_save_file({"w": torch.ones(2, dtype=torch.float8_e4m3fn)}, path)
    with pytest.raises(CheckpointError, match=r"'w' has dtype F8_E4M3.*v\.float\(\)"):
        glassnet.load(path)
