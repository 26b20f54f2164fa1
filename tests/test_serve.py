"""The prediction server (glassnet.serve) through FastAPI's TestClient: answers equal to the
offline predictions of the same run, metadata, micro-batching, and a table of malformed requests
that must each get a 4xx JSON error saying what was wrong (never a 5xx, never a crash)."""

import asyncio
import base64
import hashlib
import io
import json
import os

import fastapi  # noqa: E402, F401
import httpx  # noqa: E402, F401
import numpy as np
import pytest
from fastapi.testclient import TestClient  # noqa: E402

from glassnet.recipes import get  # noqa: E402
from glassnet.recipes.prepare import prepare  # noqa: E402
from glassnet.recipes.runner import forward, load_run, train  # noqa: E402
from glassnet.serve import MicroBatcher, create_app  # noqa: E402

# Offline and served predictions run the same float32 model on the same rows; only the batch a
# row is computed in can differ, which changes BLAS's blocking and so the summation order: a
# few float32 ulps (6e-8 relative each) per layer. 1e-5 is far above that and far below any
# real difference in the model or the preprocessing.
RTOL = 1e-5


def _train(tmp_path_factory, name, epochs=1):
    folder = str(tmp_path_factory.mktemp(name))
    return train(get(name).replace(epochs=epochs), folder, progress=False).run_dir


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    return _train(tmp_path_factory, "iris-mlp", epochs=3)


@pytest.fixture(scope="module")
def iris(iris_run):
    # a small body limit and sample count, so the 413 cases stay small
    app = create_app(iris_run, max_body_mb=0.01, max_rows=50)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _iris_rows():
    data = prepare(get("iris-mlp"), warn=False)
    return np.asarray(data.x_test, dtype=np.float64)


def test_predictions_equal_offline_forward(iris, iris_run):
    x = _iris_rows()
    reply = iris.post("/predict", json={"inputs": x.tolist()})
    assert reply.status_code == 200
    body = reply.json()
    offline = forward(load_run(iris_run), x)  # raw rows in: the run's scaler applies in both
    np.testing.assert_allclose(np.array(body["probabilities"]), offline, rtol=RTOL, atol=1e-7)
    names = load_run(iris_run).preprocessing.class_names
    assert body["classes"] == names
    assert body["predictions"] == [names[k] for k in offline.argmax(axis=1)]


