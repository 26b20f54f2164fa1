"""Permutation feature importance (Breiman 2001): how much a score drops when one feature's
column is shuffled, breaking its link with the target. Seeds follow scikit-learn's
``permutation_importance``, so the same ``random_state`` shuffles the same way.

>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(200, 3)); y = 3 * x[:, 0]
>>> r = permutation_importance(lambda a: 3 * a[:, 0], x, y, scoring="r2", n_repeats=3)
>>> int(np.argmax(r["importances_mean"])), float(r["importances_mean"][1])
(0, 0.0)
"""

from __future__ import annotations

import numpy as np


def _scorer(scoring):
    if callable(scoring):
        return scoring
    if scoring == "accuracy":
        return lambda y, p: float(np.mean(np.asarray(y) == np.asarray(p)))
    if scoring == "r2":

        def r2(y, p):
            y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
            return float(1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum())

        return r2
    if scoring == "neg_mean_squared_error":
        return lambda y, p: -float(np.mean((np.asarray(y) - np.asarray(p)) ** 2))
    raise ValueError(
        f"permutation_importance: unknown scoring {scoring!r}; use 'accuracy', 'r2', "
        "'neg_mean_squared_error' or a function score(y_true, y_pred)"
    )


def predictor(model, classify=True, batch_size=1024):
    """``predict(x_array)`` for a glassnet model: class indices (``classify``) or values."""
    import glassnet
    from glassnet.backend import to_numpy

    def predict(a):
        model.eval()
        outs = []
        with glassnet.no_grad():
            for i in range(0, len(a), batch_size):
                out = to_numpy(
                    model(
                        glassnet.tensor(np.asarray(a[i : i + batch_size], dtype=np.float32))
                    )._data
                )
                outs.append(out)
        out = np.concatenate(outs)
        if classify:
            return out.argmax(1) if out.ndim == 2 and out.shape[1] > 1 else (out.reshape(-1) > 0)
        return out.reshape(len(a), -1).squeeze(-1) if out.ndim == 2 and out.shape[1] == 1 else out

    return predict


def permutation_importance(predict, x, y, scoring="accuracy", n_repeats=5, random_state=0):
    """``{'importances_mean', 'importances_std', 'importances' (features x repeats)}``:
    ``score(y, predict(x))`` minus the score with one column shuffled, per feature and repeat.
    ``predict``: a function of a NumPy array (``predictor(model)`` makes one for a glassnet
    model)."""
    score = _scorer(scoring)
    x = np.asarray(x)
    base = score(y, predict(x))
    top = np.random.RandomState(random_state)
    seed = top.randint(np.iinfo(np.int32).max + 1)  # one seed, reused for every column
    out = np.zeros((x.shape[1], n_repeats))
    for col in range(x.shape[1]):
        rng = np.random.RandomState(seed)
        order = np.arange(len(x))
        shuffled = x.copy()
        for r in range(n_repeats):
            rng.shuffle(order)
            shuffled[:, col] = shuffled[order, col]  # as scikit-learn: shuffles compound
            out[col, r] = base - score(y, predict(shuffled))
    return {
        "importances_mean": out.mean(1),
        "importances_std": out.std(1),
        "importances": out,
    }
