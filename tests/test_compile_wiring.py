"""glassnet.compile where it is wired in: ``glassnet train --compile``, the server's and the
playground's compiled inference, the eager fallback with its logged reason.

The oracle is eager mode: a run trained with --compile must write the same weights as one
without (bit-identical on the CPU: the replay calls the same formulas on the same arrays in the
same order), and served predictions must equal the eager model's on the same inputs.
"""

import json
import logging

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.cli import main
from glassnet.recipes import BUILTIN, get
from glassnet.recipes.runner import load_run, train
from glassnet.serve.compiled import CompiledInference
from glassnet.serve.predictor import Predictor


def _weights(run_dir):
    model = load_run(run_dir).model
    return {k: v._data.copy() for k, v in model.state_dict().items()}


def test_cli_train_compile_writes_the_same_weights_and_metrics(tmp_path, capsys):
    for flag, out in (([], "eager"), (["--compile"], "compiled")):
        args = ["train", "iris-mlp", "--epochs", "2", "--no-doctor", "--out", str(tmp_path / out)]
        assert main(args + flag) == 0
    capsys.readouterr()
    eager, compiled = _weights(tmp_path / "eager"), _weights(tmp_path / "compiled")
    assert eager.keys() == compiled.keys()
    for k in eager:
        assert np.array_equal(eager[k], compiled[k]), k
    m1 = json.loads((tmp_path / "eager" / "metrics.json").read_text())
    m2 = json.loads((tmp_path / "compiled" / "metrics.json").read_text())
    assert m1 == m2


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_recipe_trains_the_same_compiled(name, tmp_path):
    runs = [
        train(get(name).replace(epochs=1), tmp_path / str(c), progress=False, doctor=False,
              compile=c)
        for c in (False, True)
    ]  # fmt: skip
    eager, compiled = _weights(runs[0].run_dir), _weights(runs[1].run_dir)
    for k in eager:
        assert np.array_equal(eager[k], compiled[k]), k
    assert runs[0].metrics == runs[1].metrics


def test_runner_passes_compile_to_the_trainer(monkeypatch, tmp_path):
    from glassnet.train import Trainer

    seen = []
    real = Trainer._compiled_forward_backward

    def spy(self, inputs, targets):
        seen.append(self.compile)
        return real(self, inputs, targets)

    monkeypatch.setattr(Trainer, "_compiled_forward_backward", spy)
    train(get("xor-mlp").replace(epochs=1), tmp_path / "r", progress=False, compile=True)
    assert seen and all(seen)


def test_cli_compile_with_a_program_recipe_says_why_it_cannot(tmp_path, capsys):
    code = main(["train", "moons-gan", "--compile", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err
    assert code != 0
    assert "--compile" in err and "program recipe" in err and "without --compile" in err
    assert not (tmp_path / "g").exists()  # refused before anything was written


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("iris") / "run"
    train(get("iris-mlp").replace(epochs=1), out, progress=False, doctor=False)
    return out


def test_served_predictions_equal_eager_and_replay(iris_run):
    p = Predictor(iris_run)
    rng = np.random.default_rng(0)
    for rows in (1, 5, 1, 5, 3):  # batch sizes seen again replay their plan
        raw = rng.uniform(0, 7, (rows, 4)).tolist()
        x = p.parse(raw)
        got = p.predict(x)
        with glassnet.no_grad():
            want = p.pre.outputs(p.model(glassnet.from_numpy(x)))
        assert np.array_equal(got, want)
    assert p.infer.fallback is None
    assert p.infer.compiled.recordings == 3 and p.infer.compiled.replays == 2


def test_server_answers_bad_requests_with_4xx(iris_run):
    from fastapi.testclient import TestClient

    from glassnet.serve.app import create_app

    with TestClient(create_app(iris_run)) as client:
        ok = client.post("/predict", json={"inputs": [[5.1, 3.5, 1.4, 0.2]]})
        again = client.post("/predict", json={"inputs": [[5.1, 3.5, 1.4, 0.2]]})
        assert ok.status_code == 200 and again.json() == ok.json()
        assert client.post("/predict", json={"inputs": [[5.1, "x", 1.4, 0.2]]}).status_code == 422
        assert client.post("/predict", json={"inputs": [[1, 2]]}).status_code == 422
        assert client.post("/predict", json={"nothing": 1}).status_code // 100 == 4
        assert client.post("/predict", content=b"{not json").status_code // 100 == 4


class _ReadsAValue(nn.Module):
    """A model whose Python reads a tensor's value: a plan cannot follow that."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x):
        y = self.lin(x)
        return y * 2 if y.sum().item() > 0 else y


def test_uncompilable_model_falls_back_to_eager_with_a_logged_reason(caplog):
    glassnet.manual_seed(0)
    model = _ReadsAValue().eval()
    infer = CompiledInference(model, name="reads-a-value")
    x = glassnet.randn(4, 3)
    with caplog.at_level(logging.WARNING, logger="glassnet.compile"):
        got = infer(x)
    with glassnet.no_grad():
        assert np.array_equal(got._data, model(x)._data)
    assert infer.fallback is not None and "item()" in infer.fallback
    assert any("reads-a-value runs eagerly" in r.getMessage() for r in caplog.records)
    assert np.array_equal(infer(x)._data, got._data)  # later calls: eager, no new warning
    assert sum("runs eagerly" in r.getMessage() for r in caplog.records) == 1


def test_playground_redraws_from_compiled_plans_equal_eager():
    from glassnet.playground.session import Session

    s = Session()
    s.configure({"dataset": "xor", "hidden": [4, 3]})
    s.train(3)
    first = s.update()
    s.train(3)
    second = s.update()
    infer = s._infer[1]
    assert infer.fallback is None and infer.compiled.replays >= 2  # both grids replayed
    # the same redraw computed eagerly
    from glassnet.playground.recipe import features
    from glassnet.playground.session import _grid_points, _LayerOutputs

    r = s.run
    x = glassnet.tensor(features(_grid_points(s.grid), r.settings["features"]))
    with glassnet.no_grad():
        out, _ = _LayerOutputs(r.model)(x)
    p = out.numpy()
    z = p - p.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    want = np.round((probs[:, 1] * 2 - 1).astype(np.float64), 3).tolist()
    assert second["heatmap"]["values"] == want
    assert first["step"] == 3 and second["step"] == 6


def test_compiled_inference_memory_does_not_grow_over_1000_replays():
    import tracemalloc

    from glassnet.models import DigitsCNN

    glassnet.manual_seed(0)
    model = DigitsCNN().eval()
    infer = CompiledInference(model)
    x = glassnet.randn(1, 1, 8, 8)
    tracemalloc.start()
    try:
        # warm-up: the plan is recorded and CPython's free lists of small objects fill up
        for _ in range(2000):
            infer(x)
        before = tracemalloc.take_snapshot()
        for _ in range(1000):
            out = infer(x)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    # a leak of one small array per replay would be >= 1000 * 112 bytes (an ndarray header);
    # one forward's live arrays at batch 1 (the largest a 32x8x8 float32 map, 8 kB) stay
    # under 40 kB
    assert grown < 40_000, grown
    assert infer.compiled.recordings == 1 and infer.compiled.replays == 2999
    with glassnet.no_grad():
        assert np.array_equal(out._data, model(x)._data)
