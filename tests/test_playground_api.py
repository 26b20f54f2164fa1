"""The playground's WebSocket API, driven through fastapi's TestClient."""

import math
import os
import subprocess
import sys

import fastapi  # noqa: E402, F401
import numpy as np
import pytest
from fastapi.testclient import TestClient  # noqa: E402

from glassnet.playground import create_app  # noqa: E402
from glassnet.playground.recipe import features, toy_points  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def _config(ws, **cfg):
    ws.send_json({"type": "config", "config": cfg})
    data, update = ws.receive_json(), ws.receive_json()
    assert data["type"] == "data" and update["type"] == "update"
    return data, update


def _step(ws, n):
    ws.send_json({"type": "step", "n": n})
    msg = ws.receive_json()
    assert msg["type"] == "update", msg
    return msg


def _error(ws, msg):
    ws.send_json(msg)
    reply = ws.receive_json()
    assert reply["type"] == "error", reply
    return reply["message"]


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "glassnet playground" in page.text
    assert "/static/app.js" in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "new WebSocket" in js.text
    # nothing fetched from the network: no absolute http(s) URL in the page or its script
    assert "http://" not in page.text + js.text and "https://" not in page.text + js.text


def test_session_creation_heatmap_shape_and_steps(client):
    with client.websocket_connect("/ws") as ws:
        data, update = _config(ws, dataset="xor", hidden=[5, 3], grid=40, train_ratio=0.5)
        # 400 points split half and half; each point is [x1, x2, label]
        assert len(data["train"]) == 200 and len(data["test"]) == 200
        assert {p[2] for p in data["train"]} == {0.0, 1.0}
        assert update["step"] == 0
        heat = update["heatmap"]
        assert heat["kind"] == "binary" and len(heat["values"]) == 40 * 40
        assert all(-1.0 <= v <= 1.0 for v in heat["values"])  # 2 p(class 1) - 1
        # one small heat map per input feature and per hidden neuron
        g = update["neuron_grid"]
        assert len(update["inputs"]) == 2 and all(len(v) == g * g for v in update["inputs"])
        assert [len(layer) for layer in update["neurons"]] == [5, 3]
        # the weight matrices as (out, in) lists: 2 -> 5 -> 3 -> 2
        shapes = [np.array(w).shape for w in update["weights"]]
        assert shapes == [(5, 2), (3, 5), (2, 3)]
        u = _step(ws, 7)
        assert u["step"] == 7 and len(u["grad_norms"]) == 3
        assert all(b["norm"] > 0 for b in u["grad_norms"])
        u = _step(ws, 1)
        assert u["step"] == 8


def test_heatmap_is_the_model_output_on_the_grid():
    # Independent check of the heat map: the model's weights read out and run in float64 NumPy
    # at the grid's cell centres (row-major from the top-left: x1 grows right, x2 grows up).
    from glassnet.playground import Session

    s = Session()
    s.configure({"dataset": "circle", "hidden": [3], "activation": "tanh", "grid": 10})
    s.train(25)
    u = s.update()
    (w1, b1), (w2, b2) = [
        (m.weight.detach().numpy().astype(np.float64), m.bias.detach().numpy().astype(np.float64))
        for m in (s.run.model[0], s.run.model[2])
    ]
    c = (np.arange(10) + 0.5) / 10 * 12 - 6
    x1, x2 = np.meshgrid(c, c[::-1])
    x = np.stack([x1.ravel(), x2.ravel()], 1)
    logits = np.tanh(x @ w1.T + b1) @ w2.T + b2
    p1 = 1 / (1 + np.exp(logits[:, 0] - logits[:, 1]))
    # values are sent rounded to 3 decimals (error <= 5e-4) from a float32 forward (~1e-6)
    np.testing.assert_allclose(u["heatmap"]["values"], 2 * p1 - 1, atol=6e-4)
    # and each hidden neuron's small map is tanh of its pre-activation on the 16x16 grid
    c = (np.arange(16) + 0.5) / 16 * 12 - 6
    x1, x2 = np.meshgrid(c, c[::-1])
    h = np.tanh(np.stack([x1.ravel(), x2.ravel()], 1) @ w1.T + b1)
    np.testing.assert_allclose(np.array(u["neurons"][0]).T, h, atol=6e-4)


