"""glassnet.train.metrics against scikit-learn (classification, regression), PyTorch
(perplexity) and hand-worked examples (BLEU, ROUGE, IoU)."""

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import glassnet
from glassnet.errors import ShapeError
from glassnet.train import metrics as M

rng = np.random.default_rng(0)
N, C = 200, 5
LOGITS = rng.normal(size=(N, C)).astype(np.float32)
TARGETS = rng.integers(0, C, size=N)
PRED_LABELS = LOGITS.argmax(1)
BIN_TARGETS = rng.integers(0, 2, size=N)
BIN_PROBS = rng.uniform(size=N).astype(np.float32)
REG_T = rng.normal(size=(N, 3))
REG_P = REG_T + rng.normal(scale=0.5, size=(N, 3))


# ---- classification against scikit-learn ------------------------------------------------
def test_accuracy_from_logits_and_labels(device):
    logits = glassnet.tensor(LOGITS, device=device, requires_grad=True)
    targets = glassnet.tensor(TARGETS, device=device)
    expected = skm.accuracy_score(TARGETS, PRED_LABELS)
    assert M.accuracy(logits, targets) == pytest.approx(expected)
    assert M.accuracy(PRED_LABELS, TARGETS) == pytest.approx(expected)


def test_accuracy_binary_probabilities_and_logits():
    expected = skm.accuracy_score(BIN_TARGETS, BIN_PROBS >= 0.7)
    assert M.accuracy(BIN_PROBS, BIN_TARGETS, threshold=0.7) == pytest.approx(expected)
    logits = np.log(BIN_PROBS / (1 - BIN_PROBS)) * 3  # outside [0, 1]: read as logits
    assert M.accuracy(logits, BIN_TARGETS) == pytest.approx(
        skm.accuracy_score(BIN_TARGETS, BIN_PROBS >= 0.5)
    )
    assert M.accuracy(BIN_PROBS[:, None], BIN_TARGETS) == pytest.approx(
        skm.accuracy_score(BIN_TARGETS, BIN_PROBS >= 0.5)
    )


def test_accuracy_sequence_and_segmentation_layouts():
    seq_logits = rng.normal(size=(4, 7, C))  # (N, T, C)
    seq_t = rng.integers(0, C, size=(4, 7))
    assert M.accuracy(seq_logits, seq_t) == pytest.approx((seq_logits.argmax(-1) == seq_t).mean())
    seg_logits = rng.normal(size=(2, C, 3, 4))  # (N, C, H, W)
    seg_t = rng.integers(0, C, size=(2, 3, 4))
    assert M.accuracy(seg_logits, seg_t) == pytest.approx((seg_logits.argmax(1) == seg_t).mean())
    seq_t[0, :3] = -100
    keep = seq_t != -100
    assert M.accuracy(seq_logits, seq_t, ignore_index=-100) == pytest.approx(
        (seq_logits.argmax(-1) == seq_t)[keep].mean()
    )


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_accuracy(k):
    expected = skm.top_k_accuracy_score(TARGETS, LOGITS, k=k, labels=range(C))
    assert M.top_k_accuracy(LOGITS, TARGETS, k=k) == pytest.approx(expected)


def test_confusion_matrix(device):
    got = M.confusion_matrix(glassnet.tensor(LOGITS, device=device), TARGETS)
    np.testing.assert_array_equal(got, skm.confusion_matrix(TARGETS, PRED_LABELS))
    np.testing.assert_array_equal(
        M.confusion_matrix([0, 1], [0, 0], num_classes=4),
        skm.confusion_matrix([0, 0], [0, 1], labels=range(4)),
    )


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_precision_recall_f1_multiclass(name, average):
    sk = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    preds = PRED_LABELS.copy()
    preds[preds == 3] = 2  # class 3 never predicted: its precision is 0/0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sk(TARGETS, preds, average=average)
        got = getattr(M, name)(preds, TARGETS, average=average)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_zero_division_like_sklearn(name, zero_division):
    sk = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    targets, preds = np.array([0, 0, 1, 1, 2]), np.array([0, 0, 0, 1, 1])
    for average in ("macro", "weighted", None):
        expected = sk(targets, preds, average=average, zero_division=zero_division)
        got = getattr(M, name)(preds, targets, average=average, zero_division=zero_division)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    # binary with no predicted positives: precision is 0/0
    expected = sk([1, 0], [0, 0], zero_division=zero_division)
    got = getattr(M, name)([0, 0], [1, 0], average="binary", zero_division=zero_division)
    np.testing.assert_allclose(got, expected)


