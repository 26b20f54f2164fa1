"""The prediction server for runs trained with ``glassnet train --data``: raw table rows
(numbers, category strings, nulls), base64 images of any size, strings and token ids for text
models, prompts for a language model. Every answer is compared with what ``glassnet predict``
computes offline from the same rows in a file; malformed rows get a 4xx JSON error."""

import base64
import io
import re

import fastapi  # noqa: E402, F401
import httpx  # noqa: E402, F401
import numpy as np
import PIL.Image as PIL_Image  # noqa: E402
import pytest
from fastapi.testclient import TestClient  # noqa: E402

from glassnet.cli import main  # noqa: E402
from glassnet.recipes.owndata import read_input_file  # noqa: E402
from glassnet.recipes.runner import forward, load_run  # noqa: E402
from glassnet.serve import create_app  # noqa: E402

# Served and offline predictions run the same float32 model on the same preprocessed inputs;
# only the batch a row is computed in can differ (BLAS blocking changes the summation order:
# a few float32 ulps, 6e-8 relative each, per layer). 1e-5 is far above that and far below
# any difference in the preprocessing (a wrong imputation or scale moves outputs by 1e-2).
RTOL = 1e-5


def _train(tmp_path_factory, name, data, *args):
    out = str(tmp_path_factory.mktemp(name) / "run")
    assert main(["train", "--data", str(data), "--out", out, *args]) == 0
    return out


def _offline(run_dir, path):
    """What `glassnet predict RUN PATH` computes (before it rounds for printing)."""
    run = load_run(run_dir)
    return forward(run, read_input_file(run, str(path)))


def _client(run_dir):
    return TestClient(create_app(run_dir), raise_server_exceptions=False)


# ---- a table with numbers, categories, yes/no and missing values ------------------------------
@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    rng = np.random.default_rng(0)
    lines = ["id,size,rooms,city,garden,label"]
    for i in range(120):
        size = rng.normal(80, 20)
        city = ["Oslo", "Lima", "Pune"][i % 3]
        label = "big" if size + (15 if city == "Oslo" else 0) > 85 else "small"
        shown = "" if i % 11 == 0 else f"{size:.1f}"
        garden = "" if i % 13 == 0 else ("yes" if i % 2 else "no")
        lines.append(f"{i},{shown},{int(rng.integers(1, 6))},{city},{garden},{label}")
    data = tmp_path_factory.mktemp("table") / "houses.csv"
    data.write_text("\n".join(lines) + "\n")
    return _train(tmp_path_factory, "table_run", data, "--epochs", "3")


TABLE_FILE = "size,rooms,city,garden\n120.5,3,Oslo,yes\n,2,Atlantis,no\n40,1,Lima,\n77.25,5,,yes\n"
TABLE_ROWS = [
    {"size": 120.5, "rooms": 3, "city": "Oslo", "garden": "yes"},
    {"garden": False, "city": "Atlantis", "rooms": 2, "size": None},  # another order, unseen city
    [40, 1, "Lima", None],  # a list in the training column order
    {"size": 77.25, "rooms": 5, "city": None, "garden": True, "label": "big"},  # target ignored
]


def test_table_rows_equal_predict_on_the_same_rows(table_run, tmp_path, capsys):
    path = tmp_path / "new.csv"
    path.write_text(TABLE_FILE)
    offline = _offline(table_run, path)
    with _client(table_run) as client:
        reply = client.post("/predict", json={"inputs": TABLE_ROWS})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    np.testing.assert_allclose(np.array(body["probabilities"]), offline, rtol=RTOL, atol=1e-7)
    names = load_run(table_run).preprocessing.class_names
    assert body["predictions"] == [names[k] for k in offline.argmax(axis=1)]
    # and the labels the command itself prints
    capsys.readouterr()
    assert main(["predict", table_run, str(path)]) == 0
    printed = [line.split()[1] for line in capsys.readouterr().out.strip().splitlines()[1:]]
    assert printed == body["predictions"]


def test_table_metadata_shows_columns_and_kinds(table_run):
    with _client(table_run) as client:
        meta = client.get("/metadata").json()
    assert meta["input_format"] == "table"
    assert meta["columns"] == [
        {"name": "size", "kind": "numeric"},
        {"name": "rooms", "kind": "numeric"},
        {"name": "city", "kind": "categorical"},
        {"name": "garden", "kind": "boolean"},
    ]
    source = load_run(table_run).preprocessing.source
    assert meta["preprocessing"]["source"]["transformer"] == source["transformer"]