def test_two_sessions_are_independent(client):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        _config(a, dataset="spiral", hidden=[6], dropout=0.2, seed=3)
        _config(b, dataset="spiral", hidden=[6], dropout=0.2, seed=3)
        ua = _step(a, 20)
        # b trains a different model in between; a's next steps must not notice
        _config(b, dataset="gauss", hidden=[2], seed=9)
        _step(b, 15)
        ua = _step(a, 20)
    with client.websocket_connect("/ws") as c:
        _config(c, dataset="spiral", hidden=[6], dropout=0.2, seed=3)
        _step(c, 20)
        uc = _step(c, 20)
    # The same settings alone in a session give the same numbers, to the last bit: the
    # same float32 operations in the same order on the same machine.
    assert ua["train_loss"] == uc["train_loss"] and ua["weights"] == uc["weights"]


@pytest.mark.parametrize(
    "msg, words",
    [
        ({"type": "config", "config": {"hidden": [4, 0]}}, "0 neurons"),
        ({"type": "config", "config": {"activation": "swishy"}}, "unknown activation 'swishy'"),
        ({"type": "config", "config": {"grid": 100000}}, "grid must be between 2 and 100"),
        ({"type": "config", "config": {"learning_rate": -1}}, "learning_rate"),
        ({"type": "config", "config": {"features": []}}, "at least one input feature"),
        ({"type": "config", "config": {"dataset": "csv"}}, "upload one first"),
        ({"type": "config", "config": {"optimizer": "Nope"}}, "unknown optimizer"),
        ({"type": "config", "config": {"learnin_rate": 0.1}}, "unknown setting"),
        ({"type": "step", "n": 0}, "step n must be"),
        ({"type": "dance"}, "unknown message type 'dance'"),
        ({"type": "csv", "text": "1,2,0\n3,4\n"}, "line 2 has 2 columns"),
        (
            {"type": "csv", "text": "a,b,c\n1,2,0\n1,x,1\n"},
            "line 3 has a value that is not a number",
        ),
        ({"type": "csv", "text": ""}, "empty"),
        ({"type": "csv", "text": "1,2,0.5\n3,4,1\n5,6,0\n7,8,1\n"}, "class numbers"),
    ],
)
def test_bad_settings_get_a_message_and_the_session_lives_on(client, msg, words):
    with client.websocket_connect("/ws") as ws:
        _config(ws, dataset="xor", hidden=[3])
        assert words in _error(ws, msg)
        # the session still answers and its old run still trains
        assert _step(ws, 2)["step"] == 2


def test_malformed_json_and_messages_before_config(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_text("{not json")
        assert ws.receive_json()["type"] == "error"
        assert "send the settings" in _error(ws, {"type": "step", "n": 1})
        assert "send the settings" in _error(ws, {"type": "export"})
        _config(ws, dataset="gauss")


def test_huge_learning_rate_says_so_and_stops(client):
    with client.websocket_connect("/ws") as ws:
        _config(ws, dataset="circle", hidden=[8, 8], activation="relu", learning_rate=1e9)
        ws.send_json({"type": "step", "n": 50})
        err = ws.receive_json()
        assert err["type"] == "error" and "learning rate 1e+09 is far too large" in err["message"]
        # a smaller learning rate in the same socket works again
        _config(ws, dataset="circle", hidden=[8, 8], activation="relu", learning_rate=0.03)
        assert math.isfinite(_step(ws, 5)["train_loss"])


def test_play_streams_updates_and_pause_stops(client):
    with client.websocket_connect("/ws") as ws:
        _config(ws, dataset="gauss", hidden=[2])
        ws.send_json({"type": "play"})
        steps = [ws.receive_json()["step"] for _ in range(3)]
        assert steps == sorted(steps) and steps[-1] > steps[0] > 0
        ws.send_json({"type": "pause"})
        while ws.receive_json().get("playing", True):
            pass  # updates already on their way, then the pause's own update
        _step(ws, 1)


def test_csv_upload_trains_on_the_uploaded_points(client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2)) * 10
    y = (x[:, 0] > 0).astype(int)
    text = "a,b,label\n" + "\n".join(f"{p[0]},{p[1]},{c}" for p, c in zip(x, y))
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "csv", "text": text, "problem": "classification"})
        assert ws.receive_json() == {"type": "csv", "rows": 60}
        data, _ = _config(ws, dataset="csv", hidden=[3], train_ratio=0.5)
        pts = np.array(data["train"] + data["test"])
        assert len(pts) == 60
        # scaled into the view as one affine map: the largest coordinate lands on 5.5
        assert abs(np.abs(pts[:, :2]).max() - 5.5) < 1e-3
        assert set(pts[:, 2]) == {0.0, 1.0}


