"""Dice (glassnet.train.metrics.dice / Dice): against a value computed by hand and against
scikit-learn's f1_score on the flattened masks (binary Dice is exactly F1 of the pixels)."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

import glassnet
from glassnet.train import metrics


def test_dice_by_hand():
    pred = np.array([[1, 1, 0], [0, 1, 0]])
    true = np.array([[1, 0, 0], [1, 1, 1]])
    # |A ∩ B| = 2 (two shared ones), |A| = 3, |B| = 4: 2 * 2 / 7.
    assert metrics.dice(pred, true, average="binary") == pytest.approx(4 / 7, rel=1e-15)
    # Background: shared zeros 1 (position [0, 2]), |A0| = 3, |B0| = 2: 2 / 5. Mean of both.
    assert metrics.dice(pred, true) == pytest.approx((4 / 7 + 2 / 5) / 2, rel=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_binary_dice_is_f1_of_pixels(seed):
    rng = np.random.default_rng(seed)
    true = rng.random((4, 16, 16)) < 0.3
    prob = np.clip(true * 0.6 + rng.random(true.shape) * 0.6, 0, 1)  # imperfect predictions
    want = f1_score(true.ravel(), (prob >= 0.5).ravel())
    got = metrics.dice(
        glassnet.tensor(prob), glassnet.tensor(true.astype(np.int64)), average="binary"
    )
    assert got == pytest.approx(want, rel=1e-12)  # two float64 divisions of the same counts


@pytest.mark.parametrize("seed", range(3))
def test_multiclass_dice_is_macro_f1_of_pixels(seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 4, size=(3, 12, 12))
    scores = rng.normal(size=(3, 4, 12, 12)) + 2.0 * np.eye(4)[true].transpose(0, 3, 1, 2)
    pred = scores.argmax(1)
    per_class = f1_score(true.ravel(), pred.ravel(), average=None, labels=[0, 1, 2, 3])
    np.testing.assert_allclose(metrics.dice(scores, true, average=None), per_class, rtol=1e-12)
    assert metrics.dice(glassnet.tensor(scores), glassnet.tensor(true)) == pytest.approx(
        f1_score(true.ravel(), pred.ravel(), average="macro"), rel=1e-12
    )
    # The running metric over batches equals the score of everything at once.
    m = metrics.get("dice")
    for i in range(3):
        m.update(scores[i : i + 1], true[i : i + 1])
    assert m.compute() == pytest.approx(metrics.dice(scores, true), rel=1e-12)


def test_dice_and_iou_agree_on_their_relation():
    # Per class Dice = 2 IoU / (1 + IoU): an independent identity between the two metrics.
    rng = np.random.default_rng(5)
    true, pred = rng.integers(0, 3, size=200), rng.integers(0, 3, size=200)
    iou = metrics.mean_iou(pred, true, per_class=True)
    np.testing.assert_allclose(metrics.dice(pred, true, average=None), 2 * iou / (1 + iou))


def test_dice_edge_cases():
    # Empty foreground in both masks: nothing to find and nothing wrongly found.
    assert metrics.dice([0, 0], [0, 0], average="binary") == 1.0
    assert np.isnan(metrics.dice([float("nan"), 0.2], [1, 0], average="binary"))
    assert metrics.dice([0, 1, 1], [0, 1, 2], ignore_index=2, average="binary") == 1.0
    with pytest.raises(ValueError, match="average must be one of"):
        metrics.Dice(average="micro")


def test_trainer_logs_dice_batch_by_batch_as_one_score_of_all_pixels():
    from glassnet.data import DataLoader, TensorDataset
    from glassnet.datasets import shapes_masks
    from glassnet.models.vision.unet import UNet
    from glassnet.train import Trainer

    glassnet.manual_seed(0)
    x, y = shapes_masks(12, size=16, seed=0)
    data = DataLoader(TensorDataset(glassnet.tensor(x), glassnet.tensor(y)), batch_size=5)
    model = UNet(3, 4, base_channels=4, depth=1)
    opt = glassnet.optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(model, "cross_entropy", opt, metrics=("dice", "mean_iou"), progress=False)
    trainer.fit(data, epochs=1)
    scores = trainer.evaluate(data)  # three batches of 5, 5 and 2 pictures
    model.eval()
    with glassnet.no_grad():  # the same batches as evaluate, so the very same float32 logits
        logits = np.concatenate([model(xb).numpy() for xb, _ in data])
    # counted batch by batch or all at once: the same integer counts, the same score
    assert scores["dice"] == pytest.approx(metrics.dice(logits, y), rel=1e-12)
    assert scores["mean_iou"] == pytest.approx(metrics.mean_iou(logits, y), rel=1e-12)