GOOD = {"size": 80.0, "rooms": 3, "city": "Oslo", "garden": "yes"}
BAD_TABLE_ROWS = [
    ({**GOOD, "colour": "red"}, "unknown column 'colour'"),
    ({k: v for k, v in GOOD.items() if k != "rooms"}, "no column 'rooms'"),
    ({**GOOD, "size": "big"}, "column 'size' holds numbers"),
    ({**GOOD, "size": True}, "column 'size' holds numbers"),
    ({**GOOD, "rooms": [3]}, "column 'rooms' holds numbers"),
    ({**GOOD, "city": 3.5}, "column 'city' holds categories"),
    ({**GOOD, "city": {"name": "Oslo"}}, "column 'city' holds categories"),
    ({**GOOD, "garden": "maybe"}, "column 'garden' is yes/no"),
    ({**GOOD, "garden": 2}, "column 'garden' is yes/no"),
    ({**GOOD, "size": 10**400}, "column 'size' has a number too large for a float"),
    ({**GOOD, "rooms": 1e300}, "too large for float32 once scaled"),
    ([80.0, 3, "Oslo"], "has 3 values; this model takes 4"),
    ("80,3,Oslo,yes", "must be an object"),
    (80.0, "must be an object"),
]


@pytest.mark.parametrize("row, expected", BAD_TABLE_ROWS)
def test_bad_table_rows_get_a_4xx_that_says_what(table_run, row, expected):
    with _client(table_run) as client:
        reply = client.post("/predict", json={"inputs": [GOOD, row]})
        assert reply.status_code == 422, reply.text
        message = reply.json()["error"]["message"]
        assert expected in message and message.startswith("inputs[1]")
        assert client.post("/predict", json={"inputs": [GOOD]}).status_code == 200  # still up


# ---- a folder of images -----------------------------------------------------------------------
def _png(pixels):
    buffer = io.BytesIO()
    PIL_Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("images") / "shapes"
    for c, channel in (("red", 0), ("blue", 2)):
        (root / c).mkdir(parents=True)
        for i in range(12):
            side = int(rng.integers(14, 22))
            pixels = rng.integers(0, 60, (side, side + 2, 3)).astype(np.uint8)
            pixels[..., channel] = 200
            (root / c / f"{i}.png").write_bytes(_png(pixels))
    return _train(tmp_path_factory, "image_run", root, "--epochs", "1")


def test_images_of_any_size_equal_predict_on_the_same_files(image_run, tmp_path):
    rng = np.random.default_rng(2)
    folder = tmp_path / "new"
    folder.mkdir()
    images = []
    for i, (h, w) in enumerate([(10, 31), (40, 25), (16, 16)]):  # none the training size
        data = _png(rng.integers(0, 256, (h, w, 3)).astype(np.uint8))
        (folder / f"{i}.png").write_bytes(data)  # read in name order by predict
        images.append(base64.b64encode(data).decode())
    jpeg = io.BytesIO()
    PIL_Image.fromarray(rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)).save(jpeg, "JPEG")
    (folder / "3.jpg").write_bytes(jpeg.getvalue())
    images.append(base64.b64encode(jpeg.getvalue()).decode())
    offline = _offline(image_run, folder)
    with _client(image_run) as client:
        reply = client.post("/predict", json={"inputs": images})
        meta = client.get("/metadata").json()
        bad = [
            client.post("/predict", json={"inputs": [x]})
            for x in ("not base64!", base64.b64encode(b"no image").decode(), [[0.5]], 3)
        ]
    assert reply.status_code == 200, reply.text
    np.testing.assert_allclose(np.array(reply.json()["probabilities"]), offline, rtol=RTOL)
    source = load_run(image_run).preprocessing.source
    assert meta["input_format"] == "image" and meta["image"]["size"] == source["size"]
    assert [r.status_code for r in bad] == [422] * 4
    assert "not valid base64" in bad[0].json()["error"]["message"]
    assert "not a readable image" in bad[1].json()["error"]["message"]
    assert "base64 PNG or JPEG" in bad[2].json()["error"]["message"]


# ---- a CSV of texts and labels ---------------------------------------------------------------
@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    rng = np.random.default_rng(3)
    good = ["great", "lovely", "fine", "happy", "superb"]
    bad = ["awful", "sad", "poor", "dull", "broken"]
    lines = ["review,label"]
    for i in range(80):
        words = good if i % 2 else bad
        text = " ".join(rng.choice(words + ["the", "film", "was", "a"], size=int(3 + i % 5)))
        lines.append(f"{text},{'pos' if i % 2 else 'neg'}")
    data = tmp_path_factory.mktemp("text") / "reviews.csv"
    data.write_text("\n".join(lines) + "\n")
    return _train(tmp_path_factory, "text_run", data, "--epochs", "1")


