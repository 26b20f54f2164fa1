"""glassnet.save / glassnet.load: safetensors files that other readers open, atomic writes,
and clear errors for damaged files."""

import json
import os
import struct

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import glassnet
from glassnet.serialization import CheckpointError


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
