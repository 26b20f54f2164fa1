"""``glassnet export RUN_DIR --format onnx``: the run's model in ONNX Runtime gives the run's own
predictions once the preprocessing stored in the file's metadata is applied."""

import json
import os

import numpy as np
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest

from glassnet import cli
from glassnet.recipes import get
from glassnet.recipes.prepare import Preprocessing, prepare
from glassnet.recipes.runner import forward, load_run, train


@pytest.mark.parametrize("name", ["iris-mlp", "sine-lstm"])
def test_export_command_matches_offline_predictions(tmp_path, name, capsys):
    run_dir = train(get(name).replace(epochs=1), str(tmp_path / "run"), progress=False).run_dir
    assert cli.main(["export", run_dir, "--format", "onnx"]) == 0
    path = os.path.join(run_dir, "model.onnx")
    assert "wrote" in capsys.readouterr().out
    model = onnx.load(path)
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["glassnet.recipe"] == name
    pre = Preprocessing.from_state_dict(json.loads(meta["glassnet.preprocessing"]))
    x = np.asarray(prepare(get(name), warn=False).x_test[:9])
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": pre.inputs(x)})
    # float32 on both sides, summed in another order by ONNX Runtime: see test_onnx.py
    np.testing.assert_allclose(
        pre.outputs(logits), forward(load_run(run_dir), x), rtol=1e-4, atol=1e-5
    )


def test_export_command_errors(tmp_path, capsys):
    run_dir = train(get("xor-mlp").replace(epochs=1), str(tmp_path / "run"), progress=False).run_dir
    assert cli.main(["export", run_dir, "--format", "tflite"]) != 0
    assert "unknown format 'tflite'" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "missing")]) != 0
    assert "not a glassnet run directory" in capsys.readouterr().err
    out = str(tmp_path / "elsewhere" / "m.onnx")
    assert cli.main(["export", run_dir, "--out", out, "--opset", "18"]) == 0
    assert onnx.load(out).opset_import[0].version == 18