def test_text_strings_and_token_ids_equal_predict(text_run, tmp_path):
    texts = ["the film was great", "awful and dull, truly", "unheard-of words only"]
    path = tmp_path / "new.csv"
    path.write_text("review\n" + "\n".join(f'"{t}"' for t in texts) + "\n")
    offline = _offline(text_run, path)
    run = load_run(text_run)
    source = run.preprocessing.source
    from glassnet.data import WordTokenizer

    tok = WordTokenizer().load_state_dict(source["tokenizer"])
    ids = [tok.encode(t) or [1] for t in texts]  # the ids training would give these texts
    with _client(text_run) as client:
        as_text = client.post("/predict", json={"inputs": texts})
        as_ids = client.post("/predict", json={"inputs": ids})
        mixed = client.post("/predict", json={"inputs": [texts[0], ids[1]]})
        empty = client.post("/predict", json={"inputs": ["", [1]]})  # '' reads as unknown
        meta = client.get("/metadata").json()
        vocab = source["vocab_size"]
        bad = {
            "outside the vocabulary": [[1, vocab]],
            "outside the vocabulary (0..": [[-1]],
            "token ids are whole numbers": [[1, 2.5]],
            "is a boolean; token ids": [[True]],
            "an empty list": [[]],
            "a string or a list of token ids": [{"review": "x"}],
        }
        replies = {k: client.post("/predict", json={"inputs": v}) for k, v in bad.items()}
    p_empty = np.array(empty.json()["probabilities"])
    np.testing.assert_allclose(p_empty[0], p_empty[1], rtol=RTOL)
    for reply in (as_text, as_ids, mixed):
        assert reply.status_code == 200, reply.text
    np.testing.assert_allclose(np.array(as_text.json()["probabilities"]), offline, rtol=RTOL)
    np.testing.assert_allclose(np.array(as_ids.json()["probabilities"]), offline, rtol=RTOL)
    np.testing.assert_allclose(np.array(mixed.json()["probabilities"]), offline[:2], rtol=RTOL)
    assert meta["vocab_size"] == vocab and meta["max_len"] == source["max_len"]
    for expected, reply in replies.items():
        assert reply.status_code == 422 and expected in reply.json()["error"]["message"], expected


# ---- a plain text file: a character language model -------------------------------------------
@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("lm") / "story.txt"
    data.write_text("the cat sat on the mat. the dog sat on the log. " * 12)
    return _train(tmp_path_factory, "lm_run", data, "--epochs", "1")


def test_language_model_generates_what_predict_prints(lm_run, tmp_path, capsys):
    prompt = "the cat sat on the"
    path = tmp_path / "prompt.txt"
    path.write_text(prompt)
    capsys.readouterr()
    assert main(["predict", lm_run, str(path)]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    context = load_run(lm_run).preprocessing.source["context"]
    with _client(lm_run) as client:
        reply = client.post("/generate", json={"prompt": prompt})
        again = client.post("/generate", json={"prompt": prompt, "seed": 1, "length": 5})
        bad = [
            client.post("/generate", json={"text": prompt}),
            client.post("/generate", json={"prompt": 3}),
            client.post("/generate", json={"prompt": prompt, "length": 0}),
            client.post("/generate", json={"prompt": prompt, "temperature": -1}),
            client.post("/predict", json={"inputs": ["too short"]}),
            client.post("/predict", json={"inputs": [[1, 2, 3]]}),
        ]
        long_text = "the dog sat on the log. the cat sat on the mat. x"
        next_char = client.post("/predict", json={"inputs": [long_text]})
    assert reply.status_code == 200 and reply.json()["text"] == printed
    assert len(again.json()["text"]) == len(prompt[-context:]) + 5
    assert [r.status_code for r in bad] == [422] * 6
    assert "POST /generate" in bad[4].json()["error"]["message"]
    assert re.search(f"exactly {context}", bad[5].json()["error"]["message"])
    # the next-character probabilities are the model's softmax on the last `context` chars
    run = load_run(lm_run)
    from glassnet.data import CharTokenizer

    tok = CharTokenizer().load_state_dict(run.preprocessing.source["tokenizer"])
    window = np.array([tok.encode(long_text)[-context:]], dtype=np.int64)
    offline = forward(run, window)
    np.testing.assert_allclose(np.array(next_char.json()["probabilities"]), offline, rtol=RTOL)
