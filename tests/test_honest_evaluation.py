"""Honest evaluation: Trainer.evaluate and Trainer.predict refuse (or, with nonfinite='warn',
flag) inputs that hold NaN or inf; classification metrics refuse non-integer class targets; a
NaN prediction row never counts as correct, and scores of non-finite predictions are NaN. On
finite inputs every metric still equals scikit-learn's."""

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import glassnet
from glassnet import nn
from glassnet.data import DataLoader, TensorDataset
from glassnet.optim import SGD
from glassnet.train import Trainer
from glassnet.train import metrics as M

rng = np.random.default_rng(7)
N, C = 120, 4
LOGITS = rng.normal(size=(N, C)).astype(np.float32)
TARGETS = rng.integers(0, C, size=N)


def classifier():
    glassnet.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, C))


def trainer_for(model, metrics=("accuracy",)):
    return Trainer(
        model, "cross_entropy", SGD(model.parameters(), lr=0.1), metrics=metrics, progress=False
    )


def loader_with_bad_rows(bad_rows, value=math.nan, n=40, batch_size=16):
    x = rng.normal(size=(n, 3)).astype(np.float32)
    for r in bad_rows:
        x[r, r % 3] = value
    y = rng.integers(0, C, size=n)
    return DataLoader(TensorDataset(glassnet.tensor(x), glassnet.tensor(y)), batch_size=batch_size)


# ---- evaluate / predict on non-finite inputs ------------------------------------------------
@pytest.mark.parametrize("value,word", [(math.nan, "NaN"), (math.inf, "inf"), (-math.inf, "inf")])
def test_evaluate_and_predict_refuse_non_finite_features_naming_batch_rows_and_count(value, word):
    trainer = trainer_for(classifier())
    data = loader_with_bad_rows([19, 21], value)  # batch 2 (rows 16-31): rows 3 and 5 of it
    expected = (
        rf"batch 2 holds 2 {word} values in its inputs \(rows 3, 5 of the batch, rows 19, 21 of "
        r"the data\).*nonfinite='warn'"
    )
    with pytest.raises(ValueError, match="Trainer.evaluate: " + expected):
        trainer.evaluate(data)
    with pytest.raises(ValueError, match="Trainer.predict: " + expected):
        trainer.predict(data)


def test_validation_data_with_nan_features_is_refused_by_fit():
    model = classifier()
    train = loader_with_bad_rows([])
    with pytest.raises(
        ValueError, match=r"Trainer.fit \(the validation data\): batch 1 holds 1 NaN"
    ):
        trainer_for(model).fit(train, val=loader_with_bad_rows([4]), epochs=1)


def test_nonfinite_warn_flags_the_rows_once_and_the_scores_come_out_nan():
    model = classifier()
    trainer = trainer_for(model)
    data = loader_with_bad_rows([2, 33])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = trainer.evaluate(data, nonfinite="warn")
        out = trainer.predict(data, nonfinite="warn")
    flagged = [str(w.message) for w in caught if "row(s) of the data hold" in str(w.message)]
    assert flagged == [
        "Trainer.evaluate: 2 row(s) of the data hold 2 NaN values (rows 2, 33 of the data); "
        "their outputs, and the loss and the metrics computed from them, are not finite",
        "Trainer.predict: 2 row(s) of the data hold 2 NaN values (rows 2, 33 of the data); "
        "their outputs, and the loss and the metrics computed from them, are not finite",
    ]
    assert math.isnan(result["loss"]) and math.isnan(result["accuracy"])
    rows_nan = np.isnan(out.numpy()).any(axis=1)
    np.testing.assert_array_equal(np.nonzero(rows_nan)[0], [2, 33])
    with pytest.raises(ValueError, match="nonfinite must be 'raise' or 'warn', got 'skip'"):
        trainer.evaluate(data, nonfinite="skip")


