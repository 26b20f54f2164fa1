"""Cleaning steps against scikit-learn's equivalents on the same data (float64 throughout, so
the statistics agree to rounding: 1e-12 relative)."""

import json

import numpy as np
import pytest
from sklearn import compose as skc
from sklearn import impute as ski
from sklearn import pipeline as skp
from sklearn import preprocessing as skpre

from glassnet.data import preprocessing as gp

TOL = dict(rtol=1e-12, atol=1e-12)


def _numeric(seed=0, n=60, d=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * [1, 10, 0.1, 5] + [0, 3, -1, 2]
    x[rng.random((n, d)) < 0.2] = np.nan
    x[:, 3] = np.round(x[:, 3])  # whole numbers: most_frequent has ties to break
    return x


def _roundtrip(step):
    """The step rebuilt from its JSON state (through a real json round trip)."""
    entry = json.loads(json.dumps(gp.compose.step_to_dict(step)))
    return gp.compose.step_from_dict(entry)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("add_indicator", [False, True])
def test_simple_imputer_matches_sklearn(strategy, add_indicator):
    x, new = _numeric(0), _numeric(1, n=20)
    kw = dict(strategy=strategy, add_indicator=add_indicator)
    if strategy == "constant":
        kw["fill_value"] = -7.0
    ours = gp.SimpleImputer(**kw).fit(x)
    ref = ski.SimpleImputer(**kw).fit(x)
    np.testing.assert_allclose(ours.statistics_, ref.statistics_.astype(float), **TOL)
    np.testing.assert_allclose(ours.transform(new), ref.transform(new), **TOL)
    np.testing.assert_allclose(_roundtrip(ours).transform(new), ref.transform(new), **TOL)


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
def test_simple_imputer_on_text_matches_sklearn(strategy):
    x = np.array(
        [["a", "x"], [None, "y"], ["b", None], ["a", "y"], ["b", "x"], ["a", None]], object
    )
    new = np.array([[None, None], ["c", "x"]], dtype=object)
    ours = gp.SimpleImputer(strategy=strategy, add_indicator=True).fit(x)
    ref = ski.SimpleImputer(strategy=strategy, add_indicator=True, missing_values=None).fit(x)
    assert ours.transform(new).tolist() == ref.transform(new).tolist()
    assert _roundtrip(ours).transform(new).tolist() == ref.transform(new).tolist()


@pytest.mark.parametrize("features", ["missing-only", "all"])
def test_missing_indicator_matches_sklearn(features):
    x, new = _numeric(2), _numeric(3, n=15)
    x[:, 0] = np.arange(len(x))  # one column with nothing missing (in both)
    new[:, 0] = 1.0
    ours = gp.MissingIndicator(features=features).fit(x)
    ref = ski.MissingIndicator(features=features).fit(x)
    assert ours.features_.tolist() == ref.features_.tolist()
    np.testing.assert_array_equal(_roundtrip(ours).transform(new), ref.transform(new))


@pytest.mark.parametrize(
    "ours, ref",
    [
        (gp.StandardScaler(), skpre.StandardScaler()),
        (gp.RobustScaler(), skpre.RobustScaler()),
        (gp.RobustScaler(quantile_range=(10, 90)), skpre.RobustScaler(quantile_range=(10, 90))),
        (gp.MinMaxScaler(), skpre.MinMaxScaler()),
    ],
)
def test_scalers_match_sklearn(ours, ref):
    x, new = _numeric(4), _numeric(5, n=10)
    np.testing.assert_allclose(ours.fit_transform(x), ref.fit_transform(x), **TOL)
    np.testing.assert_allclose(_roundtrip(ours).transform(new), ref.transform(new), **TOL)


def _categories(seed, n):
    rng = np.random.default_rng(seed)
    words = np.array(["red", "green", "blue", "pink", "teal", "gold"], dtype=object)
    return words[np.minimum(rng.geometric(0.45, size=(n, 2)) - 1, 5)]


@pytest.mark.parametrize("min_frequency", [None, 3, 0.1])
@pytest.mark.parametrize("handle_unknown", ["ignore", "infrequent_if_exist"])
def test_one_hot_encoder_matches_sklearn(min_frequency, handle_unknown):
    x = _categories(0, 50)
    new = np.concatenate([_categories(1, 20), [["violet", "red"]]]).astype(object)
    kw = dict(handle_unknown=handle_unknown, min_frequency=min_frequency)
    ours = gp.OneHotEncoder(**kw).fit(x)
    ref = skpre.OneHotEncoder(sparse_output=False, **kw).fit(x)
    assert [list(c) for c in ours.categories_] == [list(c) for c in ref.categories_]
    np.testing.assert_array_equal(ours.transform(new), ref.transform(new))
    np.testing.assert_array_equal(_roundtrip(ours).transform(new), ref.transform(new))


def test_rare_category_grouper_counts_by_hand():
    x = np.array([["a"], ["a"], ["a"], ["b"], ["b"], ["c"]], dtype=object)
    g = _roundtrip(gp.RareCategoryGrouper(min_frequency=2).fit(x))
    # a (3) and b (2) reach 2; c (1) and the unseen d do not.
    assert g.transform([["a"], ["b"], ["c"], ["d"]]).ravel().tolist() == ["a", "b"] + ["other"] * 2


def test_outliers_by_hand_and_against_robust_scaler():
    x = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 11.0], [4.0, 12.0], [100.0, -50.0]])
    clip = gp.OutlierClipper(method="iqr").fit(x)
    # column 0: Q1=2, Q3=4, IQR=2 -> fences -1, 7; column 1: Q1=10, Q3=11, IQR=1 -> 8.5, 12.5
    np.testing.assert_allclose(clip.lower_, [-1.0, 8.5], **TOL)
    np.testing.assert_allclose(clip.upper_, [7.0, 12.5], **TOL)
    assert clip.outliers(x)[:, 0].tolist() == [False] * 4 + [True]
    assert clip.remove(x).shape == (4, 2)
    assert _roundtrip(clip).transform(x)[4].tolist() == [7.0, 8.5]
    # The robust z-score is 0.6745 x RobustScaler with the MAD as scale: same centre.
    z = gp.robust_zscore(x)
    mad = np.median(np.abs(x - np.median(x, axis=0)), axis=0)
    centred = skpre.RobustScaler(with_scaling=False).fit_transform(x)
    np.testing.assert_allclose(z, 0.6745 * centred / mad, **TOL)
    zs = gp.OutlierClipper(method="zscore", threshold=3.5).fit(x)
    assert zs.outliers(x).tolist() == (np.abs(z) > 3.5).tolist()


