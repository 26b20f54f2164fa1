"""The data report's numbers against counts made by hand (and scipy for the associations),
the ``glassnet data`` command, and the image-folder report."""

import os

import numpy as np
import pytest
from scipy.stats import contingency

from glassnet.cli import main
from glassnet.data.profile import correlation_ratio, cramers_v, data_report, pearson

# 10 rows. Hand counts:
#  missing: a 2 (rows 3, 7), b 1 (row 5), all_nan 10, const 0
#  duplicate rows: row 9 repeats row 8 (all columns equal) -> 1
#  b is a copy of a renamed? no: dup column is "a2" == "a"
#  outlier: a = 1000 in row 6 (robust z far above 3.5); everything else is near the median
CSV = """a,a2,b,const,all_nan,label,label_copy
1,1,x,5,,yes,A
2,2,y,5,,no,B
,,x,5,,yes,A
3,3,y,5,,no,B
4,4,,5,,yes,A
1000,1000,x,5,,no,B
,,y,5,,yes,A
5,5,x,5,,no,B
6,6,y,5,,yes,A
6,6,y,5,,yes,A
"""


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(CSV)
    return str(path)


def test_counts_match_hand_counts(csv_path, tmp_path):
    r = data_report(csv_path, target="label", out_dir=str(tmp_path / "rep"), plots=False)
    p = r.profile
    assert (p["rows"], p["columns"]) == (10, 7)
    assert p["missing"] == {
        "a": 2,
        "a2": 2,
        "b": 1,
        "const": 0,
        "all_nan": 10,
        "label": 0,
        "label_copy": 0,
    }
    assert p["all_missing"] == ["all_nan"]
    assert set(p["constant"]) == {"const", "all_nan"}
    assert p["duplicate_columns"] == [("a", "a2")]
    assert p["duplicate_rows"] == 1
    assert p["outliers"]["a"] == 1 and p["outliers"]["const"] == 0
    assert p["class_balance"] == {"yes": 6, "no": 4}
    assert p["equals_target"] == ["label_copy"]
    assert p["task"] == "classification"
    assert os.path.isfile(tmp_path / "rep" / "data_report.md")


def test_test_rows_seen_in_training():
    from glassnet.data.profile import profile_table
    from glassnet.data.tables import Table

    train = Table(
        {"x": np.array([1.0, 2.0, 3.0]), "y": np.array(["a", "b", "a"], object)},
        {"x": "numeric", "y": "categorical"},
    )
    test = Table(
        {"x": np.array([2.0, 9.0]), "y": np.array(["b", "a"], object)},
        {"x": "numeric", "y": "categorical"},
    )
    assert profile_table(train, test=test)["test_rows_in_train"] == 1


def test_associations_against_numpy_and_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    b[:25] += a[:25]
    # float64 sums of 50 terms: agreement to ~1e-14; 1e-12 leaves room on any CPU
    assert pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], rel=1e-12)
    x = rng.integers(0, 3, 80).astype(str).astype(object)
    y = np.where(rng.random(80) < 0.7, x, "0").astype(object)
    table = np.array(
        [[np.sum((x == i) & (y == j)) for j in sorted(set(y))] for i in sorted(set(x))]
    )
    want = contingency.association(table, method="cramer")
    assert cramers_v(x, y) == pytest.approx(want, rel=1e-12)
    # eta by hand: groups {a: [1, 3], b: [5, 7]}: mean 4, between 2*(2-4)^2 + 2*(6-4)^2 = 16,
    # total 9 + 1 + 1 + 9 = 20 -> eta = sqrt(0.8)
    eta = correlation_ratio(np.array(["a", "a", "b", "b"], object), [1.0, 3.0, 5.0, 7.0])
    assert eta == pytest.approx(np.sqrt(0.8), rel=1e-12)


def test_data_command_prints_and_writes(csv_path, tmp_path, capsys):
    out = str(tmp_path / "r")
    assert main(["data", csv_path, "--target", "label", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "Duplicate rows: 1" in text and "label_copy" in text
    for name in ("data_report.md", "histograms.png", "classes.png", "correlation.png"):
        with open(os.path.join(out, name), "rb") as f:
            assert f.read(4) in (b"\x89PNG", b"# Da")
    assert main(["data", csv_path, "--target", "nope", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no column 'nope'" in err and csv_path in err


def _image_folder(root, broken=True):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, size in (("cats", (20, 16)), ("dogs", (12, 12))):
        os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(3 if c == "cats" else 2):
            pixels = (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(os.path.join(root, c, f"{i}.png"))
    if broken:
        with open(os.path.join(root, "dogs", "broken.png"), "wb") as f:
            f.write(b"not a png")


def test_image_folder_report(tmp_path):
    root = str(tmp_path / "pets")
    _image_folder(root)
    r = data_report(root, out_dir=str(tmp_path / "rep"))
    assert r.profile["class_balance"] == {"cats": 3, "dogs": 2}
    assert r.profile["sizes"] == {"12x12": 2, "20x16": 3}
    assert r.profile["unreadable"] == [os.path.join(root, "dogs", "broken.png")]
    assert "samples.png" in r.pictures
    assert os.path.isfile(tmp_path / "rep" / "samples.png")


def test_plain_text_report_counts(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("ab a\nb\n")
    p = data_report(str(path)).profile
    # 7 characters: a a b b, one space, two newlines; 2 lines; 3 words (ab, a, b)
    assert (p["characters"], p["lines"], p["words"], p["distinct_characters"]) == (7, 2, 3, 4)
    assert p["most_common"][:2] == [["\n", 2], ["a", 2]]
