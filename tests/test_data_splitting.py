"""train_val_test_split, KFold and StratifiedKFold, checked against scikit-learn."""

import numpy as np
import pytest
from sklearn import model_selection as skms

import glassnet
from glassnet.data import KFold, StratifiedKFold, train_val_test_split


def _data(n=23, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, classes, size=n)


@pytest.mark.parametrize("n,test_size", [(10, 0.2), (23, 0.3), (7, 2), (100, 0.25)])
def test_unshuffled_split_matches_sklearn(n, test_size):
    x, y = _data(n)
    ours = train_val_test_split(x, y, val_size=0, test_size=test_size, shuffle=False)
    theirs = skms.train_test_split(x, y, test_size=test_size, shuffle=False)
    x_tr, x_val, x_te, y_tr, y_val, y_te = ours
    for a, b in zip([x_tr, x_te, y_tr, y_te], theirs):
        np.testing.assert_array_equal(a, b)
    assert len(x_val) == 0 and len(y_val) == 0


def test_unshuffled_three_way_split_is_consecutive_with_sizes_rounded_up():
    x = np.arange(23)
    tr, val, te = train_val_test_split(x, val_size=0.15, test_size=0.1, shuffle=False)
    # ceil(0.15 * 23) = 4 validation, ceil(0.1 * 23) = 3 test, the rest train
    assert tr.tolist() == list(range(16))
    assert val.tolist() == list(range(16, 20))
    assert te.tolist() == list(range(20, 23))


def test_shuffled_split_is_a_partition_and_keeps_rows_together():
    x, y = _data(50)
    ids = np.arange(50)
    parts = train_val_test_split(x, y, ids, val_size=0.2, test_size=0.1, seed=3)
    x_parts, y_parts, id_parts = parts[0:3], parts[3:6], parts[6:9]
    assert [len(p) for p in id_parts] == [35, 10, 5]
    assert sorted(np.concatenate(id_parts).tolist()) == list(range(50))
    assert np.concatenate(id_parts).tolist() != list(range(50)), "shuffled"
    for xp_, yp, ip in zip(x_parts, y_parts, id_parts):
        np.testing.assert_array_equal(xp_, x[ip])
        np.testing.assert_array_equal(yp, y[ip])


def test_split_repeats_with_seed_and_with_manual_seed():
    x = np.arange(40)
    a = train_val_test_split(x, seed=7)
    b = train_val_test_split(x, seed=7)
    c = train_val_test_split(x, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    glassnet.manual_seed(5)
    d = train_val_test_split(x)
    glassnet.manual_seed(5)
    e = train_val_test_split(x)
    assert all(np.array_equal(p, q) for p, q in zip(d, e))


def test_split_keeps_tensors_and_lists(device):
    x = glassnet.arange(20, device=device).float().reshape(10, 2)
    names = [f"s{i}" for i in range(10)]
    x_tr, x_val, x_te, n_tr, n_val, n_te = train_val_test_split(
        x, names, val_size=0.2, test_size=0.2, seed=0
    )
    assert isinstance(x_tr, glassnet.Tensor) and x_tr.device == device
    assert tuple(x_tr.shape) == (6, 2) and isinstance(n_tr, list)
    for xs, ns in [(x_tr, n_tr), (x_val, n_val), (x_te, n_te)]:
        assert [f"s{int(r[0]) // 2}" for r in xs.tolist()] == ns


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_keeps_class_proportions(seed):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["a", "b", "c"]), [60, 30, 13])
    rng.shuffle(y)
    n = len(y)
    tr, val, te = train_val_test_split(
        np.arange(n), val_size=0.2, test_size=0.15, stratify=y, seed=seed
    )
    assert [len(tr), len(val), len(te)] == [n - 21 - 16, 21, 16]
    assert sorted(np.concatenate([tr, val, te]).tolist()) == list(range(n))
    for part, frac in [(te, 16 / n), (val, 21 / n)]:
        for c, total in [("a", 60), ("b", 30), ("c", 13)]:
            assert abs((y[part] == c).sum() - frac * total) < 1 + 1e-9