def test_coerce_numeric_reports_what_changed():
    values, report = gp.coerce_numeric([1, "2", " 3.5 ", "1,234", "€4", "50%", "?", "seven", None])
    np.testing.assert_array_equal(values[:6], [1, 2, 3.5, 1234, 4, 0.5])
    assert np.isnan(values[6:]).all()
    assert (report["converted"], report["missing"], report["failed"]) == (5, 2, {7: "seven"})


def test_drop_duplicates_keeps_first_occurrence():
    rows = [[1, "a"], [2, "b"], [1, "a"], [np.nan, "c"], [np.nan, "c"], [2, "b"]]
    kept, removed, labels = gp.drop_duplicates(rows, np.arange(6))
    assert removed.tolist() == [2, 4, 5]
    assert labels.tolist() == [0, 1, 3]


def _mixed(seed, n):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, 2)) * [3, 0.5]
    num[rng.random((n, 2)) < 0.15] = np.nan
    cats = _categories(seed + 10, n)
    return np.concatenate([num.astype(object), cats], axis=1)


def test_pipeline_and_column_transformer_match_sklearn():
    x, new = _mixed(0, 80), _mixed(1, 25)
    new[0, 2] = "violet"  # unseen category
    ours = gp.ColumnTransformer(
        [
            (
                "num",
                gp.Pipeline(
                    [
                        ("impute", gp.SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", gp.StandardScaler()),
                    ]
                ),
                [0, 1],
            ),
            ("cat", gp.OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5), [2]),
        ],
        remainder="passthrough",
    )
    ref = skc.ColumnTransformer(
        [
            (
                "num",
                skp.Pipeline(
                    [
                        ("impute", ski.SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", skpre.StandardScaler()),
                    ]
                ),
                [0, 1],
            ),
            (
                "cat",
                skpre.OneHotEncoder(
                    handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
                ),
                [2],
            ),
        ],
        remainder="passthrough",
    )
    xf = x[:, :2].astype(float)
    got, want = ours.fit_transform(x), ref.fit_transform(x)
    np.testing.assert_allclose(got[:, :-1].astype(float), want[:, :-1].astype(float), **TOL)
    assert got[:, -1].tolist() == want[:, -1].tolist()  # the passthrough text column
    back = gp.ColumnTransformer.from_json(ours.to_json())
    np.testing.assert_allclose(
        back.transform(new)[:, :-1].astype(float), ref.transform(new)[:, :-1].astype(float), **TOL
    )
    assert xf.shape == (80, 2)


@pytest.mark.parametrize("min_frequency", [None, 4])
def test_ordinal_encoder_matches_sklearn(min_frequency):
    x = _categories(2, 60)
    new = np.concatenate([_categories(3, 15), [["violet", "red"]]]).astype(object)
    kw = dict(handle_unknown="use_encoded_value", unknown_value=-1, min_frequency=min_frequency)
    ref = skpre.OrdinalEncoder(**kw).fit(x)
    ours = gp.OrdinalEncoder(min_frequency=min_frequency).fit(x)
    np.testing.assert_array_equal(_roundtrip(ours).transform(new), ref.transform(new))
