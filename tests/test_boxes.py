"""Box utilities (glassnet.ops.boxes) against torchvision.ops (its pure-Python box_area,
box_convert, box_iou, generalized_box_iou) and, for nms/batched_nms whose torchvision kernels do
not load beside the CPU build of torch, against a brute-force reference written here."""

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet.ops import boxes as B
from glassnet.train import metrics


def random_boxes(n, seed, scale=10.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, scale, size=(n, 2))
    wh = rng.uniform(0.5, scale / 2, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


# float64 throughout: a handful of multiplies and one divide per entry, so the two
# implementations agree to a few ulps; 1e-12 leaves room for a different operation order.
TOL = dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_area_and_iou_match_torchvision(seed):
    a, b = random_boxes(7, seed), random_boxes(5, seed + 10)
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_allclose(B.box_area(a), torchvision.ops.box_area(ta).numpy(), **TOL)
    np.testing.assert_allclose(B.box_iou(a, b), torchvision.ops.box_iou(ta, tb).numpy(), **TOL)
    np.testing.assert_allclose(
        B.generalized_box_iou(a, b),
        torchvision.ops.generalized_box_iou(ta, tb).numpy(),
        **TOL,
    )
    # The metric is the op (0 where the op says 0/0) and its paired form is the diagonal.
    np.testing.assert_allclose(metrics.box_iou(a, b), B.box_iou(a, b), **TOL)
    np.testing.assert_allclose(
        metrics.box_iou(a[:5], b, pairwise=False), np.diag(B.box_iou(a[:5], b)), **TOL
    )


@pytest.mark.parametrize("fmt_in", B.FORMATS)
@pytest.mark.parametrize("fmt_out", B.FORMATS)
def test_box_convert_matches_torchvision(fmt_in, fmt_out):
    x = random_boxes(6, 3)
    want = torchvision.ops.box_convert(torch.tensor(x), fmt_in, fmt_out).numpy()
    np.testing.assert_allclose(B.box_convert(x, fmt_in, fmt_out), want, **TOL)
    got = B.box_convert(glassnet.tensor(x), fmt_in, fmt_out)
    assert isinstance(got, glassnet.Tensor)
    np.testing.assert_allclose(got.numpy(), want, **TOL)


@pytest.mark.parametrize("fn", ["box_iou", "generalized_box_iou"])
def test_iou_gradients_match_torchvision(fn):
    a, b = random_boxes(4, 5), random_boxes(3, 6)
    w = np.random.default_rng(7).normal(size=(4, 3))
    ga, gb = glassnet.tensor(a, requires_grad=True), glassnet.tensor(b, requires_grad=True)
    (getattr(B, fn)(ga, gb) * glassnet.tensor(w)).sum().backward()
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    (getattr(torchvision.ops, fn)(ta, tb) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), **TOL)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), **TOL)


def test_float32_tensors_stay_float32_and_int_tensors_upcast():
    x = random_boxes(3, 8).astype(np.float32)
    assert B.box_iou(glassnet.tensor(x), glassnet.tensor(x)).dtype == glassnet.float32
    ints = glassnet.tensor([[0, 0, 2, 2], [1, 1, 3, 3]])
    np.testing.assert_allclose(B.box_iou(ints, ints).numpy()[0, 1], 1 / 7, rtol=1e-6)


def test_bad_shape_names_the_op():
    with pytest.raises(glassnet.errors.ShapeError, match="box_iou: boxes must have shape"):
        B.box_iou([0, 0, 1, 1], [[0, 0, 1, 1]])


def reference_nms(boxes, scores, thr):
    """Brute force straight from the definition: a box is kept unless some kept box ranked
    before it (higher score, or equal score and lower index) overlaps it by more than thr."""
    n = len(boxes)
    rank = sorted(range(n), key=lambda i: (-scores[i], i))
    kept = []
    for i in rank:
        overlaps = []
        for j in kept:
            x1, y1 = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            x2, y2 = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
            overlaps.append(inter / (area(boxes[i]) + area(boxes[j]) - inter))
        if all(o <= thr for o in overlaps):
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("thr", [0.3, 0.5, 0.7])
def test_nms_matches_brute_force(seed, thr):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(30, seed, scale=6.0)
    scores = rng.integers(0, 6, size=30).astype(np.float64)  # many ties on purpose
    got = B.nms(glassnet.tensor(boxes), glassnet.tensor(scores), thr)
    assert got.dtype == glassnet.int64
    assert got.numpy().tolist() == reference_nms(boxes.tolist(), scores.tolist(), thr)


def test_nms_iou_exactly_at_threshold_keeps_the_box():
    # IoU of [0,0,2,2] and [1,0,3,2] is 2 / 6 = 1/3, exactly representable against 1/3 computed
    # the same way; a box at the threshold is kept, just above it is dropped.
    boxes = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]])
    thr = 2.0 / 6.0
    assert B.nms(boxes, [0.9, 0.8], thr).tolist() == [0, 1]
    assert B.nms(boxes, [0.9, 0.8], np.nextafter(thr, 0)).tolist() == [0]
    # IoU 0.5 exactly: [0,0,4,2] and [0,0,4,1] -> 4 / 8.
    half = np.array([[0.0, 0.0, 4.0, 2.0], [0.0, 0.0, 4.0, 1.0]])
    assert B.nms(half, [0.1, 0.2], 0.5).tolist() == [1, 0]
    assert B.nms(half, [0.1, 0.2], 0.49).tolist() == [1]


def test_nms_ties_keep_the_lower_index():
    same = np.array([[0.0, 0.0, 1.0, 1.0]] * 3)
    assert B.nms(same, [0.5, 0.5, 0.5], 0.5).tolist() == [0]
    assert B.nms(same, [0.4, 0.5, 0.5], 0.5).tolist() == [1]


def test_nms_empty_input():
    got = B.nms(glassnet.zeros(0, 4), glassnet.zeros(0), 0.5)
    assert got.shape == (0,) and got.dtype == glassnet.int64
    got = B.batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64), 0.5)
    assert got.shape == (0,)


@pytest.mark.parametrize("seed", range(4))
def test_batched_nms_is_nms_per_class(seed):
    rng = np.random.default_rng(seed + 100)
    boxes = random_boxes(40, seed, scale=6.0)
    scores = rng.integers(0, 5, size=40).astype(np.float64)
    idxs = rng.integers(0, 3, size=40)
    got = B.batched_nms(glassnet.tensor(boxes), glassnet.tensor(scores), glassnet.tensor(idxs), 0.5)
    want = []
    for c in range(3):
        members = np.flatnonzero(idxs == c)
        keep = reference_nms(boxes[members].tolist(), scores[members].tolist(), 0.5)
        want += members[keep].tolist()
    want.sort(key=lambda i: (-scores[i], i))
    assert got.numpy().tolist() == want


def test_metric_scores_empty_boxes_zero_where_the_op_says_nan():
    empty = [[1.0, 1.0, 1.0, 1.0]]
    assert np.isnan(B.box_iou(empty, empty)[0, 0])  # torchvision's 0/0 as well
    assert torchvision.ops.box_iou(torch.tensor(empty), torch.tensor(empty)).isnan().all()
    assert metrics.box_iou(empty, empty)[0, 0] == 0.0
