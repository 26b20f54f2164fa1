"""Scalers, imputer, label encoder and one_hot, checked against scikit-learn and PyTorch."""

import json
import os
import warnings

import numpy as np
import pytest
import torch
from sklearn import impute as skimpute
from sklearn import preprocessing as skpre

import glassnet
from glassnet.data import (
    LabelEncoder,
    MinMaxScaler,
    SimpleImputer,
    StandardScaler,
    one_hot,
)
from glassnet.errors import DTypeError, ShapeError


def _with_nans(n=40, f=5, seed=0, frac=0.15):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, size=(n, f))
    x[rng.random((n, f)) < frac] = np.nan
    x[:, 2] = 1.5  # a constant feature must not divide by zero
    return x


def _split():
    x = _with_nans(60)
    return x[:40], x[40:]


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(
        np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol, equal_nan=True
    )


@pytest.mark.parametrize("with_mean,with_std", [(True, True), (False, True), (True, False)])
def test_standard_scaler_matches_sklearn(with_mean, with_std):
    train, test = _split()
    ours = StandardScaler(with_mean=with_mean, with_std=with_std).fit(train)
    theirs = skpre.StandardScaler(with_mean=with_mean, with_std=with_std).fit(train)
    if with_std:
        _close(ours.scale_, theirs.scale_)
    if with_mean:
        _close(ours.mean_, theirs.mean_)
    _close(ours.transform(test), theirs.transform(test))
    _close(ours.fit_transform(train), theirs.fit_transform(train))
    _close(ours.inverse_transform(ours.transform(test)), test, 1e-12)


def test_minmax_scaler_matches_sklearn():
    train, test = _split()
    for kwargs in [{}, {"feature_range": (-1, 2)}, {"feature_range": (0, 1), "clip": True}]:
        ours, theirs = MinMaxScaler(**kwargs).fit(train), skpre.MinMaxScaler(**kwargs).fit(train)
        for name in ["data_min_", "data_max_", "data_range_", "scale_", "min_"]:
            _close(getattr(ours, name), getattr(theirs, name))
        _close(ours.transform(test), theirs.transform(test))
        _close(
            ours.inverse_transform(theirs.transform(test)),
            theirs.inverse_transform(theirs.transform(test)),
        )


def test_scalers_fit_on_train_only():
    """No leakage: transforming other splits uses the training statistics and changes nothing."""
    rng = np.random.default_rng(1)
    train, test = rng.normal(size=(30, 3)), rng.normal(5.0, 3.0, size=(10, 3))
    scaler = StandardScaler().fit(train)
    before = scaler.state_dict()
    out = scaler.transform(test)
    _close(out, (test - train.mean(0)) / train.std(0))
    assert scaler.state_dict() == before
    assert abs(out.mean()) > 1, "test data is not re-centred with its own mean"