def test_split_errors():
    with pytest.raises(ValueError, match="same length"):
        train_val_test_split(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="no training"):
        train_val_test_split(np.zeros(4), val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="shuffle"):
        train_val_test_split(np.zeros(4), stratify=np.zeros(4), shuffle=False)
    with pytest.raises(ValueError, match="test_size"):
        train_val_test_split(np.zeros(4), test_size=1.5)


def _folds(splitter, x, y=None):
    return [(tr.tolist(), va.tolist()) for tr, va in splitter.split(x, y)]


@pytest.mark.parametrize("n,k", [(10, 2), (10, 3), (17, 5), (5, 5)])
def test_kfold_matches_sklearn(n, k):
    x = np.zeros((n, 2))
    assert _folds(KFold(k), x) == _folds(skms.KFold(k), x)
    assert KFold(k).get_n_splits() == k


@pytest.mark.parametrize(
    "labels",
    [
        [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1],
        ["b", "a", "b", "b", "c", "a", "a", "b", "c", "c", "b", "a", "b", "b", "a"],
        [3, 1, 1, 3, 3, 3, 1, 3, 3, 3, 1, 3, 3, 3, 3, 3, 1, 1, 3, 3],
    ],
)
@pytest.mark.parametrize("k", [2, 3])
def test_stratified_kfold_matches_sklearn(labels, k):
    y = np.array(labels)
    x = np.zeros((len(y), 1))
    assert _folds(StratifiedKFold(k), x, y) == _folds(skms.StratifiedKFold(k), x, y)


@pytest.mark.parametrize("k", [2, 4, 5])
def test_shuffled_kfold_is_a_partition_and_repeats(k):
    n = 23
    x = np.zeros((n, 1))
    folds = _folds(KFold(k, shuffle=True, random_state=1), x)
    vals = [v for _, v in folds]
    assert sorted(sum(vals, [])) == list(range(n))
    for tr, va in folds:
        assert sorted(tr + va) == list(range(n)) and not set(tr) & set(va)
    assert sorted(len(v) for v in vals) == sorted(len(v) for _, v in _folds(skms.KFold(k), x))
    assert folds == _folds(KFold(k, shuffle=True, random_state=1), x)
    assert folds != _folds(KFold(k), x)


def test_shuffled_kfold_without_random_state_follows_manual_seed():
    x = np.zeros((12, 1))
    glassnet.manual_seed(3)
    a = _folds(KFold(3, shuffle=True), x)
    glassnet.manual_seed(3)
    assert _folds(KFold(3, shuffle=True), x) == a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_stratified_kfold_keeps_sklearns_class_counts(seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.array(["x", "y", "z"]), [24, 11, 5]))
    x = np.zeros((40, 1))
    ours = _folds(StratifiedKFold(4, shuffle=True, random_state=seed), x, y)
    theirs = _folds(skms.StratifiedKFold(4), x, y)
    assert sorted(sum([v for _, v in ours], [])) == list(range(40))
    for (_, va), (_, sk_va) in zip(ours, theirs):
        for c in "xyz":
            assert (y[va] == c).sum() == (y[sk_va] == c).sum()
    assert ours != theirs


def test_kfold_accepts_tensors():
    y = glassnet.tensor([0, 1, 0, 1, 0, 1])
    x = glassnet.zeros(6, 2)
    assert _folds(StratifiedKFold(3), x, y) == _folds(skms.StratifiedKFold(3), x.numpy(), y.numpy())


def test_kfold_errors():
    with pytest.raises(ValueError, match="n_splits"):
        KFold(1)
    with pytest.raises(ValueError, match="only 3 samples"):
        list(KFold(4).split(np.zeros(3)))
    with pytest.raises(ValueError, match="random_state"):
        KFold(3, random_state=0)
    with pytest.raises(ValueError, match="labels"):
        list(StratifiedKFold(2).split(np.zeros(4)))
    with pytest.warns(UserWarning, match="smallest class"):
        list(StratifiedKFold(3).split(np.zeros(7), np.array([0, 0, 0, 0, 0, 1, 1])))