def test_zero_division_warns_by_default():
    with pytest.warns(UserWarning, match="ill-defined"):
        assert M.precision([0, 0], [1, 0], average="binary") == 0.0


@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_binary_from_probabilities(name):
    sk = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    expected = sk(BIN_TARGETS, (BIN_PROBS >= 0.5).astype(int))
    assert getattr(M, name)(BIN_PROBS, BIN_TARGETS, average="binary") == pytest.approx(expected)


def test_binary_average_rejects_multiclass():
    with pytest.raises(ValueError, match="average='binary'"):
        M.f1(PRED_LABELS, TARGETS, average="binary")


# ---- regression against scikit-learn -------------------------------------------------------
@pytest.mark.parametrize("cols", [slice(0, 1), slice(0, 3)])
def test_regression_scores(cols, device):
    p, t = REG_P[:, cols], REG_T[:, cols]
    gp = glassnet.tensor(p.astype(np.float32), device=device)
    gt = glassnet.tensor(t.astype(np.float32), device=device)
    assert M.mae(gp, gt) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-5)
    assert M.mse(gp, gt) == pytest.approx(skm.mean_squared_error(t, p), rel=1e-5)
    assert M.rmse(gp, gt) == pytest.approx(skm.root_mean_squared_error(t, p), rel=1e-5)
    assert M.r2(gp, gt) == pytest.approx(skm.r2_score(t, p), rel=1e-5)


def test_regression_column_vector_against_flat_targets():
    p, t = REG_P[:, :1], REG_T[:, 0]
    assert M.mse(p, t) == pytest.approx(skm.mean_squared_error(t, p[:, 0]))
    with pytest.raises(ShapeError, match="mse"):
        M.mse(REG_P, REG_T[:, 0])


def test_r2_constant_target_like_sklearn():
    assert M.r2([2.0, 2.0], [2.0, 2.0]) == skm.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert M.r2([1.0, 3.0], [2.0, 2.0]) == skm.r2_score([2.0, 2.0], [1.0, 3.0]) == 0.0


# ---- accumulation over batches equals the whole ------------------------------------------
CASES = [
    ("accuracy", {}, LOGITS, TARGETS),
    ("top_k_accuracy", {"k": 2}, LOGITS, TARGETS),
    ("precision", {"average": "macro"}, LOGITS, TARGETS),
    ("recall", {"average": "weighted"}, LOGITS, TARGETS),
    ("f1", {"average": "micro"}, LOGITS, TARGETS),
    ("f1", {"average": "binary"}, BIN_PROBS, BIN_TARGETS),
    ("confusion_matrix", {}, LOGITS, TARGETS),
    ("mae", {}, REG_P, REG_T),
    ("mse", {}, REG_P, REG_T),
    ("rmse", {}, REG_P, REG_T),
    ("r2", {}, REG_P + 100.0, REG_T + 100.0),
    ("mean_iou", {}, LOGITS, TARGETS),
    ("perplexity", {}, LOGITS, TARGETS),
]


@pytest.mark.parametrize("name,kwargs,preds,targets", CASES, ids=[c[0] for c in CASES])
def test_batches_accumulate_to_whole(name, kwargs, preds, targets):
    whole = M.get(name, **kwargs)
    whole.update(preds, targets)
    batched = M.get(name, **kwargs)
    for start in range(0, N, 37):
        batched.update(preds[start : start + 37], targets[start : start + 37])
    np.testing.assert_allclose(batched.compute(), whole.compute(), rtol=1e-9)
    batched.reset()
    batched.update(preds[:50], targets[:50])
    fresh = M.get(name, **kwargs)
    fresh.update(preds[:50], targets[:50])
    np.testing.assert_allclose(batched.compute(), fresh.compute(), rtol=1e-12)


def test_metric_objects_equal_functions():
    assert M.get("f1", average="macro").name == "f1"
    m = M.F1(average="macro")
    m.update(LOGITS, TARGETS)
    assert m.compute() == M.f1(LOGITS, TARGETS, average="macro")
    m = M.Accuracy()
    first = m(LOGITS[:10], TARGETS[:10])  # calling scores the batch alone and accumulates
    assert first == M.accuracy(LOGITS[:10], TARGETS[:10])
    m(LOGITS[10:], TARGETS[10:])
    assert m.compute() == M.accuracy(LOGITS, TARGETS)


