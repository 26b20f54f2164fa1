"""Files written by earlier glassnet versions and by other tools still load.

The earlier format (before checksums) is rebuilt byte by byte from its rules in
tests/roundtrip.py (legacy_bytes), so these tests do not depend on the current writer."""

import io
import zlib

import numpy as np
import pytest
from safetensors.numpy import save_file

import glassnet
from glassnet import nn
from glassnet.optim import Adam
from glassnet.train import checkpoint, load_checkpoint, save_checkpoint
from tests.roundtrip import assert_same, legacy_bytes, load_bytes, split


def test_plain_state_dict_of_the_old_format():
    state = nn.Linear(3, 2).state_dict()
    blob = legacy_bytes(state)
    assert "__metadata__" not in split(blob)[0]  # the old writer added none for plain weights
    back = load_bytes(blob)
    assert list(back) == list(state)
    for k, v in state.items():
        assert_same(back[k], v)


def test_nested_checkpoint_of_the_old_format():
    ckpt = {
        "epoch": 3,
        "optimizer": {
            "state": {0: {"step": 5, "exp_avg": glassnet.ones(2)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}],
        },
        "note": None,
        "history": [0.5, 0.25],
        "array": np.arange(3),  # the old format gave every array back as a Tensor
    }
    back = load_bytes(legacy_bytes(ckpt))
    ckpt["array"] = glassnet.tensor(np.arange(3))
    assert_same(back, ckpt)


def test_single_tensor_of_the_old_format():
    assert_same(load_bytes(legacy_bytes(glassnet.arange(4))), glassnet.arange(4))


def test_training_checkpoint_of_format_1_still_resumes(tmp_path, monkeypatch):
    """save_checkpoint as it was: format 1, written by the old writer, with per-tensor CRC-32."""
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = Adam(model.parameters(), lr=0.01)
    model(glassnet.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "old.safetensors"
    monkeypatch.setattr(checkpoint, "VERSION", 1)
    monkeypatch.setattr(checkpoint, "save", lambda obj, p: open(p, "wb").write(legacy_bytes(obj)))
    save_checkpoint(path, model, opt, epoch=4, extras={"mean": [1.5]})
    monkeypatch.undo()
    assert "glassnet.version" not in split(path.read_bytes())[0]["__metadata__"]

    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    fresh_opt = Adam(fresh.parameters(), lr=0.01)
    info = load_checkpoint(path, fresh, fresh_opt)
    assert info["epoch"] == 4 and info["extras"] == {"mean": [1.5]}
    for k, v in model.state_dict().items():
        assert_same(fresh.state_dict()[k], v)
    assert fresh_opt.state_dict()["state"][0]["step"] == 1

    # Its per-tensor CRC-32 (zlib's, computed here independently) still guards it.
    header, data = split(path.read_bytes())
    start, _ = header["model.0.weight"]["data_offsets"]
    weights = model.state_dict()["0.weight"].numpy()
    assert zlib.crc32(weights.tobytes()) == zlib.crc32(data[start : start + weights.nbytes])
    raw = bytearray(path.read_bytes())
    raw[len(raw) - len(data) + start] ^= 0x04
    path.write_bytes(bytes(raw))
    with pytest.raises(glassnet.serialization.CheckpointError, match="model/0.weight"):
        load_checkpoint(path, fresh)


def test_files_from_safetensors_numpy_with_and_without_metadata(tmp_path):
    arrays = {
        "a": np.arange(6, dtype=np.float16).reshape(2, 3),
        "b": np.array([1, 2], np.uint32),
        "empty": np.zeros((0, 4), np.float32),
        "flag": np.array(True),
    }
    for metadata in (None, {"format": "np", "author": "someone"}):
        path = str(tmp_path / "x.safetensors")
        save_file(arrays, path, metadata=metadata)
        back = glassnet.load(path)
        assert sorted(back) == sorted(arrays)
        for k, v in arrays.items():
            assert_same(back[k], glassnet.Tensor._make(v))
        buffer = io.BytesIO(open(path, "rb").read())
        assert sorted(glassnet.load(buffer)) == sorted(arrays)