def test_regression_and_real_data_sets(client):
    with client.websocket_connect("/ws") as ws:
        data, u = _config(ws, problem="regression", dataset="plane", hidden=[3])
        assert u["heatmap"]["kind"] == "regression" and np.array(u["weights"][-1]).shape == (1, 3)
        data, u = _config(ws, dataset="iris", hidden=[4], train_ratio=0.8)
        assert len(data["train"]) + len(data["test"]) == 150
        assert u["heatmap"]["kind"] == "classes" and set(u["heatmap"]["values"]) <= {0, 1, 2}


def test_pca_view_matches_scikit_learn():
    # The 2-D projection of a real data set against scikit-learn's PCA of the same standardised
    # data: equal up to each component's sign and the one scale that fits the view (the
    # largest |coordinate| becomes 5.5). Rows come in another order, so compare sorted |values|;
    # float32 data, so 1e-5.
    from sklearn.datasets import load_wine
    from sklearn.decomposition import PCA

    from glassnet.playground.recipe import real_points

    p, y = real_points("wine")
    raw = load_wine()
    ref = PCA(2).fit_transform((raw.data - raw.data.mean(0)) / raw.data.std(0))
    ref = ref / np.abs(ref).max() * 5.5
    for k in range(2):
        np.testing.assert_allclose(
            np.sort(np.abs(p[:, k])), np.sort(np.abs(ref[:, k])), rtol=1e-5, atol=1e-5
        )
    assert sorted(np.bincount(y)) == sorted(np.bincount(raw.target))


def test_features_by_hand():
    x = np.array([[0.5, -2.0]], dtype=np.float32)
    f = features(x, ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"])
    expected = [0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)]
    np.testing.assert_allclose(f[0], expected, rtol=1e-6)  # float32 rounding of sin


def test_toy_data_labels_follow_their_rule():
    rng = np.random.default_rng(0)
    x, y = toy_points("xor", 200, 0.0, rng)
    assert np.array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(np.int64))
    x, y = toy_points("circle", 200, 0.0, rng)
    assert np.array_equal(y, (np.hypot(x[:, 0], x[:, 1]) < 3.0).astype(np.int64))


def _csv_text(n=50, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) * 3
    return "\n".join(f"{p[0]},{p[1]},{int(p[0] * p[1] > 0)}" for p in x)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(
            dataset="spiral",
            hidden=[6, 4],
            activation="relu",
            optimizer="Adam",
            dropout=0.1,
            batch_norm=True,
            regularization="L2",
            reg_rate=0.001,
            seed=5,
            features=["x1", "x2", "sin(x1)"],
        ),
        dict(
            problem="regression",
            dataset="multi_gauss",
            hidden=[5],
            activation="gelu",
            optimizer="momentum",
            learning_rate=0.01,
            regularization="L1",
            reg_rate=0.001,
            noise=0.2,
            train_ratio=0.7,
            batch_size=7,
        ),
        dict(
            dataset="iris",
            hidden=[4],
            activation="elu",
            optimizer="RMSprop",
            learning_rate=0.01,
            features=["x1", "x2", "x1*x2"],
        ),
        dict(
            dataset="csv",
            hidden=[3, 3],
            activation="leaky_relu",
            optimizer="AdamW",
            learning_rate=0.01,
            batch_size=4,
            features=["x1", "x2", "x1^2", "x2^2"],
        ),
    ],
    ids=["spiral", "regression", "iris", "csv"],
)
def test_export_as_code_reaches_the_same_loss(client, tmp_path, cfg):
    with client.websocket_connect("/ws") as ws:
        if cfg["dataset"] == "csv":
            ws.send_json({"type": "csv", "text": _csv_text(), "problem": "classification"})
            assert ws.receive_json()["type"] == "csv"
        _config(ws, **cfg)
        _step(ws, 30)
        u = _step(ws, 13)
        ws.send_json({"type": "export"})
        exp = ws.receive_json()
    assert exp["type"] == "export" and exp["steps"] == 43
    path = tmp_path / "run.py"
    path.write_text(exp["code"])
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert int(lines["steps"]) == 43
    # The script runs the same float32 operations in the same order as the session (same
    # seed, data, batches, initial weights), so the losses agree to float32 rounding; 1e-6
    # relative leaves room for a BLAS that sums in another order in the subprocess
    # (float32 eps is 1.2e-7).
    assert float(lines["train_loss"]) == pytest.approx(u["train_loss"], rel=1e-6)
    assert float(lines["test_loss"]) == pytest.approx(u["test_loss"], rel=1e-6)


