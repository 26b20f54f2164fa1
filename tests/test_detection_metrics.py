"""Detection metrics (glassnet.train.metrics.detection): AP against scikit-learn's
average_precision_score on a case where the two definitions coincide, and mAP / mean box IoU
on a multi-class case worked out by hand."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

import glassnet
from glassnet.train import metrics


def box(x, y, w=2.0, h=2.0):
    return [x, y, x + w, y + h]


def test_single_class_ap_matches_sklearn():
    # scikit-learn's AP is sum_n (R_n - R_{n-1}) P_n over the ranked detections, without VOC's
    # interpolation (precision replaced by the best precision at any higher recall) and with
    # recall out of the positives among the detections. The two coincide when (1) every true box
    # is found by some detection (so "positives among detections" = "true boxes"), (2) the
    # precision at successive true positives never rises (so interpolation changes nothing) and
    # (3) the scores are distinct (sklearn merges tied scores into one threshold). The ranked
    # outcomes below are TP TP FP TP FP TP: precisions at the TPs 1, 1, 3/4, 4/6.
    targets = [
        {"boxes": [box(0, 0), box(10, 10)], "labels": [0, 0]},
        {"boxes": [box(0, 0), box(20, 0)], "labels": [0, 0]},
    ]
    dets = [  # (image, box, score, is a true positive)
        (0, box(0, 0), 0.95, 1),
        (1, box(0, 0), 0.90, 1),
        (0, box(30, 30), 0.80, 0),  # overlaps nothing
        (0, box(10.2, 10.1), 0.70, 1),  # IoU ~0.86 with the second true box of image 0
        (1, box(0.1, 0), 0.60, 0),  # a duplicate: its true box is claimed already
        (1, box(20, 0.3), 0.50, 1),
    ]
    preds = [
        {
            "boxes": [d[1] for d in dets if d[0] == i],
            "scores": [d[2] for d in dets if d[0] == i],
            "labels": [0 for d in dets if d[0] == i],
        }
        for i in range(2)
    ]
    y_true = np.array([d[3] for d in dets])
    hits = np.cumsum(y_true)
    prec_at_tp = (hits / np.arange(1, len(dets) + 1))[y_true == 1]
    assert (np.diff(prec_at_tp) <= 0).all() and hits[-1] == 4  # conditions (1) and (2)
    want = average_precision_score(y_true, [d[2] for d in dets])
    got = metrics.mean_average_precision(preds, targets)
    assert got == pytest.approx(want, rel=1e-12)  # the same few float64 sums
    assert got == pytest.approx(0.25 * (1 + 1 + 3 / 4 + 4 / 6), rel=1e-12)


def test_multiclass_map_and_mean_box_iou_by_hand():
    targets = [
        {"boxes": [box(0, 0), box(10, 0), box(0, 10)], "labels": [0, 1, 3]},
        {"boxes": [box(5, 5)], "labels": [0]},
    ]
    preds = [
        {
            "boxes": [box(0, 0), box(10, 0), box(10, 0, 2, 1), box(0, 0), box(40, 40)],
            "scores": [0.9, 0.5, 0.9, 0.7, 0.3],
            "labels": [0, 1, 1, 1, 2],
        },
        {"boxes": [box(30, 30)], "scores": [0.8], "labels": [0]},
    ]
    # class 0 (2 true boxes): 0.9 TP (IoU 1), 0.8 FP: recall 1/2 at precision 1 -> AP 1/2.
    # class 1 (1 true box): 0.9 half-height box IoU 1/2 >= 0.5 -> TP; 0.7 sits on the class-0
    #   box -> FP; 0.5 exact but its box is claimed -> FP: AP 1.
    # class 2: no true box -> left out. class 3: a true box never predicted -> AP 0.
    per_class = metrics.average_precision_per_class(preds, targets)
    assert per_class[0] == 0.5 and per_class[1] == 1.0 and per_class[3] == 0.0
    assert np.isnan(per_class[2])
    assert metrics.mean_average_precision(preds, targets) == pytest.approx(1.5 / 3, rel=1e-15)
    # The matched pairs have IoU 1 (class 0) and 1/2 (class 1).
    assert metrics.mean_box_iou(preds, targets) == pytest.approx(0.75, rel=1e-15)
    # At IoU 0.6 the half-height box (0.9) is a FP too; the exact box (0.5) is the TP after two
    # FPs: precision 1/3 at recall 1, so class 1 AP = 1/3.
    strict = metrics.average_precision_per_class(preds, targets, iou_threshold=0.6)
    assert strict[1] == pytest.approx(1 / 3, rel=1e-15) and strict[0] == 0.5


def test_running_metric_equals_all_at_once_and_takes_tensors():
    rng = np.random.default_rng(0)
    preds, targets = [], []
    for _ in range(6):
        g = rng.uniform(0, 20, size=(3, 2))
        gt = np.concatenate([g, g + 4], 1)
        p = gt + rng.normal(0, 1.0, size=gt.shape)
        preds.append(
            {
                "boxes": glassnet.tensor(p),
                "scores": glassnet.tensor(rng.random(3)),
                "labels": glassnet.tensor(rng.integers(0, 2, 3)),
            }
        )
        targets.append({"boxes": gt, "labels": rng.integers(0, 2, 3)})
    m = metrics.get("map50")
    m.update(preds[:2], targets[:2])
    m.update(preds[2:], targets[2:])
    assert m.compute() == metrics.mean_average_precision(preds, targets)


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="one entry per image"):
        metrics.mean_average_precision([], [{"boxes": [], "labels": []}])
    with pytest.raises(ValueError, match="2 boxes but 1 labels"):
        metrics.mean_average_precision(
            [{"boxes": [box(0, 0), box(1, 1)], "scores": [1, 1], "labels": [0]}],
            [{"boxes": [], "labels": []}],
        )
    assert np.isnan(metrics.mean_average_precision([], []))