def test_health_metadata_docs(iris, iris_run):
    assert iris.get("/health").json()["status"] == "ok"
    meta = iris.get("/metadata").json()
    run = load_run(iris_run)
    assert meta["input_shape"] == [4] and meta["task"] == "classification"
    assert meta["classes"] == run.preprocessing.class_names
    assert meta["preprocessing"]["input_scaler"] == run.preprocessing.input_scaler
    with open(os.path.join(iris_run, "model.safetensors"), "rb") as f:
        assert meta["model_sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert "swagger" in iris.get("/docs").text.lower()
    assert "/predict" in iris.get("/openapi.json").json()["paths"]


def test_kernels_are_loaded_at_start_up_before_any_request(iris_run, monkeypatch):
    import glassnet.kernels

    calls = []
    monkeypatch.setattr(glassnet.kernels, "preload", lambda: calls.append("preload") or True)
    app = create_app(iris_run)
    assert calls == []  # building the app loads nothing; starting it does
    with TestClient(app) as client:
        assert calls == ["preload"]
        assert client.get("/health").status_code == 200
    assert calls == ["preload"]


def test_weights_are_read_only(iris):
    predictor = iris.app.state.predictor
    assert all(not p._data.flags.writeable for p in predictor.model.parameters())


GOOD = [5.1, 3.5, 1.4, 0.2]
DEEP = "[" * 4000 + "]" * 4000  # deeper than Python's recursion limit, under the body limit


def _post(**kwargs):
    return kwargs


# (what, request keyword arguments, expected status, words the message must contain)
MALFORMED = [
    ("too few features", _post(json={"inputs": [[1.0, 2.0, 3.0]]}), 422, "has 3 values"),
    ("too many features", _post(json={"inputs": [GOOD + [1.0]]}), 422, "has 5 values"),
    ("one bad row of two", _post(json={"inputs": [GOOD, [1.0]]}), 422, "inputs[1]"),
    ("a string value", _post(json={"inputs": [[5.1, "3.5", 1.4, 0.2]]}), 422, "string"),
    ("a boolean value", _post(json={"inputs": [[5.1, True, 1.4, 0.2]]}), 422, "boolean"),
    ("a null value", _post(json={"inputs": [[5.1, None, 1.4, 0.2]]}), 422, "null"),
    ("NaN", _post(content='{"inputs": [[NaN, 1, 2, 3]]}'), 422, "NaN"),
    ("Infinity", _post(content='{"inputs": [[Infinity, 1, 2, 3]]}'), 422, "Infinity"),
    ("-Infinity", _post(content='{"inputs": [[-Infinity, 1, 2, 3]]}'), 422, "Infinity"),
    ("1e400 overflows", _post(content='{"inputs": [[1e400, 1, 2, 3]]}'), 422, "finite"),
    ("1e39 beyond float32", _post(content='{"inputs": [[1e39, 1, 2, 3]]}'), 422, "finite"),
    (
        "a 400-digit integer",
        _post(content='{"inputs": [[1' + "0" * 400 + ", 1, 2, 3]]}"),
        422,
        "too large",
    ),
    ("nested wrong", _post(json={"inputs": [[[5.1, 3.5], [1.4, 0.2]]]}), 422, "nested"),
    ("a row that is an object", _post(json={"inputs": [{"a": 1}]}), 422, "list of numbers"),
    ("a row that is a number", _post(json={"inputs": [5.1, 3.5]}), 422, "list of numbers"),
    ("a string row, not an image model", _post(json={"inputs": ["aGk="]}), 422, "not images"),
    ("inputs not a list", _post(json={"inputs": "5.1,3.5"}), 422, "must be a list"),
    ("inputs an object", _post(json={"inputs": {"x": GOOD}}), 422, "must be a list"),
    ("empty inputs", _post(json={"inputs": []}), 422, "empty"),
    ("missing inputs", _post(json={}), 422, "missing"),
    ("unknown field", _post(json={"inputs": [GOOD], "top": 3}), 422, "unknown field"),
    ("top-level list", _post(json=[GOOD]), 422, "JSON object"),
    (
        "top-level number",
        _post(content="42", headers={"content-type": "application/json"}),
        422,
        "JSON object",
    ),
    ("bad JSON", _post(content='{"inputs": [[5.1,'), 400, "not valid JSON"),
    ("empty body", _post(content=""), 400, "empty"),
    ("invalid UTF-8", _post(content=b'{"inputs": "\xff\xfe"}'), 400, "not valid JSON"),
    ("nested 4000 deep", _post(content=DEEP), 400, ""),
    (
        "text/plain",
        _post(content=json.dumps({"inputs": [GOOD]}), headers={"content-type": "text/plain"}),
        415,
        "application/json",
    ),
    ("form data", _post(data={"inputs": "1"}), 415, "application/json"),
    ("too many samples", _post(json={"inputs": [GOOD] * 51}), 413, "at most 50"),
    ("huge body", _post(json={"inputs": [GOOD] * 2000}), 413, "limit"),
    (
        "huge body, chunked",
        _post(
            content=(b"[" * 1000 for _ in range(20)), headers={"content-type": "application/json"}
        ),
        413,
        "limit",
    ),
]


@pytest.mark.parametrize("what,kwargs,status,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_4xx_json(iris, what, kwargs, status, words):
    kwargs = dict(kwargs)
    headers = kwargs.pop("headers", None)
    if "content" in kwargs and headers is None:
        headers = {"content-type": "application/json"}
    reply = iris.post("/predict", headers=headers, **kwargs)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert words in error["message"], error
    assert error["code"]
    # and the server still answers a good request afterwards
    assert iris.post("/predict", json={"inputs": [GOOD]}).status_code == 200


def test_wrong_method_and_route_are_4xx_json(iris):
    assert iris.get("/predict").status_code == 405
    reply = iris.get("/nowhere")
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"


def test_malformed_table_is_large_enough():
    assert len(MALFORMED) >= 20


# ---- an image recipe: base64 PNGs --------------------------------------------------------
@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return _train(tmp_path_factory, "digits-cnn")


def _png(array):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_image_recipe_png_and_bad_images(digits_run):
    from glassnet.recipes.inputs import read_image

    rng = np.random.default_rng(0)
    pixels = (rng.random((8, 8)) * 255).astype(np.uint8)
    run = load_run(digits_run)
    expected = forward(run, read_image(io.BytesIO(base64.b64decode(_png(pixels))), (1, 8, 8)))
    with TestClient(create_app(digits_run), raise_server_exceptions=False) as client:
        reply = client.post("/predict", json={"inputs": [_png(pixels)]})
        assert reply.status_code == 200
        np.testing.assert_allclose(reply.json()["probabilities"], expected, rtol=RTOL, atol=1e-7)
        # the same image as nested numbers (1x8x8), as the offline path sees it
        nested = read_image(io.BytesIO(base64.b64decode(_png(pixels))), (1, 8, 8))[0].tolist()
        assert (
            client.post("/predict", json={"inputs": [nested]}).json()["predictions"]
            == (reply.json()["predictions"])
        )
        bad = {
            "not base64": ("@@@not base64@@@", 422, "base64"),
            "base64 of text": (base64.b64encode(b"hello").decode(), 422, "not a readable image"),
            "truncated PNG": (_png(pixels)[:40], 422, ""),
            "a 5000x5000 PNG": (_png(np.zeros((5000, 5000), np.uint8)), 413, "pixels"),
        }
        for what, (text, status, words) in bad.items():
            reply = client.post("/predict", json={"inputs": [text]})
            assert reply.status_code == status, (what, reply.text)
            assert words in reply.json()["error"]["message"], what


@pytest.mark.parametrize("name", ["diabetes-mlp", "breast-cancer-mlp"])
def test_regression_and_binary_answers(tmp_path_factory, name):
    run_dir = _train(tmp_path_factory, name)
    data = prepare(get(name), warn=False)
    x = np.asarray(data.x_test[:7], dtype=np.float64)
    offline = forward(load_run(run_dir), x)
    with TestClient(create_app(run_dir)) as client:
        body = client.post("/predict", json={"inputs": x.tolist()}).json()
    if name == "diabetes-mlp":  # values in target units: the target scaler is undone
        np.testing.assert_allclose(body["predictions"], offline.reshape(-1), rtol=RTOL)
        assert "probabilities" not in body
    else:
        p = offline.reshape(-1)
        np.testing.assert_allclose(np.array(body["probabilities"])[:, 1], p, rtol=RTOL)
        assert body["predictions"] == [body["classes"][int(v >= 0.5)] for v in p]


# ---- micro-batching ----------------------------------------------------------------------
def test_micro_batching_groups_concurrent_requests():
    calls = []

    def run(batch):
        calls.append(len(batch))
        return batch * 10

    async def scenario():
        batcher = MicroBatcher(run, max_batch=4, max_wait_ms=200)
        await batcher.start()
        rows = [np.full((1, 2), float(i)) for i in range(10)] + [np.ones((6, 2))]
        out = await asyncio.gather(*(batcher.submit(r) for r in rows))
        await batcher.stop()
        return rows, out

    rows, out = asyncio.run(scenario())
    for r, o in zip(rows, out):
        np.testing.assert_array_equal(o, r * 10)  # each request gets its own rows back
    assert sum(calls) == 16 and max(calls) == 6  # the 6-row request runs alone
    assert calls[:2] == [4, 4]  # concurrent single rows were batched up to max_batch


def test_max_batch_one_runs_each_request_alone():
    calls = []

    async def scenario():
        batcher = MicroBatcher(lambda b: calls.append(len(b)) or b, max_batch=1, max_wait_ms=50)
        await batcher.start()
        await asyncio.gather(*(batcher.submit(np.zeros((1, 1))) for _ in range(5)))
        await batcher.stop()

    asyncio.run(scenario())
    assert calls == [1] * 5


def test_model_failure_reaches_every_waiting_request():
    def run(batch):
        raise RuntimeError("boom")

    async def scenario():
        batcher = MicroBatcher(run, max_batch=8, max_wait_ms=20)
        await batcher.start()
        results = await asyncio.gather(
            *(batcher.submit(np.zeros((1, 1))) for _ in range(3)), return_exceptions=True
        )
        await batcher.stop()
        return results

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(scenario()))
