"""Reading your own table files: delimiter sniffing, type and task inference, bad files."""

import numpy as np
import pytest

from glassnet.data.tables import TableError, infer_kind, infer_task, read_table


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


MIXED = "id,age,city,member,joined,comment,price\n" + "".join(
    f"{i},{20 + i % 7 if i % 5 else ''},{['Oslo', 'Bergen', 'Lima'][i % 3]},"
    f"{'yes' if i % 2 else 'no'},2024-01-{1 + i % 28:02d},"
    f'"this one is number {i} here","{"1," if i % 4 == 0 else ""}{100 + i}"\n'
    for i in range(30)
)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, sep):
    text = f"a{sep}b{sep}c\n1{sep}x{sep}2.5\n3{sep}y{sep}\n"
    t = read_table(_write(tmp_path, "t.txt", text))
    assert t.columns == ["a", "b", "c"]
    assert t["a"].tolist() == [1.0, 3.0]
    assert t["b"].tolist() == ["x", "y"]
    assert t["c"][0] == 2.5 and np.isnan(t["c"][1])


def test_kinds_of_a_mixed_file(tmp_path):
    t = read_table(_write(tmp_path, "mixed.csv", MIXED))
    assert t.kinds == {
        "id": "id",
        "age": "numeric",
        "city": "categorical",
        "member": "boolean",
        "joined": "date",
        "comment": "text",
        "price": "numeric",
    }
    # every fifth age is missing: rows 0, 5, 10, 15, 20, 25
    assert int(np.isnan(t["age"]).sum()) == 6
    assert t["member"].tolist()[:3] == [0.0, 1.0, 0.0]
    # "1,100" (a thousands separator) is 1100; 8 of the 30 prices are written that way
    assert t["price"][0] == 1100.0 and t["price"][1] == 101.0
    assert any("price" in note and "8 numbers" in note for note in t.notes)


def test_task_inference():
    class T:
        kinds = {"a": "categorical", "b": "numeric", "c": "numeric", "d": "boolean"}

        def __getitem__(self, k):
            return {"b": np.arange(40) % 3, "c": np.linspace(0, 1, 40), "d": np.ones(4)}[k]

    assert infer_task(T(), "a") == "classification"
    assert infer_task(T(), "b") == "classification"  # three whole numbers, many rows each
    assert infer_task(T(), "c") == "regression"
    assert infer_task(T(), "d") == "classification"


def test_infer_kind_cases():
    assert infer_kind([None, "", "n/a"]) == "empty"
    assert infer_kind(["1", "2", "x"] + ["3"] * 30) == "numeric"  # one stray cell in 33
    assert infer_kind(["a", "b", "a"]) == "categorical"
    assert infer_kind([f"K{i:04d}" for i in range(12)]) == "id"
    assert infer_kind([str(i) for i in range(12)]) == "id"  # a row number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "is empty"),
        ("  \n\n", "is empty"),
        ("a,b,c\n", "has a header but no data rows"),
        ("a,b\n1,2\n3,4,5\n", "row 3 has 3 values, the header has 2 (a, b)"),
    ],
)
def test_bad_files_name_the_file_and_row(tmp_path, text, expected):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(TableError) as info:
        read_table(path)
    assert path in str(info.value) and expected in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(TableError, match="does not exist"):
        read_table(str(tmp_path / "nope.csv"))


def test_parquet_needs_pyarrow_or_reads(tmp_path):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        with pytest.raises(ImportError, match="pip install"):
            read_table(_write(tmp_path, "t.parquet", "not really parquet"))
        return
    pq.write_table(pa.table({"a": [1.0, 2.0], "b": ["x", "y"]}), str(tmp_path / "t.parquet"))
    t = read_table(str(tmp_path / "t.parquet"))
    assert t["a"].tolist() == [1.0, 2.0] and t["b"].tolist() == ["x", "y"]