def test_get_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="known metrics: .*accuracy.*f1"):
        M.get("acuracy")
    m = M.Accuracy()
    assert M.get(m) is m
    assert M.get("rougeL").name == "rougeL" and M.get("top5_accuracy").k == 5


def test_shape_mismatch_names_the_metric():
    with pytest.raises(ShapeError, match="accuracy"):
        M.accuracy(np.zeros((4, 3)), np.zeros(5, dtype=int))


# ---- BLEU by hand --------------------------------------------------------------------------
def test_bleu_worked_example():
    hyp = "the cat is on the mat".split()  # 6 tokens
    ref = "there is a cat on the mat".split()  # 7 tokens
    # unigrams of hyp: the x2 (ref has 1 -> clipped 1), cat, is, on, mat -> 5 of 6
    # bigrams: the-cat, cat-is, is-on, on-the, the-mat; in ref: on-the, the-mat -> 2 of 5
    # trigrams: the-cat-is, cat-is-on, is-on-the, on-the-mat; in ref: on-the-mat -> 1 of 4
    # 4-grams: the-cat-is-on, cat-is-on-the, is-on-the-mat -> 0 of 3
    p = [5 / 6, 2 / 5, 1 / 4]
    brevity = math.exp(1 - 7 / 6)  # c=6 < r=7
    assert M.bleu([hyp], [ref], max_n=3) == pytest.approx(
        brevity * math.exp(sum(math.log(x) for x in p) / 3)
    )
    assert M.bleu([hyp], [ref]) == 0.0  # no 4-gram match and no smoothing
    smoothed = brevity * math.exp(sum(math.log(x) for x in p + [0.1 / 3]) / 4)
    assert M.bleu([hyp], [ref], smooth=True) == pytest.approx(smoothed)


def test_bleu_corpus_pools_counts_and_picks_closest_reference():
    hyps = [["a", "b", "c"], ["a", "a", "d"]]
    refs = [
        [["a", "b", "c", "d"], ["a", "b"]],  # two references: lengths 4 and 2
        ["a", "d", "a"],
    ]
    # sentence 1: unigrams 3/3, bigrams a-b, b-c -> 2/2 (both in ref 1); closest ref length
    #   to 3 is a tie between 4 and 2 -> the shorter, 2
    # sentence 2: unigrams a x2 (ref has a x2) + d -> 3/3; bigrams a-a (no), a-d (yes) -> 1/2
    # pooled: p1 = 6/6, p2 = 3/4; c = 6, r = 2 + 3 = 5 -> no brevity penalty
    assert M.bleu(hyps, refs, max_n=2) == pytest.approx(math.sqrt(1.0 * 3 / 4))
    m = M.BLEU(max_n=2)
    m.update(hyps[:1], refs[:1])
    m.update(hyps[1:], refs[1:])
    assert m.compute() == pytest.approx(math.sqrt(3 / 4))


def test_bleu_perfect_and_empty():
    assert M.bleu(["a b c d e".split()], ["a b c d e".split()]) == pytest.approx(1.0)
    assert M.bleu([[]], [["a"]]) == 0.0


# ---- ROUGE by hand -------------------------------------------------------------------------
def test_rouge_worked_example():
    hyp = "the cat was found under the bed".split()  # 7 tokens
    ref = "the cat was under the bed".split()  # 6 tokens
    # ROUGE-1: overlap the x2, cat, was, under, bed = 6 -> P 6/7, R 6/6
    # ROUGE-2: hyp bigrams (6): the-cat, cat-was, was-found, found-under, under-the, the-bed;
    #          ref bigrams (5): the-cat, cat-was, was-under, under-the, the-bed -> overlap 4
    # ROUGE-L: LCS "the cat was under the bed" = 6 -> P 6/7, R 6/6
    out = M.rouge([hyp], [ref])

    def f(p, r):
        return 2 * p * r / (p + r)

    assert out["rouge1"]["precision"] == pytest.approx(6 / 7)
    assert out["rouge1"]["recall"] == pytest.approx(1.0)
    assert out["rouge1"]["fmeasure"] == pytest.approx(f(6 / 7, 1.0))
    assert out["rouge2"]["precision"] == pytest.approx(4 / 6)
    assert out["rouge2"]["recall"] == pytest.approx(4 / 5)
    assert out["rouge2"]["fmeasure"] == pytest.approx(f(4 / 6, 4 / 5))
    assert out["rougeL"]["fmeasure"] == pytest.approx(f(6 / 7, 1.0))


