"""Metric: a score that accumulates over batches, plus the input helpers every metric shares.

A metric object keeps running sums, so the score over an epoch computed batch by batch equals the
score computed on all of the data at once (not a mean of per-batch scores).

>>> import glassnet
>>> from glassnet.train.metrics import Accuracy
>>> m = Accuracy()
>>> m.update(glassnet.tensor([[0.1, 0.9], [0.8, 0.2]]), glassnet.tensor([1, 1]))
>>> m.update(glassnet.tensor([[0.3, 0.7]]), glassnet.tensor([1]))
>>> m.compute()
0.6666666666666666
>>> m.reset(); m.count
0
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.errors import ShapeError
from glassnet.tensor import Tensor


class Metric:
    """Base class: define ``update(preds, targets)``, ``compute()`` and ``reset()``.

    ``name`` is the key the Trainer logs the score under (``'accuracy'``, ``'val_accuracy'``).
    Calling the metric updates it with one batch and returns that batch's score alone.

    >>> class Count(Metric):
    ...     name = "count"
    ...     def reset(self): self.n = 0
    ...     def update(self, preds, targets): self.n += len(targets)
    ...     def compute(self): return self.n
    >>> c = Count(); c.update([1, 2], [1, 2]); c.compute()
    2
    """

    name = "metric"

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        raise NotImplementedError(f"{type(self).__name__} must define reset()")

    def update(self, preds, targets) -> None:
        """Add one batch of predictions and targets to the running state."""
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    def compute(self):
        """The score over everything seen since the last ``reset()``."""
        raise NotImplementedError(f"{type(self).__name__} must define compute()")

    def __call__(self, preds, targets):
        """Update with one batch and return the score of that batch alone."""
        batch = type(self).__new__(type(self))
        batch.__dict__.update(self.__dict__)
        batch.reset()
        batch.update(preds, targets)
        self.update(preds, targets)
        return batch.compute()

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def to_numpy(x) -> np.ndarray:
    """A Tensor (gradient or not), CuPy array, NumPy array or list as a NumPy array."""
    if isinstance(x, Tensor):
        return backend.to_numpy(x._data)
    if isinstance(x, np.ndarray):
        return x
    return backend.to_numpy(x) if backend.is_cuda_array(x) else np.asarray(x)


def class_dim(metric: str, preds: np.ndarray, targets: np.ndarray) -> int | None:
    """The axis of ``preds`` that holds class scores, or None when preds are labels already.

    ``(N, C)`` or ``(N, T, C)`` scores with ``(N,)``/``(N, T)`` targets use the last axis;
    ``(N, C, H, W)`` scores with ``(N, H, W)`` label maps use axis 1 (PyTorch's layout).
    """
    if preds.ndim == targets.ndim:
        if preds.shape != targets.shape:
            raise ShapeError(
                f"{metric}: predictions of shape {preds.shape} do not match targets of shape "
                f"{targets.shape}; pass labels of the same shape or scores with one extra "
                "class dimension"
            )
        return None
    if preds.ndim == targets.ndim + 1:
        if preds.shape[:-1] == targets.shape:
            return preds.ndim - 1
        if preds.shape[:1] + preds.shape[2:] == targets.shape:
            return 1
    raise ShapeError(
        f"{metric}: predictions of shape {preds.shape} do not fit targets of shape "
        f"{targets.shape}; expected scores of shape {targets.shape + ('C',)} (class last) or "
        "(N, C, ...) with the class dimension second, or labels of the target's shape"
    )


def _position(mask: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"index {index[0]}" if len(index) == 1 else f"position {index}"


def class_targets(metric: str, targets) -> np.ndarray:
    """Class targets as an int64 NumPy array of their shape; floats are accepted only when they
    are whole numbers (0.0, 1.0), so that 1.5 is never silently read as class 1.

    >>> class_targets("accuracy", [0.0, 2.0]).tolist()
    [0, 2]
    >>> class_targets("accuracy", [0.0, 1.5])
    Traceback (most recent call last):
        ...
    ValueError: accuracy: class targets must be whole-number labels, but 1 of 2 is not (1.5 at ...
    """
    t = to_numpy(targets)
    if t.dtype.kind == "f":
        bad = ~np.isfinite(t)
        if bad.any():
            raise ValueError(
                f"{metric}: the targets hold {int(bad.sum())} NaN/inf value(s) (the first at "
                f"{_position(bad)}); class targets must be finite integer labels. Drop or fix "
                "those rows of the data."
            )
        fractional = t != np.floor(t)
        if fractional.any():
            first = t[tuple(np.argwhere(fractional)[0])]
            raise ValueError(
                f"{metric}: class targets must be whole-number labels, but "
                f"{int(fractional.sum())} of {t.size} is not ({first:g} at "
                f"{_position(fractional)}). Labels stored as floats convert with "
                "targets.long(); soft (probability) targets need a regression score such as "
                "mse, or their argmax as the label."
            )
    return t.astype(np.int64, copy=False)


def labels_from(metric: str, preds, targets, threshold: float = 0.5):
    """``(predicted labels, target labels, finite)``: flat int64 NumPy arrays, and whether the
    predictions were all finite (when not, the labels mean nothing and the score is NaN: the
    argmax of a NaN row must not count as a prediction of class 0).

    Scores are reduced with argmax over the class axis. Floating predictions of the targets'
    shape are binary: probabilities are compared with ``threshold``; values outside [0, 1] are
    taken as logits (compared with the logit of ``threshold``). Targets must be whole numbers
    (``class_targets``).
    """
    p, t = to_numpy(preds), class_targets(metric, targets)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1 and p.shape[:-1] == t.shape:
        p = p[..., 0]  # (N, 1) binary scores against (N,) targets
    dim = class_dim(metric, p, t)
    finite = p.dtype.kind != "f" or bool(np.isfinite(p).all())
    if dim is not None:
        p = p.argmax(axis=dim)
    elif p.dtype.kind == "f":
        if p.size and finite and (p.min() < 0 or p.max() > 1):
            p = p > np.log(threshold / (1 - threshold))
        else:
            p = p >= threshold
    return p.reshape(-1).astype(np.int64, copy=False), t.reshape(-1), finite


def check_same_length(metric: str, a, b) -> None:
    """Raise a ShapeError naming ``metric`` when two sequences differ in length."""
    if len(a) != len(b):
        raise ShapeError(
            f"{metric}: got {len(a)} predictions but {len(b)} targets; pass one target per "
            "prediction"
        )