def test_doctor_findings_reach_the_page(client):
    # ReLU with a learning rate of 3: whole hidden units stop firing. The test checks that by
    # hand first (a unit whose ReLU output is 0 on every training point), then that the doctor's
    # findings sent to the page name a dead ReLU.
    from glassnet.playground import Session

    cfg = dict(dataset="circle", hidden=[8, 8], activation="relu", learning_rate=3.0)
    s = Session()
    s.configure(cfg)
    with np.errstate(all="ignore"):
        s.train(100)
    x = s.run.x_train.numpy().astype(np.float64)
    w1, b1 = (t.detach().numpy() for t in (s.run.model[0].weight, s.run.model[0].bias))
    w2, b2 = (t.detach().numpy() for t in (s.run.model[2].weight, s.run.model[2].bias))
    h2 = np.maximum(np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, 0)
    h1 = np.maximum(x @ w1.T + b1, 0)
    assert (h1.max(0) == 0).any() or (h2.max(0) == 0).any()
    with client.websocket_connect("/ws") as ws:
        _config(ws, **cfg)
        u = _step(ws, 100)
    assert u["doctor_step"] == 100
    assert "dead_relu" in [f["code"] for f in u["findings"]], u["findings"]


def test_csv_labels_must_fit_the_problem(client):
    with client.websocket_connect("/ws") as ws:
        text = "1,2,0.5\n3,4,1.5\n5,6,0.25\n7,8,1\n"
        ws.send_json({"type": "csv", "text": text, "problem": "regression"})
        assert ws.receive_json() == {"type": "csv", "rows": 4}
        _config(ws, problem="regression", dataset="csv", hidden=[2])
        msg = _error(ws, {"type": "config", "config": {"dataset": "csv", "hidden": [2]}})
        assert "not class numbers" in msg


def test_command_prints_the_url_and_opens_the_browser(monkeypatch, capsys):
    import glassnet.playground
    from glassnet.cli import main
    from glassnet.commands import playground as command

    served, opened = [], []
    monkeypatch.setattr(glassnet.playground, "serve", lambda **kw: served.append(kw))
    monkeypatch.setattr(command, "_open_later", lambda url: opened.append(url))
    assert main(["playground", "--port", "8123", "--host", "127.0.0.1"]) == 0
    assert "http://127.0.0.1:8123/" in capsys.readouterr().out
    assert served == [{"host": "127.0.0.1", "port": 8123}]
    assert opened == ["http://127.0.0.1:8123/"]
    assert main(["playground", "--port", "8124", "--no-browser"]) == 0
    assert len(opened) == 1  # --no-browser: not opened again
    assert main(["playground", "--port", "http"]) != 0
    assert "--port must be a whole number" in capsys.readouterr().err


def test_preset_url_refuses_unknown_settings():
    from urllib.parse import parse_qs, urlsplit

    from glassnet.playground import preset_url

    with pytest.raises(ValueError, match="unknown setting"):
        preset_url(activaton="relu")
    q = parse_qs(
        urlsplit(preset_url(port=9001, hidden=[], learning_rate=0.3)).query, keep_blank_values=True
    )
    assert q == {"hidden": [""], "learning_rate": ["0.3"]}
