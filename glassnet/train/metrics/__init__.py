"""glassnet.train.metrics: scores for judging a model, as functions and as running metrics.

Functions (``accuracy(preds, targets)``, ``f1``, ``mae``, ``bleu`` ...) score one set of
predictions and return a Python float (a NumPy array for matrices). Metric objects
(``Accuracy()``, ``F1()`` ...) accumulate over batches with ``update(preds, targets)``, give the
score with ``compute()`` and start again with ``reset()``; ``get(name)`` makes one from a name,
which is what ``Trainer(metrics=('accuracy',))`` does.

>>> import glassnet
>>> from glassnet.train import metrics
>>> m = metrics.get("accuracy")
>>> m.update(glassnet.tensor([[0.2, 0.8], [0.9, 0.1]]), glassnet.tensor([1, 1]))
>>> m.name, m.compute()
('accuracy', 0.5)
>>> sorted(metrics.available())[:4]
['acc', 'accuracy', 'bleu', 'confusion_matrix']
"""

from __future__ import annotations

from functools import partial

from glassnet.train.metrics.base import Metric
from glassnet.train.metrics.classification import (
    Accuracy,
    ConfusionMatrix,
    TopKAccuracy,
    accuracy,
    confusion_matrix,
    top_k_accuracy,
)
from glassnet.train.metrics.detection import (
    MeanAveragePrecision,
    average_precision_per_class,
    mean_average_precision,
    mean_box_iou,
)
from glassnet.train.metrics.precision_recall import F1, Precision, Recall, f1, precision, recall
from glassnet.train.metrics.regression import MAE, MSE, R2, RMSE, mae, mse, r2, rmse
from glassnet.train.metrics.segmentation import (
    Dice,
    MeanIoU,
    box_iou,
    dice,
    iou,
    mask_iou,
    mean_iou,
)
from glassnet.train.metrics.text import BLEU, ROUGE, Perplexity, bleu, perplexity, rouge

_REGISTRY = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "top_k_accuracy": TopKAccuracy,
    "top5_accuracy": partial(TopKAccuracy, k=5),
    "top3_accuracy": partial(TopKAccuracy, k=3),
    "precision": Precision,
    "recall": Recall,
    "f1": F1,
    "confusion_matrix": ConfusionMatrix,
    "mae": MAE,
    "mse": MSE,
    "rmse": RMSE,
    "r2": R2,
    "bleu": BLEU,
    "rouge1": partial(ROUGE, "rouge1"),
    "rouge2": partial(ROUGE, "rouge2"),
    "rougeL": partial(ROUGE, "rougeL"),
    "perplexity": Perplexity,
    "mean_iou": MeanIoU,
    "iou": MeanIoU,
    "dice": Dice,
    "map50": MeanAveragePrecision,
}


def available() -> list[str]:
    """The names ``get`` understands.

    >>> "f1" in available()
    True
    """
    return list(_REGISTRY)


def get(name, **kwargs) -> Metric:
    """A new metric object for ``name`` (keyword arguments go to its constructor). A Metric
    passed in is returned as it is.

    >>> get("f1", average="micro").name
    'f1'
    >>> get("top_k_accuracy", k=3).name
    'top3_accuracy'
    """
    if isinstance(name, Metric):
        return name
    key = name if name in _REGISTRY else str(name).lower()
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown metric {name!r}; known metrics: {', '.join(sorted(_REGISTRY))}. For "
            "something else, pass a Metric object (subclass glassnet.train.metrics.Metric)."
        )
    return _REGISTRY[key](**kwargs)


__all__ = [
    "Metric",
    "get",
    "available",
    "accuracy",
    "top_k_accuracy",
    "confusion_matrix",
    "precision",
    "recall",
    "f1",
    "mae",
    "mse",
    "rmse",
    "r2",
    "bleu",
    "rouge",
    "perplexity",
    "box_iou",
    "mask_iou",
    "mean_iou",
    "iou",
    "Accuracy",
    "TopKAccuracy",
    "ConfusionMatrix",
    "Precision",
    "Recall",
    "F1",
    "MAE",
    "MSE",
    "RMSE",
    "R2",
    "BLEU",
    "ROUGE",
    "Perplexity",
    "MeanIoU",
    "dice",
    "Dice",
    "mean_average_precision",
    "average_precision_per_class",
    "mean_box_iou",
    "MeanAveragePrecision",
]