def test_evaluate_refuses_nan_regression_targets():
    x = glassnet.randn(8, 3)
    y = glassnet.tensor(np.array([[0.0]] * 7 + [[np.nan]], dtype=np.float32))
    model = nn.Linear(3, 1)
    trainer = Trainer(model, "mse", SGD(model.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match=r"batch 1 holds 1 NaN value in its targets \(row 7 "):
        trainer.evaluate([(x, y)])


def test_a_nan_model_scores_nan_accuracy_not_the_share_of_class_zero():
    # argmax of an all-NaN row is 0 in NumPy: before, every label-0 sample counted as correct.
    model = classifier()
    for p in model.parameters():
        p._data[...] = np.nan
    x = glassnet.randn(30, 3)
    y = glassnet.zeros(30, dtype=glassnet.int64)
    result = trainer_for(model, metrics=("accuracy", "f1", "top_k_accuracy")).evaluate([(x, y)])
    assert math.isnan(result["accuracy"]) and math.isnan(result["f1"])
    assert math.isnan(result["top5_accuracy"])


# ---- metrics on non-finite predictions ------------------------------------------------------
def nan_rows(logits, rows):
    out = logits.copy()
    out[rows] = np.nan
    return out


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_prediction_row_never_counts_as_correct(bad):
    logits = LOGITS[:10].copy()
    targets = np.zeros(10, dtype=np.int64)
    logits[3, :] = bad  # argmax of this row would be 0 = its target
    assert math.isnan(M.accuracy(logits, targets))
    assert math.isnan(M.top_k_accuracy(logits, targets, k=2))
    for fn in (M.precision, M.recall, M.f1):
        assert math.isnan(fn(logits, targets, average="macro"))
    assert math.isnan(M.mean_iou(logits, targets))
    binary = np.full(10, 0.9, dtype=np.float32)
    binary[4] = bad
    assert math.isnan(M.accuracy(binary, np.ones(10)))
    with pytest.raises(ValueError, match="confusion_matrix: the predictions hold .* NaN/inf"):
        M.confusion_matrix(logits, targets)


def test_running_metrics_stay_nan_after_a_non_finite_batch_until_reset():
    for name in ("accuracy", "top_k_accuracy", "f1", "precision", "recall", "mean_iou"):
        m = M.get(name) if name != "top_k_accuracy" else M.get(name, k=2)
        m.update(LOGITS[:50], TARGETS[:50])
        m.update(nan_rows(LOGITS[50:60], [0]), TARGETS[50:60])
        m.update(LOGITS[60:], TARGETS[60:])
        assert math.isnan(m.compute()), name
        m.reset()
        m.update(LOGITS, TARGETS)
        whole = M.get(name) if name != "top_k_accuracy" else M.get(name, k=2)
        whole.update(LOGITS, TARGETS)
        assert m.compute() == whole.compute(), name
    per_class = M.f1(nan_rows(LOGITS, [5]), TARGETS, average=None)
    assert per_class.shape == (C,) and np.isnan(per_class).all()
    assert np.isnan(M.mean_iou(nan_rows(LOGITS, [5]), TARGETS, per_class=True)).all()


def test_regression_scores_of_nan_predictions_are_nan_and_nan_targets_are_refused():
    p, t = rng.normal(size=20), rng.normal(size=20)
    p[3] = np.nan
    for fn in (M.mae, M.mse, M.rmse, M.r2):
        assert math.isnan(fn(p, t)), fn.__name__
    # a constant target used to score r2 = 0.0 against NaN predictions
    assert math.isnan(M.r2([np.nan, 1.0], [2.0, 2.0]))
    t[7] = np.inf
    with pytest.raises(ValueError, match=r"mae: the targets hold 1 NaN/inf value\(s\) .*\(7,\)"):
        M.mae(rng.normal(size=20), t)
    assert math.isnan(M.perplexity(nan_rows(LOGITS, [1]), TARGETS))


# ---- class targets must be whole numbers -----------------------------------------------------
@pytest.mark.parametrize(
    "name", ["accuracy", "top_k_accuracy", "precision", "recall", "f1", "mean_iou", "perplexity"]
)
def test_non_integer_class_targets_are_refused(name):
    targets = TARGETS.astype(np.float32)
    targets[11] = 1.5  # used to be read as class 1
    with pytest.raises(
        ValueError,
        match=rf"{name}: class targets must be whole-number labels.*"
        r"1 of 120 is not \(1.5 at index 11\).*targets.long\(\)",
    ):
        getattr(M, name)(LOGITS, targets)
    targets[11] = np.nan
    with pytest.raises(ValueError, match=rf"{name}: the targets hold 1 NaN/inf .* index 11"):
        getattr(M, name)(LOGITS, targets)
    with pytest.raises(ValueError, match="confusion_matrix: class targets must be whole-number"):
        M.confusion_matrix(LOGITS, np.where(np.arange(N) == 0, 0.25, TARGETS))


def test_whole_number_float_targets_give_the_same_scores_as_integers():
    floats = TARGETS.astype(np.float32)
    for name in ("accuracy", "top_k_accuracy", "f1", "mean_iou", "perplexity"):
        assert getattr(M, name)(LOGITS, floats) == getattr(M, name)(LOGITS, TARGETS), name
    probs = rng.uniform(size=N).astype(np.float32)
    bin_t = rng.integers(0, 2, size=N)
    assert M.f1(probs, bin_t.astype(np.float64), average="binary") == M.f1(
        probs, bin_t, average="binary"
    )


# ---- and on finite inputs, scikit-learn's values ---------------------------------------------
def test_finite_cases_match_scikit_learn_over_batches():
    preds = LOGITS.argmax(1)
    targets = TARGETS.astype(np.float64)  # whole-number floats, as a regression-style loader gives
    checks = {
        "accuracy": skm.accuracy_score(TARGETS, preds),
        "top_k_accuracy": skm.top_k_accuracy_score(TARGETS, LOGITS, k=2, labels=range(C)),
        "precision": skm.precision_score(TARGETS, preds, average="macro"),
        "recall": skm.recall_score(TARGETS, preds, average="weighted"),
        "f1": skm.f1_score(TARGETS, preds, average="micro"),
        "mean_iou": skm.jaccard_score(TARGETS, preds, average="macro"),
    }
    kwargs = {
        "top_k_accuracy": {"k": 2},
        "precision": {"average": "macro"},
        "recall": {"average": "weighted"},
        "f1": {"average": "micro"},
    }
    for name, expected in checks.items():
        m = M.get(name, **kwargs.get(name, {}))
        for start in range(0, N, 25):
            m.update(LOGITS[start : start + 25], targets[start : start + 25])
        # Counts are integers and each score is one division (or a mean of C of them) in
        # float64, so it agrees with scikit-learn to a few float64 ulps.
        assert m.compute() == pytest.approx(expected, rel=1e-12, abs=1e-15), name
    np.testing.assert_array_equal(
        M.confusion_matrix(LOGITS, targets), skm.confusion_matrix(TARGETS, preds)
    )
    p, t = rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    # float64 sums of N = 120 terms: relative rounding ~ N * 1.1e-16, well under 1e-12
    assert M.mae(p, t) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)
    assert M.mse(p, t) == pytest.approx(skm.mean_squared_error(t, p), rel=1e-12)
    assert M.r2(p, t) == pytest.approx(skm.r2_score(t, p), rel=1e-12)
