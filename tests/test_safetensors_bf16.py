"""BF16 and F16 safetensors files: read as PyTorch wrote them, written as PyTorch reads them.

Oracles: files written by ``safetensors.torch.save_file`` (and, independently, by hand from
torch's bf16 bytes following the format's spec), compared with torch's own ``.float()``;
writing is checked by reading the file back with ``safetensors.torch.load_file``. Widening
bfloat16 to float32 is exact, so every comparison is exact equality.
"""

import json
import struct

import numpy as np
import pytest
import torch  # noqa: E402

import glassnet
from glassnet.serialization import read_safetensors, write_safetensors


def _special_bf16():
    # normal values, subnormals, signed zeros, infinities and NaN: every class of bit pattern
    values = [0.0, -0.0, 1.0, -2.5, 3.0e38, -1e-40, 1e-38, float("inf"), float("-inf")]
    return torch.tensor(values, dtype=torch.float32).to(torch.bfloat16)


def _hand_written(path, tensors):
    """A safetensors file built from the spec: u64 header length, JSON header, raw bytes."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {
            "dtype": "BF16",
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_reads_bf16_written_by_safetensors_torch(tmp_path):
    import safetensors.torch as st_torch

    g = torch.Generator().manual_seed(0)
    weights = {
        "w": torch.randn(7, 5, generator=g).to(torch.bfloat16),
        "special": _special_bf16(),
        "nan": torch.tensor([float("nan")], dtype=torch.bfloat16),
        "half": torch.randn(4, generator=g).to(torch.float16),
        "ids": torch.tensor([3, 1], dtype=torch.int64),
    }
    path = str(tmp_path / "m.safetensors")
    st_torch.save_file(weights, path, metadata={"format": "pt"})
    arrays, _ = read_safetensors(path)
    for name in ("w", "special", "nan"):
        assert arrays[name].dtype == np.float32
        np.testing.assert_array_equal(arrays[name], weights[name].float().numpy())
    assert np.signbit(arrays["special"][1])  # -0.0 keeps its sign
    assert arrays["half"].dtype == np.float16
    np.testing.assert_array_equal(arrays["half"], weights["half"].numpy())
    np.testing.assert_array_equal(arrays["ids"], weights["ids"].numpy())
    back = glassnet.load(path)  # the same through glassnet.load, as Tensors
    assert back["w"].dtype == glassnet.float32
    np.testing.assert_array_equal(back["w"].numpy(), weights["w"].float().numpy())


def test_reads_bf16_written_by_hand_from_the_spec(tmp_path):
    g = torch.Generator().manual_seed(1)
    weights = {"a": torch.randn(3, 4, generator=g).to(torch.bfloat16), "b": _special_bf16()}
    path = str(tmp_path / "hand.safetensors")
    _hand_written(path, weights)
    arrays, _ = read_safetensors(path)
    for name, t in weights.items():
        np.testing.assert_array_equal(arrays[name], t.float().numpy())


@pytest.mark.parametrize("how", ["option", "ml_dtypes"])
def test_writes_bf16_that_torch_reads(tmp_path, how):
    import safetensors.torch as st_torch

    rng = np.random.default_rng(2)
    # random floats over many binades, ties (x.5 ulp exactly) and specials: rounding checked
    x = (rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500)).astype(np.float32)
    ties = np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8)], dtype=np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, 1e-45], dtype=np.float32)
    x = np.concatenate([x, ties, special])
    ids = np.arange(3, dtype=np.int64)
    path = str(tmp_path / "out.safetensors")
    if how == "option":
        write_safetensors(path, {"x": x, "ids": ids}, dtype="bfloat16")
    else:
        import ml_dtypes

        write_safetensors(path, {"x": x.astype(ml_dtypes.bfloat16), "ids": ids})
    theirs = st_torch.load_file(path)
    assert theirs["x"].dtype == torch.bfloat16 and theirs["ids"].dtype == torch.int64
    expected = torch.from_numpy(x).to(torch.bfloat16)  # torch's rounding is the oracle
    assert torch.equal(theirs["x"].view(torch.int16)[:-3], expected.view(torch.int16)[:-3])
    # NaN payloads may differ; compare the non-NaN tail exactly and NaN-ness
    assert torch.isnan(theirs["x"][-3]) and torch.equal(theirs["x"][-2:], expected[-2:])
    mine, _ = read_safetensors(path)  # and glassnet reads its own file back (checksums pass)
    np.testing.assert_array_equal(mine["x"], expected.float().numpy())
    np.testing.assert_array_equal(mine["ids"], ids)


def test_bf16_checkpoint_loads_into_a_model(tmp_path):
    import transformers

    torch.manual_seed(0)
    cfg = transformers.BertConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    hf = transformers.BertModel(cfg).eval()
    hf.to(torch.bfloat16).save_pretrained(tmp_path, safe_serialization=True)
    model = glassnet.models.BertModel.from_pretrained(str(tmp_path))
    ids = torch.tensor([[2, 5, 7, 1]])
    hf32 = hf.float()  # in place: the bf16 weights widened, exactly what glassnet loaded
    want = hf32(input_ids=ids).last_hidden_state.detach().numpy()
    got = model(input_ids=glassnet.tensor(ids.numpy())).last_hidden_state.detach().numpy()
    # float32 forward of one small layer, identical weights: float32 rounding only
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # and save_pretrained(dtype='bfloat16') writes a folder transformers loads as bf16
    out = tmp_path / "again"
    model.save_pretrained(str(out), dtype="bfloat16")
    again = transformers.BertModel.from_pretrained(out, torch_dtype=torch.bfloat16)
    for k, v in hf.state_dict().items():
        assert torch.equal(again.state_dict()[k], v.to(torch.bfloat16)), k


def test_refuses_an_unknown_write_dtype(tmp_path):
    with pytest.raises(ValueError, match="not a floating-point format"):
        write_safetensors(str(tmp_path / "x.safetensors"), {"x": np.ones(2)}, dtype="int8")
