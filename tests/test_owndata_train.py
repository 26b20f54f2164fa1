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
    from glassnet.recipes.owndata import recipe_for_data

    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 2))
    stars = np.clip(np.round(2 + x[:, 0]), 0, 4).astype(int)
    rows = "".join(f"{a:.3f},{b:.3f},{s},{a * 3 + b:.3f}\n" for (a, b), s in zip(x, stars))
    path = tmp_path / "r.csv"
    path.write_text("a,b,stars,value\n" + rows)
    assert recipe_for_data(str(path)).task == "regression"  # 80 distinct real values
    assert recipe_for_data(str(path), target="stars").task == "classification"  # 0..4
    code, out = _train(
        ["--data", str(path), "--target", "stars", "--task", "regression", "--epochs", "1"],
        tmp_path,
    )
    assert code == 0 and "task regression (given)" in capsys.readouterr().out
    assert json.load(open(os.path.join(out, "recipe.json")))["task"] == "regression"
    assert sorted(json.load(open(os.path.join(out, "metrics.json")))) == ["loss", "mae", "r2"]


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


def test_duplicate_rows_are_removed_before_the_split(tmp_path):
    data = _mixed_csv(tmp_path / "houses.csv", n=50)
    lines = open(data).read().splitlines()
    # 10 exact copies of rows 1..10 (same id too): 60 rows, 50 distinct
    open(data, "w").write("\n".join(lines + lines[1:11]) + "\n")
    code, out = _train(["--data", data, "--epochs", "1"], tmp_path)
    assert code == 0
    sizes = json.load(open(os.path.join(out, "config.json")))["sizes"]
    assert sum(sizes.values()) == 50
    assert "10 duplicate rows were removed" in open(os.path.join(out, "report.md")).read()


def test_rows_in_memory_get_the_same_preprocessing_as_a_file(tmp_path):
    """What a server receives (JSON rows) gives exactly the inputs the same rows in a file
    give: the same fitted steps, applied the same way."""
    from glassnet.recipes.owndata import inputs_from_records, read_input_file
    from glassnet.recipes.runner import load_run

    data = _mixed_csv(tmp_path / "houses.csv", n=40)
    code, out = _train(["--data", data, "--epochs", "1"], tmp_path)
    assert code == 0
    run = load_run(out)
    new = tmp_path / "new.csv"
    new.write_text("size,rooms,city,garden\n90,2,Oslo,yes\n,3,Atlantis,no\n")
    records = [
        {"size": 90, "rooms": 2, "city": "Oslo", "garden": "yes"},
        {"size": None, "rooms": "3", "city": "Atlantis", "garden": "no"},
    ]
    np.testing.assert_array_equal(inputs_from_records(run, records), read_input_file(run, str(new)))


@pytest.mark.parametrize("outliers", ["clip", "remove"])
def test_outliers_clipped_or_removed_from_training(tmp_path, outliers):
    from glassnet.recipes.owndata import read_input_file, recipe_for_data
    from glassnet.recipes.runner import load_run, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    x[5] = 1e6  # one wild value
    rows = "".join(f"{v:.4f},{'a' if v > 0 else 'b'}\n" for v in x)
    path = tmp_path / "o.csv"
    path.write_text("x,label\n" + rows)
    recipe = recipe_for_data(str(path)).replace(epochs=1)
    recipe = recipe.replace(dataset_options={**recipe.dataset_options, "outliers": outliers})
    run = train(recipe, str(tmp_path / "run"), progress=False)
    steps = load_run(run.run_dir).preprocessing.source["transformer"]["transformers"][0][1]
    names = [name for name, _ in steps["state"]["steps"]]
    assert ("clip" in names) == (outliers == "clip")
    new = tmp_path / "new.csv"
    new.write_text("x\n1e9\n0\n")
    z = read_input_file(load_run(run.run_dir), str(new))[:, 0]
    if outliers == "clip":
        # 1e9 is clipped to the upper fence Q3 + 3 IQR of the training x: a few units, not 1e9
        assert abs(z[0]) < 20
    else:
        # the wild row left training; the scaler saw ordinary values only, so 0 scales near 0
        from glassnet.recipes.owndata import split_indices

        assert abs(z[1]) < 1
        train_rows, _, _ = split_indices(60, (x <= 0).astype(int), 0, recipe.val_fraction)
        report = open(os.path.join(run.run_dir, "report.md")).read()
        assert ("1 training rows with outliers were removed" in report) == (5 in train_rows)
