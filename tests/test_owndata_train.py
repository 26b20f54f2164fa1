"""Your own data through the whole workflow: file -> glassnet train --data -> run folder ->
predict / evaluate on new files; bad files give one line and a non-zero exit."""

import json
import os

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.report import folder_state


def _mixed_csv(path, n=120, seed=0):
    """Numbers (some missing, one stored with a thousands separator), a category with a rare
    level, a yes/no column, an ID column; the label depends on size and city."""
    rng = np.random.default_rng(seed)
    lines = ["id,size,rooms,city,garden,label"]
    for i in range(n):
        size = rng.normal(80, 20)
        city = ["Oslo", "Lima", "Pune"][i % 3] if i != 7 else "Rareville"
        label = "big" if size + (15 if city == "Oslo" else 0) > 85 else "small"
        shown = "" if i % 11 == 0 else f"{size:.1f}"
        rooms = '"1,000"' if i == 3 else str(int(rng.integers(1, 6)))
        lines.append(f"{i},{shown},{rooms},{city},{'yes' if i % 2 else 'no'},{label}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _train(args, tmp_path, name="run"):
    out = str(tmp_path / name)
    return main(["train", *args, "--out", out]), out


def test_table_file_to_run_folder_to_predict(tmp_path, capsys):
    data = _mixed_csv(tmp_path / "houses.csv")
    code, out = _train(["--data", data, "--target", "label", "--epochs", "3"], tmp_path)
    assert code == 0
    printed = capsys.readouterr().out
    assert "task classification (inferred)" in printed and "model mlp" in printed
    assert folder_state(out) == "finished"
    for name in ("recipe.json", "histograms.png", "classes.png", "config.json"):
        assert os.path.isfile(os.path.join(out, name)), name
    report = open(os.path.join(out, "report.md")).read()
    assert "Data report (training split)" in report and "looks like an ID" in report
    # New rows: columns in another order, no target, an unseen city, a missing size.
    new = tmp_path / "new.csv"
    new.write_text("city,garden,size,rooms\nOslo,yes,120,3\nAtlantis,no,,2\nLima,no,40,1\n")
    assert main(["predict", out, str(new)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[1].split()[1] in ("big", "small")
    assert main(["evaluate", out, "--data", data]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_saved_preprocessing_matches_sklearn_fitted_on_the_training_split(tmp_path):
    """The run's JSON preprocessing applied to a new file equals scikit-learn's
    ColumnTransformer fitted on the same training rows (float64 end to end, compared in the
    float32 the model reads: 1e-6 relative)."""
    from sklearn import compose, impute, pipeline, preprocessing

    from glassnet.data.tables import read_table
    from glassnet.recipes.owndata import read_input_file, split_indices
    from glassnet.recipes.runner import load_run

    data = _mixed_csv(tmp_path / "houses.csv")
    code, out = _train(["--data", data, "--target", "label", "--epochs", "1"], tmp_path)
    assert code == 0
    run = load_run(out)
    table = read_table(data)
    y = np.array([v == "small" for v in table["label"]], dtype=np.int64)
    train, _, _ = split_indices(table.n_rows, y, run.recipe.seed, run.recipe.val_fraction)
    cols = ["size", "rooms", "city", "garden"]
    rows = table[cols].astype(object)
    min_freq = max(2, int(0.01 * len(train)))
    ref = compose.ColumnTransformer(
        [
            (
                "num",
                pipeline.Pipeline(
                    [
                        ("i", impute.SimpleImputer(strategy="median", add_indicator=True)),
                        ("s", preprocessing.StandardScaler()),
                    ]
                ),
                [0, 1],
            ),
            ("bool", impute.SimpleImputer(strategy="most_frequent"), [3]),
            (
                "cat",
                preprocessing.OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=min_freq,
                    sparse_output=False,
                ),
                [2],
            ),
        ]
    ).fit(rows[train])
    got = read_input_file(run, data)
    want = ref.transform(rows).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_recipe_file_in_the_run_folder_reproduces_the_run(tmp_path):
    data = _mixed_csv(tmp_path / "houses.csv", n=60)
    code, out = _train(["--data", data, "--epochs", "2"], tmp_path, "a")
    assert code == 0
    code, again = _train([os.path.join(out, "recipe.json")], tmp_path, "b")
    assert code == 0
    first = json.load(open(os.path.join(out, "metrics.json")))
    second = json.load(open(os.path.join(again, "metrics.json")))
    assert first == second


def test_regression_and_task_override(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 2))
    stars = np.clip(np.round(2 + x[:, 0]), 0, 4).astype(int)
    rows = "".join(f"{a:.3f},{b:.3f},{s},{a * 3 + b:.3f}\n" for (a, b), s in zip(x, stars))
    path = tmp_path / "r.csv"
    path.write_text("a,b,stars,value\n" + rows)
    assert _train(["--data", str(path), "--epochs", "2"], tmp_path, "reg")[0] == 0
    assert "task regression (inferred)" in capsys.readouterr().out
    code, _ = _train(["--data", str(path), "--target", "stars", "--epochs", "1"], tmp_path, "cls")
    assert code == 0 and "task classification (inferred)" in capsys.readouterr().out
    code, out = _train(
        ["--data", str(path), "--target", "stars", "--task", "regression", "--epochs", "1"],
        tmp_path,
        "over",
    )
    assert code == 0 and "task regression (given)" in capsys.readouterr().out
    assert json.load(open(os.path.join(out, "recipe.json")))["task"] == "regression"


def _images(root, n=8):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, colour in (("blue", (20, 20, 220)), ("red", (220, 20, 20))):
        os.makedirs(root / c, exist_ok=True)
        for i in range(n):
            w, h = int(rng.integers(14, 30)), int(rng.integers(14, 30))
            pixels = np.clip(rng.normal(colour, 30, size=(h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / c / f"{i}.png")


def test_image_folder_to_predict(tmp_path, capsys):
    root = tmp_path / "colours"
    _images(root)
    code, out = _train(["--data", str(root), "--epochs", "2"], tmp_path)
    assert code == 0 and "model small_cnn" in capsys.readouterr().out
    assert os.path.isfile(os.path.join(out, "samples.png"))
    assert main(["predict", out, str(root / "red" / "0.png")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["evaluate", out, "--data", str(root)]) == 0


def _reviews(path, n=60):
    rng = np.random.default_rng(0)
    words = {"pos": ["good", "great", "lovely"], "neg": ["bad", "awful", "dull"]}
    lines = ["review,label"]
    for i in range(n):
        label = ["pos", "neg"][i % 2]
        ws = [*rng.choice(words[label], 2), *rng.choice(["the", "film", "was", "plot"], 3)]
        lines.append(" ".join(ws) + "," + label)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("model", ["text_lstm", "text_transformer"])
def test_text_csv_to_predict(tmp_path, capsys, model):
    data = _reviews(tmp_path / "reviews.csv")
    code, out = _train(["--data", data, "--model", model, "--epochs", "2"], tmp_path)
    assert code == 0 and f"model {model}" in capsys.readouterr().out
    new = tmp_path / "new.csv"
    new.write_text("review\ngood great film\nan unknown word\n")
    assert main(["predict", out, str(new)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_plain_text_language_model(tmp_path, capsys):
    text = tmp_path / "story.txt"
    text.write_text("the cat sat on the mat. " * 40)
    code, out = _train(["--data", str(text), "--epochs", "1"], tmp_path)
    assert code == 0 and "lm" in capsys.readouterr().out
    assert main(["predict", out, str(text)]) == 0
    generated = capsys.readouterr().out.rstrip("\n")
    assert len(generated) == 32 + 200  # the prompt's last 32 characters, then 200 new ones


@pytest.mark.parametrize(
    "content, args, expected",
    [
        ("a,b,label\n1,2,x\n3,4\n", [], "row 3 has 2 values, the header has 3"),
        ("", [], "is empty"),
        ("a,b\n1,x\n2,y\n", ["--target", "price"], "no column 'price' to predict"),
        ("a,label\n1,x\n2,x\n3,x\n", [], "has one class only ('x')"),
        ("a,gone,label\n1,,x\n2,,y\n3,,x\n4,,y\n", [], "column 'gone' has no values at all"),
        ("when,label\n2024-01-01,x\n2024-02-01,y\n2024-03-01,x\n", [], "column 'when' holds dates"),
    ],
)
def test_bad_table_files(tmp_path, capsys, content, args, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out = _train(["--data", str(path), *args, "--epochs", "1"], tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and expected in err and str(path) in err, err
    assert folder_state(out) == "missing"  # nothing half-written left behind


def test_image_that_does_not_decode(tmp_path, capsys):
    root = tmp_path / "colours"
    _images(root, n=3)
    (root / "red" / "broken.png").write_bytes(b"not an image")
    code, out = _train(["--data", str(root), "--epochs", "1"], tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "broken.png: does not decode" in err
    assert folder_state(out) == "missing"


def test_predict_file_missing_a_column(tmp_path, capsys):
    data = _mixed_csv(tmp_path / "houses.csv", n=40)
    code, out = _train(["--data", data, "--epochs", "1"], tmp_path)
    assert code == 0
    bad = tmp_path / "new.csv"
    bad.write_text("size,rooms\n1,2\n")
    capsys.readouterr()
    assert main(["predict", out, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "no column 'city'" in err and str(bad) in err


def test_mnist_file_set_folder(tmp_path, capsys):
    """A folder holding MNIST-style IDX files trains through the existing reader."""
    from glassnet.datasets import write_idx

    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    x = np.zeros((40, 28, 28), dtype=np.uint8)
    x[y == 1, :, :14] = 255  # class 1: the left half lit
    x = np.clip(x + rng.integers(0, 40, x.shape), 0, 255).astype(np.uint8)
    root = tmp_path / "digits"
    root.mkdir()
    write_idx(root / "train-images-idx3-ubyte", x)
    write_idx(root / "train-labels-idx1-ubyte", y.astype(np.uint8))
    code, out = _train(["--data", str(root), "--epochs", "1"], tmp_path)
    assert code == 0 and "images" in capsys.readouterr().out
    assert main(["evaluate", out, "--data", str(root)]) == 0


def test_categories_as_embeddings(tmp_path, capsys):
    data = _mixed_csv(tmp_path / "houses.csv", n=60)
    code, out = _train(["--data", data, "--model", "tabular_embed", "--epochs", "2"], tmp_path)
    assert code == 0
    from glassnet.recipes.owndata import split_indices

    config = json.load(open(os.path.join(out, "config.json")))
    # 'city': Oslo, Lima, Pune are frequent; Rareville (row 7 only) adds the infrequent code
    # when row 7 fell in the training split
    labels = np.array([line.endswith("small") for line in open(data).read().split()[1:]])
    train, _, _ = split_indices(60, labels.astype(int), 0, 0.15)
    assert config["preprocessing"]["source"]["cardinalities"] == [3 + (7 in train)]
    new = tmp_path / "new.csv"
    new.write_text("size,rooms,city,garden\n90,2,Atlantis,yes\n")
    capsys.readouterr()
    assert main(["predict", out, str(new)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
