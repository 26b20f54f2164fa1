"""``glassnet export RUN_DIR --format onnx`` for runs trained with ``--data``: the tabular MLP
and its embedding variant, the small CNN on an image folder, the LSTM and Transformer text
classifiers, the next-character model. The file runs in ONNX Runtime on real preprocessed
inputs (missing values, unseen categories, padded token ids) at two batch sizes and equals
glassnet's eval output; the preprocessing travels as JSON in the file's metadata."""

import json
import os

import numpy as np
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest

import glassnet
from glassnet.cli import main
from glassnet.grad_mode import no_grad
from glassnet.recipes.owndata import inputs_from_records, read_input_file
from glassnet.recipes.prepare import Preprocessing
from glassnet.recipes.runner import load_run


def assert_close(got, ref):
    # float32 on both sides: ONNX Runtime sums products in another order (blocked GEMM,
    # im2col convolutions, its own LSTM kernel), a few ulps per accumulation, about
    # sqrt(K) * 6e-8 relative for K-term dot products. 1e-4 of the output's scale leaves room
    # for that over these few layers and is far below any wrong-op error (as in test_onnx.py).
    scale = max(float(np.abs(ref).max()), 1e-6)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale)


def _table(folder):
    rng = np.random.default_rng(0)
    lines = ["size,rooms,city,garden,label"]
    for i in range(90):
        size = rng.normal(80, 20)
        city = ["Oslo", "Lima", "Pune", "Rome"][i % 4]
        label = "big" if size + (15 if city == "Oslo" else 0) > 85 else "small"
        shown = "" if i % 11 == 0 else f"{size:.1f}"
        lines.append(f"{shown},{int(rng.integers(1, 6))},{city},{'yes' if i % 2 else 'no'},{label}")
    path = folder / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    new = folder / "new.csv"
    new.write_text("size,rooms,city,garden\n120,3,Oslo,yes\n,2,Atlantis,no\n40,1,Rome,\n")
    return path, new


def _images(folder):
    from PIL import Image

    rng = np.random.default_rng(1)
    root = folder / "shapes"
    for c, channel in (("red", 0), ("blue", 2)):
        (root / c).mkdir(parents=True)
        for i in range(10):
            pixels = rng.integers(0, 60, (18, 20, 3)).astype(np.uint8)
            pixels[..., channel] = 200
            Image.fromarray(pixels).save(root / c / f"{i}.png")
    return root, root / "red"


def _texts(folder):
    rng = np.random.default_rng(3)
    words = {"pos": ["great", "lovely", "fine"], "neg": ["awful", "sad", "dull"]}
    lines = ["review,label"]
    for i in range(60):
        label = "pos" if i % 2 else "neg"
        lines.append(" ".join(rng.choice(words[label] + ["the", "film"], 2 + i % 6)) + f",{label}")
    path = folder / "reviews.csv"
    path.write_text("\n".join(lines) + "\n")
    new = folder / "new.csv"  # short ones are padded at the front, long ones cut
    new.write_text("review\ngreat\nthe film was awful awful sad dull the film the film\nzzz\n")
    return path, new


def _story(folder):
    path = folder / "story.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 10)
    return path, path


CASES = {
    "mlp": (_table, []),
    "tabular_embed": (_table, ["--model", "tabular_embed"]),
    "small_cnn": (_images, []),
    "text_lstm": (_texts, []),
    "text_transformer": (_texts, ["--model", "text_transformer"]),
    "next_token_lstm": (_story, []),
}


@pytest.mark.parametrize("model", list(CASES))
def test_exported_run_equals_glassnet_eval(tmp_path, model, capsys):
    make, args = CASES[model]
    data, new = make(tmp_path)
    out = str(tmp_path / "run")
    assert main(["train", "--data", str(data), "--out", out, "--epochs", "1", *args]) == 0
    assert main(["export", out, "--format", "onnx"]) == 0
    run = load_run(out)
    assert run.recipe.model == model
    path = os.path.join(out, "model.onnx")
    onnx.checker.check_model(onnx.load(path))
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    pre = Preprocessing.from_state_dict(json.loads(meta["glassnet.preprocessing"]))
    assert pre.state_dict() == run.preprocessing.state_dict()
    x = read_input_file(run, str(new))
    if model == "next_token_lstm":  # a file gives one window: shift it for a few more
        x = np.concatenate([x, np.roll(x, 1, axis=1), np.roll(x, 5, axis=1)])
    assert len(x) >= 3
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (x, x[:1]):  # two batch sizes through the one dynamic axis
        (got,) = session.run(None, {"input": pre.inputs(batch)})
        with no_grad():
            ref = run.model(glassnet.from_numpy(pre.inputs(batch))).numpy()
        assert_close(got, ref)
    assert "wrote" in capsys.readouterr().out


def test_exported_table_model_on_json_rows(tmp_path):
    """A client applying the metadata's preprocessing to JSON rows (inputs_from_records) gets
    the server's numbers from the ONNX file."""
    data, _ = _table(tmp_path)
    out = str(tmp_path / "run")
    assert main(["train", "--data", str(data), "--out", out, "--epochs", "1"]) == 0
    assert main(["export", out, "--out", str(tmp_path / "m.onnx")]) == 0
    run = load_run(out)
    rows = [{"size": None, "rooms": 2, "city": "Atlantis", "garden": "no"}]
    x = inputs_from_records(run, rows)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": run.preprocessing.inputs(x)})
    with no_grad():
        assert_close(got, run.model(glassnet.from_numpy(x)).numpy())


class _Masks(glassnet.nn.Module):
    """Masks made from the input with comparisons and logic (no Function), then used."""

    def __init__(self):
        super().__init__()
        self.embedding = glassnet.nn.Embedding(10, 4, padding_idx=0)

    def forward(self, tokens):
        keep = (tokens != 0) & ~(tokens > 7)
        big = (tokens >= 2.5) | (tokens == 9)
        h = self.embedding(tokens) * keep.float().unsqueeze(-1)
        return h.sum(1) + big.float().sum(1, keepdim=True)


def test_masks_from_comparisons_follow_the_input(tmp_path):
    from glassnet.onnx import export

    glassnet.manual_seed(0)
    model = _Masks().eval()
    example = glassnet.from_numpy(np.array([[1, 2, 3, 4], [5, 6, 7, 1]]))  # no padding, no 8/9
    path = str(tmp_path / "masks.onnx")
    export(model, example, path, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = np.array([[0, 0, 3, 9], [8, 2, 0, 1], [9, 9, 9, 9]], dtype=np.int64)
    (got,) = session.run(None, {"input": x})
    with no_grad():
        assert_close(got, model(glassnet.from_numpy(x)).numpy())
