"""glassnet.datasets: real sets against scikit-learn's copies, generated sets by their geometry,
and the file readers on tiny files written here in each format."""

import gzip
import os
import struct
import sysconfig

import numpy as np
import pytest
from sklearn import datasets as skd

import glassnet
from glassnet import datasets
from glassnet.data import DataLoader
from glassnet.datasets.bundle import split_indices


# ---- real data sets -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,n,d,k",
    [
        ("iris", 150, 4, 3),
        ("wine", 178, 13, 3),
        ("breast_cancer", 569, 30, 2),
    ],
)
def test_tabular_matches_sklearn(name, n, d, k):
    raw = getattr(skd, f"load_{name}")()
    b = datasets.load(name)
    assert b.task == "classification" and b.num_classes == k
    assert b.feature_names == list(raw.feature_names) and b.x_train.shape[1] == d
    assert len(b.x_train) + len(b.x_test) == n and len(b.x_test) == int(np.ceil(0.2 * n))
    tr, te = split_indices(n, 0.2, 0, raw.target)
    np.testing.assert_array_equal(b.x_train, raw.data[tr].astype(np.float32))
    np.testing.assert_array_equal(b.y_test, raw.target[te])
    assert b.x_train.dtype == np.float32 and b.y_train.dtype == np.int64
    # stratified: every class keeps its share in the test part, to within one sample
    for c in range(k):
        share = (raw.target == c).mean() * len(te)
        assert abs((b.y_test == c).sum() - share) <= 1


def test_digits_images_and_flat():
    raw = skd.load_digits()
    b = datasets.load("digits")
    assert b.x_train.shape[1:] == (1, 8, 8) and b.x_train.dtype == np.float32
    assert b.x_train.min() == 0.0 and b.x_train.max() == 1.0 and b.num_classes == 10
    tr, _ = split_indices(len(raw.target), 0.2, 0, raw.target)
    np.testing.assert_allclose(b.x_train[:, 0], raw.images[tr] / 16.0, rtol=1e-6)
    flat = datasets.load("digits", flat=True)
    np.testing.assert_array_equal(flat.x_train, b.x_train.reshape(-1, 64))


def test_diabetes_is_regression_with_column_targets():
    raw = skd.load_diabetes()
    b = datasets.load("diabetes", test_size=0.25, seed=3)
    assert b.task == "regression" and b.num_classes is None
    assert b.y_train.shape == (len(b.x_train), 1) and b.y_train.dtype == np.float32
    tr, te = split_indices(442, 0.25, 3)
    np.testing.assert_allclose(b.y_test[:, 0], raw.target[te], rtol=1e-6)