def test_rouge_l_is_subsequence_not_substring_and_averages_sentences():
    # LCS of a b c d e and a x c y e is a c e (3): P = R = 3/5
    # second pair: LCS of "b a" and "a b" is 1: P = R = 1/2
    out = M.rouge([list("abcde"), list("ba")], [list("axcye"), list("ab")], rouge_types=("rougeL",))
    assert out["rougeL"]["fmeasure"] == pytest.approx((3 / 5 + 1 / 2) / 2)
    m = M.ROUGE("rougeL")
    m.update([list("abcde")], [list("axcye")])
    m.update([list("ba")], [list("ab")])
    assert m.compute() == pytest.approx((3 / 5 + 1 / 2) / 2)


def test_rouge_multiple_references_takes_best():
    out = M.rouge([["a", "b"]], [[["c", "d"], ["a", "b"]]], rouge_types=("rouge1",))
    assert out["rouge1"]["fmeasure"] == 1.0


# ---- IoU by hand ---------------------------------------------------------------------------
def test_box_iou_hand_computed():
    a = [[0, 0, 4, 4], [1, 1, 2, 2]]
    b = [[2, 2, 6, 6], [0, 0, 4, 4], [10, 10, 11, 11]]
    # [0,0,4,4] vs [2,2,6,6]: intersection 2x2 = 4, union 16 + 16 - 4 = 28
    # [1,1,2,2] vs [0,0,4,4]: inside it, 1 / 16
    expected = np.array([[4 / 28, 1.0, 0.0], [0.0, 1 / 16, 0.0]])
    np.testing.assert_allclose(M.box_iou(a, b), expected)
    np.testing.assert_allclose(M.box_iou(a, b[:2], pairwise=False), [4 / 28, 1 / 16])
    np.testing.assert_allclose(
        M.iou(np.array(a, dtype=np.float32), np.array(b, np.float32)), expected
    )
    with pytest.raises(ShapeError, match="box_iou"):
        M.box_iou([[0, 0, 1]], a)


def test_mask_and_mean_iou_hand_computed():
    pred = np.array([[1, 1, 0], [1, 0, 0], [2, 2, 2]])
    target = np.array([[1, 0, 0], [1, 1, 0], [2, 2, 0]])
    # class 0: pred {(0,2),(1,1),(1,2)}, target {(0,1),(0,2),(1,2),(2,2)}: inter 2, union 5
    # class 1: pred {(0,0),(0,1),(1,0)}, target {(0,0),(1,0),(1,1)}: inter 2, union 4
    # class 2: pred row 2 (3), target (2,0),(2,1): inter 2, union 3
    np.testing.assert_allclose(M.mean_iou(pred, target, per_class=True), [2 / 5, 2 / 4, 2 / 3])
    assert M.mean_iou(pred, target) == pytest.approx((2 / 5 + 2 / 4 + 2 / 3) / 3)
    assert M.mean_iou(pred, target) == pytest.approx(
        skm.jaccard_score(target.ravel(), pred.ravel(), average="macro")
    )
    assert M.mask_iou(pred == 1, target == 1) == pytest.approx(2 / 4)
    assert M.iou(pred == 2, target == 2) == pytest.approx(2 / 3)
    assert M.mask_iou(np.zeros(3), np.zeros(3)) == 0.0


def test_mean_iou_ignore_index_and_logits():
    pred = np.array([0, 1, 1, 0])
    target = np.array([0, 1, 255, 255])
    assert M.mean_iou(pred, target, ignore_index=255) == 1.0
    scores = np.eye(2)[pred][None].transpose(0, 2, 1)  # (1, C, L) one-hot scores
    assert M.mean_iou(scores, target[None], ignore_index=255) == 1.0


# ---- perplexity against PyTorch --------------------------------------------------------------
def test_perplexity_matches_torch_cross_entropy():
    logits = rng.normal(size=(3, 6, C))
    targets = rng.integers(0, C, size=(3, 6))
    targets[0, :2] = -100
    ce = torch.nn.functional.cross_entropy(
        torch.tensor(logits).transpose(1, 2), torch.tensor(targets), ignore_index=-100
    )
    assert M.perplexity(logits, targets) == pytest.approx(math.exp(ce.item()), rel=1e-10)
    assert M.perplexity(ce.item()) == pytest.approx(math.exp(ce.item()))
    m = M.Perplexity()
    m.update(logits[:1], targets[:1])
    m.update(logits[1:], targets[1:])
    assert m.compute() == pytest.approx(math.exp(ce.item()), rel=1e-10)
