"""DatasetBundle: what ``glassnet.datasets.load`` returns, and the seeded train/test split.

A bundle holds NumPy arrays (``x_train``, ``y_train``, ``x_test``, ``y_test``) and hands them out
as ``TensorDataset``s of glassnet tensors (``.train``, ``.test``; no copy on the CPU), with what
is known about them: a description, the task, the number of classes and the feature names.

>>> import numpy as np, glassnet
>>> b = from_arrays(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10) % 2,
...                 test_size=0.2, seed=0)
>>> len(b.train), len(b.test), b.task, b.num_classes
(8, 2, 'classification', 2)
>>> x, y = b.train[0]
>>> x.shape, y.dtype == glassnet.int64
(glassnet.Size([2]), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from glassnet.creation import from_numpy
from glassnet.data.dataset import TensorDataset


@dataclass
class DatasetBundle:
    """Train and test arrays plus what is known about them (see the module docstring).

    ``task`` is ``'classification'``, ``'regression'`` or ``'sequence'``; ``num_classes`` is set
    for classification (and is the vocabulary size for token sequences). ``extra`` holds
    anything particular to one data set (a vocabulary, the raw text).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    description: str = ""
    num_classes: int | None = None
    feature_names: list | None = None
    class_names: list | None = None
    extra: dict = field(default_factory=dict)

    @property
    def train(self) -> TensorDataset:
        """The training part as a TensorDataset of (input, target) tensors."""
        return TensorDataset(from_numpy(self.x_train), from_numpy(self.y_train))

    @property
    def test(self) -> TensorDataset | None:
        """The test part as a TensorDataset, or None when there is no test part."""
        if self.x_test is None:
            return None
        return TensorDataset(from_numpy(self.x_test), from_numpy(self.y_test))

    @property
    def input_shape(self) -> tuple:
        """The shape of one input sample."""
        return tuple(self.x_train.shape[1:])

    def __getattr__(self, name):
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(f"DatasetBundle {self.__dict__.get('name')!r} has no {name!r}")

    def __repr__(self):
        n_test = 0 if self.x_test is None else len(self.x_test)
        classes = f", num_classes={self.num_classes}" if self.num_classes is not None else ""
        return (
            f"DatasetBundle({self.name!r}, task={self.task!r}, train={len(self.x_train)}, "
            f"test={n_test}, input_shape={self.input_shape}{classes})"
        )


def split_indices(n: int, test_size: float, seed: int, labels=None):
    """``(train_idx, test_idx)``: a seeded shuffle of ``range(n)`` cut at ``test_size`` (a
    fraction or a count, rounded up). With ``labels`` the cut is stratified, keeping class
    proportions. Both parts come out shuffled, so data stored sorted by class is mixed.

    >>> tr, te = split_indices(10, 0.3, seed=0)
    >>> len(tr), len(te), sorted(set(tr) | set(te)) == list(range(10))
    (7, 3, True)
    """
    if isinstance(test_size, float):
        if not 0.0 <= test_size < 1.0:
            raise ValueError(f"test_size must be a fraction in [0, 1) or a count; got {test_size}")
        n_test = math.ceil(n * test_size - 1e-9)  # rounded up, as scikit-learn does
    else:
        n_test = int(test_size)
    if not 0 <= n_test < max(n, 1):
        raise ValueError(f"test_size={test_size} leaves no training samples out of {n}")
    rng = np.random.default_rng(seed)
    if labels is None or n_test == 0:
        order = rng.permutation(n)
        return order[n_test:], order[:n_test]
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    # Largest-remainder rounding hands out exactly n_test places in proportion to class size.
    share = counts * n_test / n
    take = np.floor(share).astype(np.int64)
    for i in np.argsort(-(share - take), kind="stable")[: n_test - take.sum()]:
        take[i] += 1
    test = []
    for c, k in zip(classes, take):
        members = np.flatnonzero(labels == c)
        test.append(rng.permutation(members)[:k])
    test = np.concatenate(test)
    mask = np.ones(n, dtype=bool)
    mask[test] = False
    return rng.permutation(np.flatnonzero(mask)), rng.permutation(test)


def infer_task(y: np.ndarray) -> str:
    """'classification' for integer targets, 'regression' for floating ones."""
    return "classification" if np.asarray(y).dtype.kind in "iub" else "regression"


def from_arrays(
    x,
    y,
    test_size=0.2,
    seed=0,
    name="arrays",
    task=None,
    description="",
    feature_names=None,
    class_names=None,
    stratify=None,
    extra=None,
) -> DatasetBundle:
    """A bundle from inputs ``x`` and targets ``y``, split into train and test with a fixed
    seed (stratified by class for classification unless ``stratify=False``).

    >>> b = from_arrays(np.zeros((5, 3), np.float32), np.zeros(5), test_size=0.0)
    >>> b.task, b.test is None
    ('regression', True)
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"{name}: x has {len(x)} samples but y has {len(y)}; they must match")
    task = task or infer_task(y)
    if task == "classification":
        y = y.astype(np.int64, copy=False)
    num_classes = int(y.max()) + 1 if task == "classification" and y.size else None
    if stratify is None:
        stratify = task == "classification"
    train, test = split_indices(len(x), test_size, seed, y if stratify else None)
    has_test = len(test) > 0
    return DatasetBundle(
        name=name,
        x_train=x[train],
        y_train=y[train],
        x_test=x[test] if has_test else None,
        y_test=y[test] if has_test else None,
        task=task,
        description=description,
        num_classes=num_classes,
        feature_names=list(feature_names) if feature_names is not None else None,
        class_names=list(class_names) if class_names is not None else None,
        extra=dict(extra or {}),
    )


def standardize(bundle: DatasetBundle) -> DatasetBundle:
    """Scale every input feature to mean 0 and std 1 using the training part's statistics
    (the test part uses the same numbers, so nothing leaks from it). Returns the bundle.

    >>> b = standardize(from_arrays(np.array([[0.0], [2.0], [4.0]]), [0, 1, 0], test_size=0.0))
    >>> sorted(b.x_train.ravel().round(4).tolist())
    [-1.2247, 0.0, 1.2247]
    """
    mean = bundle.x_train.mean(axis=0)
    std = bundle.x_train.std(axis=0)
    std = np.where(std > 0, std, 1).astype(bundle.x_train.dtype)
    bundle.x_train = (bundle.x_train - mean) / std
    if bundle.x_test is not None:
        bundle.x_test = (bundle.x_test - mean) / std
    bundle.extra["mean"], bundle.extra["std"] = mean, std
    return bundle