def test_splits_repeat_and_depend_on_seed():
    a, b, c = datasets.load("wine"), datasets.load("wine"), datasets.load("wine", seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(np.sort(a.x_test, 0), np.sort(c.x_test, 0))


def test_standardize_uses_train_statistics():
    b = datasets.load("wine", standardize=True)
    np.testing.assert_allclose(b.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(b.x_train.std(0), 1, atol=1e-5)
    assert b.x_train.dtype == np.float32
    raw = datasets.load("wine")
    np.testing.assert_allclose(b.x_test, (raw.x_test - b.mean) / b.std, rtol=1e-5)


def test_train_and_test_are_tensor_datasets():
    b = datasets.load("iris")
    x, y = b.train[0]
    assert isinstance(x, glassnet.Tensor) and x.shape == (4,) and y.dtype == glassnet.int64
    xb, yb = next(iter(DataLoader(b.test, batch_size=8)))
    assert xb.shape == (8, 4) and yb.shape == (8,)
    assert "iris" in b.description.lower() and "iris" in repr(b)


def test_load_unknown_name_lists_available():
    with pytest.raises(ValueError, match="available: digits, iris"):
        datasets.load("mnist")


# ---- generated 2-D sets -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals", "blobs"])
def test_generated_shapes_balance_and_seeds(name):
    b = datasets.load(name, n_samples=300, test_size=0.2)
    k = 3 if name == "blobs" else 2
    assert b.x_train.shape == (240, 2) and b.x_test.shape == (60, 2)
    assert b.x_train.dtype == np.float32 and b.num_classes == k
    y = np.concatenate([b.y_train, b.y_test])
    np.testing.assert_array_equal(np.bincount(y), [300 // k] * k)
    np.testing.assert_array_equal(datasets.load(name, n_samples=300).x_train, b.x_train)
    assert not np.array_equal(datasets.load(name, n_samples=300, seed=1).x_train, b.x_train)


def _all(b):
    return np.concatenate([b.x_train, b.x_test]), np.concatenate([b.y_train, b.y_test])


def test_circles_radii():
    x, y = _all(datasets.load("circles", n_samples=200, noise=0.0, factor=0.3))
    r = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-6)
    x, y = _all(datasets.load("circles", n_samples=2000, noise=0.1))
    assert abs(np.linalg.norm(x[y == 0], axis=1).mean() - 1.0) < 0.02


def test_moons_geometry():
    x, y = _all(datasets.load("moons", n_samples=200, noise=0.0))
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, rtol=1e-6)
    assert (x[y == 0, 1] >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-6)
    assert (x[y == 1, 1] <= 0.5).all()


def test_xor_and_spirals_geometry():
    x, y = _all(datasets.load("xor", n_samples=200, noise=0.0))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    x, y = _all(datasets.load("spirals", n_samples=300, noise=0.0, classes=3))
    assert np.linalg.norm(x, axis=1).max() <= 1.0 and set(y.tolist()) == {0, 1, 2}


def test_blobs_cluster_around_centers():
    b = datasets.load("blobs", n_samples=3000, noise=0.5, centers=[[0, 0], [5, 5], [-5, 5]])
    x, y = _all(b)
    for k, c in enumerate(b.centers):
        np.testing.assert_allclose(x[y == k].mean(0), c, atol=0.05)
        np.testing.assert_allclose(x[y == k].std(0), 0.5, atol=0.05)


# ---- sequence tasks -------------------------------------------------------------------------
def test_sine_windows_and_next_value():
    b = datasets.load("sine", n_samples=100, window=10, noise=0.0, period=20.0)
    assert b.x_train.shape == (80, 10, 1) and b.y_train.shape == (80, 1)
    assert b.task == "regression" and b.x_train.dtype == np.float32
    np.testing.assert_array_equal(b.x_train[1:, :-1], b.x_train[:-1, 1:])
    np.testing.assert_array_equal(b.y_train[:-1, 0], b.x_train[1:, -1, 0])
    t = np.arange(10, 90)
    np.testing.assert_allclose(b.y_train[:, 0], np.sin(2 * np.pi * t / 20.0), atol=1e-6)
    np.testing.assert_array_equal(b.x_test[0, -1], b.y_train[-1])  # test follows train in time


def test_copy_reverse_addition():
    c = datasets.load("copy", n_samples=50, length=6, vocab_size=7)
    assert c.x_train.shape == (40, 6) and c.task == "sequence" and c.num_classes == 7
    np.testing.assert_array_equal(c.y_train, c.x_train)
    assert c.x_train.max() < 7 and c.x_train.dtype == np.int64
    r = datasets.load("reverse", n_samples=50, length=6)
    np.testing.assert_array_equal(r.y_train, r.x_train[:, ::-1])
    a = datasets.load("addition", n_samples=200, n_digits=3)
    assert a.x_train.shape == (160, 7) and a.y_train.shape == (160, 4)
    for x, y in zip(a.x_train, a.y_train):
        left, right = a.decode(x).split("+")
        assert int(left) + int(right) == int(a.decode(y))
    rev = datasets.load("addition", n_samples=200, n_digits=3, reverse_answer=True)
    np.testing.assert_array_equal(rev.y_train, a.y_train[:, ::-1])


def test_python_source_corpus():
    b = datasets.load("python_source", max_chars=30_000, seq_len=50, test_size=0.1)
    assert len(b.text) == 30_000 and b.num_classes == len(b.vocab)
    root = sysconfig.get_paths()["stdlib"]
    first = sorted(f for f in os.listdir(root) if f.endswith(".py"))[0]
    with open(os.path.join(root, first), encoding="utf-8", errors="replace") as f:
        assert b.text.startswith(f.read()[:1000])
    np.testing.assert_array_equal(b.y_train[:, :-1], b.x_train[:, 1:])
    assert b.decode(b.x_train[0]) == b.text[:50]
    assert b.x_train.shape == (27_000 // 50 - (27_000 % 50 == 0), 50)
    assert len(b.x_test) == (3_000 - 1) // 50
    assert b.decode(b.encode("import os")) == "import os"


# ---- your own files -------------------------------------------------------------------------
def test_from_csv_header_missing_values_and_text_target(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text(
        "length,width,colour,species\n1.5,0.2,red,setosa\n"
        "4.7,,blue,versicolor\n5.1,NA,red,setosa\n6.0,2.5,,virginica\n"
        "5.9,2.1,blue,\n"
    )
    b = datasets.from_csv(path, target="species", test_size=0.0)
    assert b.task == "classification" and b.class_names == ["setosa", "versicolor", "virginica"]
    assert b.feature_names == ["length", "width", "colour"]
    assert b.categories == {"colour": ["blue", "red"]}
    assert len(b.x_train) == 4  # the row without a species is dropped
    order = np.argsort(b.x_train[:, 0])
    expected = np.array(
        [[1.5, 0.2, 1], [4.7, np.nan, 0], [5.1, np.nan, 1], [6.0, 2.5, np.nan]], dtype=np.float32
    )
    np.testing.assert_array_equal(b.x_train[order], expected)
    np.testing.assert_array_equal(b.y_train[order], [0, 1, 0, 2])


def test_from_csv_without_header_regression_and_errors(tmp_path):
    path = tmp_path / "data.csv"
    rows = [f"{i},{i * 0.5},{i * 1.25 + 0.1}" for i in range(10)]
    path.write_text("\n".join(rows) + "\n")
    b = datasets.from_csv(path, test_size=0.2)
    assert b.task == "regression" and b.feature_names == ["col0", "col1"]
    assert b.x_train.shape == (8, 2) and b.y_train.shape == (8, 1)
    np.testing.assert_allclose(b.y_train[:, 0], b.x_train[:, 0] * 1.25 + 0.1, rtol=1e-6)
    b = datasets.from_csv(path, target=0, test_size=0.0, task="classification")
    np.testing.assert_array_equal(np.sort(b.y_train), np.arange(10))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="row 3"):
        datasets.from_csv(bad)
    with pytest.raises(ValueError, match="no column named 'c'"):
        datasets.from_csv(path, target="c")


def test_from_numpy_casts_and_splits():
    x = np.random.default_rng(0).normal(size=(30, 4))
    b = datasets.from_numpy(x, np.arange(30) % 3, test_size=0.1)
    assert b.x_train.dtype == np.float32 and len(b.test) == 3 and b.num_classes == 3
    r = datasets.from_numpy(x, x[:, 0], test_size=0)
    assert r.task == "regression" and r.test is None and r.y_train.dtype == np.float32


def _idx_bytes(array, code):
    return (
        bytes([0, 0, code, array.ndim])
        + struct.pack(f">{array.ndim}I", *array.shape)
        + array.tobytes()
    )


@pytest.mark.parametrize("compress", [False, True])
def test_read_mnist_idx(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    ext = ".gz" if compress else ""
    for name, data in [("images", _idx_bytes(images, 0x08)), ("labels", _idx_bytes(labels, 8))]:
        (tmp_path / (name + ext)).write_bytes(gzip.compress(data) if compress else data)
    x, y = datasets.read_mnist(tmp_path / ("images" + ext), tmp_path / ("labels" + ext))
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64
    floats = np.arange(6, dtype=">f4").reshape(2, 3)
    (tmp_path / "f.idx").write_bytes(_idx_bytes(floats, 0x0D))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "f.idx"), floats)
    (tmp_path / "short").write_bytes(_idx_bytes(images, 0x08)[:-3])
    with pytest.raises(ValueError, match="truncated"):
        datasets.read_idx(tmp_path / "short")


def test_write_idx_round_trip(tmp_path):
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    datasets.write_idx(tmp_path / "a.idx.gz", a)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a.idx.gz"), a)


def test_read_cifar10_binary(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(4, 3, 32, 32), dtype=np.uint8)
    labels = np.array([3, 9, 0, 5], dtype=np.uint8)
    records = b"".join(bytes([lab]) + img.tobytes() for lab, img in zip(labels, images))
    (tmp_path / "data_batch_1.bin").write_bytes(records)
    x, y = datasets.read_cifar10(tmp_path / "data_batch_1.bin")
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    (tmp_path / "bad.bin").write_bytes(records[:-1])
    with pytest.raises(ValueError, match="3073"):
        datasets.read_cifar10(tmp_path / "bad.bin")


def test_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    written = {}
    for cls, count in [("dog", 2), ("cat", 1)]:
        (tmp_path / cls).mkdir()
        for i in range(count):
            pixels = rng.integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / cls / f"{i}.png")
            written[(cls, i)] = pixels
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = datasets.image_folder(tmp_path)
    assert ds.classes == ["cat", "dog"] and len(ds) == 3 and ds.targets == [0, 1, 1]
    image, label = ds[2]
    assert label == 1 and image.shape == (3, 5, 6) and image.dtype == glassnet.float32
    np.testing.assert_allclose(
        image.numpy(), written[("dog", 1)].transpose(2, 0, 1) / 255.0, rtol=1e-6
    )
    grey = datasets.image_folder(tmp_path, mode="L", transform=lambda t: t * 2)
    g, _ = grey[0]
    assert g.shape == (1, 5, 6) and float(g.max()) <= 2.0
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    assert xb.shape == (3, 3, 5, 6) and yb.tolist() == [0, 1, 1]