@pytest.mark.parametrize("cls", [StandardScaler, MinMaxScaler])
def test_scalers_on_float32_tensors(cls, device):
    train, test = _split()
    train, test = np.nan_to_num(train), np.nan_to_num(test)
    ours = cls().fit(glassnet.tensor(train, dtype=glassnet.float32, device=device))
    out = ours.transform(glassnet.tensor(test, dtype=glassnet.float32, device=device))
    assert isinstance(out, glassnet.Tensor) and out.device == device
    assert out.dtype == glassnet.float32, "float32 stays float32"
    expected = getattr(skpre, cls.__name__)().fit(train).transform(test)
    _close(out.cpu().numpy(), expected, 1e-5)
    back = ours.inverse_transform(out)
    assert back.dtype == glassnet.float32
    _close(back.cpu().numpy(), test, 1e-5)
    assert ours.transform(test.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("keep_empty", [False, True])
def test_imputer_matches_sklearn(strategy, keep_empty):
    rng = np.random.default_rng(2)
    train = rng.integers(0, 4, size=(30, 4)).astype(np.float64)  # repeats make modes matter
    train[rng.random(train.shape) < 0.2] = np.nan
    train[:, 3] = np.nan  # a column never observed in training
    test = rng.normal(size=(8, 4))
    test[rng.random(test.shape) < 0.4] = np.nan
    kwargs = {"strategy": strategy, "keep_empty_features": keep_empty}
    if strategy == "constant":
        kwargs["fill_value"] = -7.0
    ours, theirs = SimpleImputer(**kwargs), skimpute.SimpleImputer(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # both warn about the dropped column
        ours.fit(train), theirs.fit(train)
        _close(ours.statistics_, theirs.statistics_)
        _close(ours.transform(test), theirs.transform(test))


def test_imputer_drops_empty_columns_with_a_warning():
    train = np.array([[1.0, np.nan], [2.0, np.nan]])
    imp = SimpleImputer().fit(train)
    with pytest.warns(UserWarning, match=r"dropping columns \[1\]"):
        assert imp.transform(np.array([[np.nan, 3.0]])).tolist() == [[1.5]]


def test_imputer_with_a_missing_value_marker_on_ints_and_tensors(device):
    train = np.array([[1, -1], [1, 5], [2, 5], [-1, 7]])
    for strategy in ["most_frequent", "median", "mean"]:
        ours = SimpleImputer(missing_values=-1, strategy=strategy).fit(train)
        theirs = skimpute.SimpleImputer(missing_values=-1, strategy=strategy).fit(train)
        _close(ours.statistics_, theirs.statistics_)
        out = ours.transform(glassnet.tensor(train, device=device))
        assert isinstance(out, glassnet.Tensor) and out.device == device
        _close(out.cpu().numpy(), theirs.transform(train), 1e-6)  # ints -> float32 (not 64)
        # whole-number fill values keep integer data integer; fractional ones need floats
        whole = np.all(theirs.statistics_ == np.round(theirs.statistics_))
        assert (out.dtype == glassnet.int64) == whole


def test_label_encoder_matches_sklearn(device):
    labels = np.array(["dog", "cat", "fish", "cat", "dog", "ant"])
    ours, theirs = LabelEncoder().fit(labels), skpre.LabelEncoder().fit(labels)
    assert ours.classes_.tolist() == theirs.classes_.tolist()
    new = ["fish", "ant", "ant", "dog"]
    assert ours.transform(new).tolist() == theirs.transform(new).tolist()
    assert ours.transform(new).dtype == np.int64
    assert ours.inverse_transform([0, 3]).tolist() == ["ant", "fish"]
    assert LabelEncoder().fit_transform(labels).tolist() == theirs.fit_transform(labels).tolist()
    ints = glassnet.tensor([7, -2, 7, 30], device=device)
    out = LabelEncoder().fit_transform(ints)
    assert isinstance(out, glassnet.Tensor) and out.device == device
    assert out.tolist() == [1, 0, 1, 2]


def test_label_encoder_errors():
    enc = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"\['c', 'z'\] were not seen"):
        enc.transform(["a", "z", "c"])
    with pytest.raises(ValueError, match="outside 0..1"):
        enc.inverse_transform([2])
    with pytest.raises(DTypeError):
        enc.inverse_transform([0.5])
    with pytest.raises(RuntimeError, match="not fitted"):
        LabelEncoder().transform(["a"])


def test_state_dicts_are_json_and_round_trip(tmp_path):
    train, test = _split()
    labels = ["b", "a", "c", "a"]
    fitted = [
        StandardScaler().fit(train),
        MinMaxScaler((-2, 2), clip=True).fit(train),
        SimpleImputer(strategy="median").fit(train),
        SimpleImputer(missing_values=0.0, strategy="constant", fill_value=3).fit(train),
        LabelEncoder().fit(labels),
    ]
    for prep in fitted:
        state = json.loads(json.dumps(prep.state_dict()))
        twin = type(prep)().load_state_dict(state)
        assert repr(twin) == repr(prep)
        data = labels if isinstance(prep, LabelEncoder) else test
        np.testing.assert_array_equal(twin.transform(data), prep.transform(data))
    # saved next to weights in one checkpoint file
    path = os.path.join(tmp_path, "ckpt.safetensors")
    glassnet.save({"weight": glassnet.ones(2), "scaler": fitted[0].state_dict()}, path)
    loaded = glassnet.load(path)
    twin = StandardScaler().load_state_dict(loaded["scaler"])
    _close(twin.transform(test), fitted[0].transform(test))


def test_preprocessing_errors():
    with pytest.raises(RuntimeError, match="fit"):
        StandardScaler().transform(np.zeros((2, 2)))
    scaler = StandardScaler().fit(np.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"shape \(3,\).*\(2, 5\)"):
        scaler.transform(np.zeros((2, 5)))
    with pytest.raises(ShapeError, match="reshape"):
        StandardScaler().fit(np.zeros(4))
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler((1, 0))
    with pytest.raises(ValueError, match="strategy"):
        SimpleImputer(strategy="mode")
    with pytest.raises(KeyError, match="mean_"):
        StandardScaler().load_state_dict({"with_mean": True})


@pytest.mark.parametrize("shape,num_classes", [((5,), 4), ((2, 3), -1), ((0,), 3)])
def test_one_hot_matches_torch(shape, num_classes, device):
    labels = np.random.default_rng(0).integers(0, 3, size=shape)
    expected = torch.nn.functional.one_hot(torch.from_numpy(labels), num_classes).numpy()
    out = one_hot(glassnet.tensor(labels, device=device), num_classes)
    assert isinstance(out, glassnet.Tensor) and out.device == device
    assert out.dtype == glassnet.int64
    np.testing.assert_array_equal(out.cpu().numpy(), expected)
    np.testing.assert_array_equal(one_hot(labels, num_classes), expected)
    assert one_hot(labels.tolist(), num_classes, dtype=glassnet.float32).dtype == np.float32


def test_one_hot_errors():
    with pytest.raises(ValueError, match="0..2"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="0..2"):
        one_hot([-1, 0], 3)
    with pytest.raises(DTypeError, match="LabelEncoder"):
        one_hot([0.0, 1.0])
