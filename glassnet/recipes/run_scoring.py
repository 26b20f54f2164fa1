"""Scoring a run's predictions: the test loss and the recipe's metrics in target units, and the
confusion matrix for classifiers. Shared by training (the test split, once) and by a loaded
run's ``evaluate``.

>>> import numpy as np
>>> predicted_labels("binary", np.array([[0.2], [0.7]]))
array([0, 1])
"""

from __future__ import annotations

import numpy as np

import glassnet

__all__ = []


def test_metrics(recipe, pre, model, trainer, data):
    """The test loss and the recipe's metrics in target units (unscaled for regression), and
    the confusion matrix for classifiers."""
    loss = trainer.evaluate(data.test)["loss"]
    preds = pre.outputs(trainer.predict(data.test))
    return score(recipe, pre, preds, data.y_test, loss)


def score(recipe, pre, preds, y, loss=None):
    """``(metrics, confusion)`` of predictions ``preds`` (probabilities or values, as
    ``Preprocessing.outputs`` gives) against raw targets ``y``."""
    from glassnet.train import metrics as registry

    metrics = {} if loss is None else {"loss": float(loss)}
    if recipe.task == "classification":
        targets = np.asarray(y).astype(np.int64).reshape(-1)
    else:
        targets = np.asarray(y, dtype=np.float64).reshape(preds.shape)
    for name in recipe.metrics:
        m = registry.get(name)
        m.update(glassnet.from_numpy(preds), glassnet.from_numpy(targets))
        metrics[m.name] = float(m.compute())
    confusion = None
    if recipe.is_classifier:
        labels = predicted_labels(recipe.task, preds)
        k = preds.shape[1] if recipe.task == "classification" else 2
        t = targets.astype(np.int64).reshape(-1)
        confusion = np.bincount(t * k + labels, minlength=k * k).reshape(k, k)
    return metrics, confusion


def predicted_labels(task, probs):
    """Class indices from class probabilities (or one binary probability, cut at 0.5)."""
    if task == "binary":
        return (probs.reshape(-1) >= 0.5).astype(np.int64)
    return probs.argmax(axis=1)
