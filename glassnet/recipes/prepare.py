"""From a recipe's data set to DataLoaders: load, split off validation data, fit the scalers on
the training split only, shape the inputs for the model.

``Preprocessing`` holds everything that turns raw inputs into model inputs (and model outputs
back into target units) as JSON, so ``glassnet predict`` applies exactly what training applied.

>>> import numpy as np
>>> p = Preprocessing(task="regression", input_shape=[2], scale_inputs=True)
>>> p.fit(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[1.0], [3.0]]))
>>> p.inputs(np.array([[2.0, 1.0]])).tolist()
[[1.0, -1.0]]
>>> Preprocessing.from_state_dict(p.state_dict()).inputs(np.array([[0.0, 3.0]])).tolist()
[[-1.0, 1.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from glassnet import data as gdata
from glassnet.backend import to_numpy
from glassnet.errors import ShapeError
from glassnet.recipes import schema
from glassnet.recipes.recipe import Recipe

FILE_DATASET = "file"  # a recipe whose data is your own file: dataset_options['path']


@dataclass
class Preprocessing:
    """How raw samples become model inputs: reshape to ``input_shape`` (flattening images for an
    MLP, adding a feature axis to 1-D windows), then standardise with scalers fitted on the
    training split. ``class_names`` label the outputs of classifiers."""

    task: str
    input_shape: list
    scale_inputs: bool = False
    scale_targets: bool = False
    class_names: list | None = None
    feature_names: list | None = None
    input_scaler: dict | None = None
    target_scaler: dict | None = None
    # How raw files become arrays for --data runs (glassnet.recipes.owndata): the fitted
    # table preprocessing, the image size and normalisation, or the tokenizer.
    source: dict | None = None
    input_dtype: str = "float32"
    _scalers: dict = field(default_factory=dict, repr=False, compare=False)

    def fit(self, x, y) -> None:
        """Fit the scalers on the training inputs ``x`` and targets ``y`` (NumPy arrays)."""
        if self.scale_inputs:
            s = gdata.StandardScaler().fit(self._reshape(x).reshape(len(x), -1))
            self.input_scaler = s.state_dict()
        if self.scale_targets:
            self.target_scaler = gdata.StandardScaler().fit(_column(y)).state_dict()
        self._scalers = {}

    def _scaler(self, key):
        state = getattr(self, key)
        if state is None:
            return None
        if key not in self._scalers:
            self._scalers[key] = gdata.StandardScaler().load_state_dict(state)
        return self._scalers[key]

    def _reshape(self, x):
        x = np.asarray(x, dtype=self.input_dtype)
        shape = tuple(self.input_shape)
        if x.shape[1:] == shape:
            return x
        if math.prod(x.shape[1:]) != math.prod(shape):
            raise ShapeError(
                f"glassnet: the model expects samples of shape {shape} "
                f"({math.prod(shape)} values each), got data of shape {tuple(x.shape)}; give "
                f"one sample per row with {math.prod(shape)} values"
            )
        return x.reshape((len(x), *shape))

    def inputs(self, x) -> np.ndarray:
        """Raw inputs (n, ...) -> model inputs (n, *input_shape): float32, or int64 token ids."""
        x = self._reshape(x)
        scaler = self._scaler("input_scaler")
        if scaler is not None:
            x = scaler.transform(x.reshape(len(x), -1)).reshape(x.shape)
        return np.ascontiguousarray(x, dtype=self.input_dtype)

    def targets(self, y) -> np.ndarray:
        """Raw targets -> what the loss compares with (class indices or scaled values)."""
        if self.task == "classification":
            return np.asarray(y).astype(np.int64).reshape(-1)
        y = _column(y).astype(np.float32)
        scaler = self._scaler("target_scaler")
        return y if scaler is None else scaler.transform(y).astype(np.float32)

    def outputs(self, outputs) -> np.ndarray:
        """Model outputs -> predictions in target units: class probabilities for classifiers
        (softmax, or sigmoid for one binary logit), unscaled values for regression."""
        out = to_numpy(outputs._data if hasattr(outputs, "_data") else outputs)
        out = out.astype(np.float64)
        if self.task == "classification":
            z = np.exp(out - out.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True)
        if self.task == "binary":
            return 1.0 / (1.0 + np.exp(-out))
        scaler = self._scaler("target_scaler")
        return out if scaler is None else scaler.inverse_transform(out)

    def model_options(self) -> dict:
        """Model options the data decides (the vocabulary size of a text model)."""
        if self.source and "vocab_size" in self.source:
            return {"vocab_size": int(self.source["vocab_size"])}
        if self.source and "cardinalities" in self.source:
            return {"cardinalities": list(self.source["cardinalities"])}
        return {}

    def state_dict(self) -> dict:
        """JSON-ready settings and fitted statistics."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if not k.startswith("_")}

    @classmethod
    def from_state_dict(cls, state: dict) -> Preprocessing:
        return cls(**state)


def _column(y):
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), -1)


@dataclass
class PreparedData:
    """The loaders a run trains and evaluates on, and the arrays behind the test loader."""

    train: object
    val: object
    test: object
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessing: Preprocessing
    num_outputs: int
    description: str = ""
    sizes: dict = field(default_factory=dict)
    write_extras: object = None  # called with the run folder: the data report's files


def split_arrays(split):
    """``(x, y)`` NumPy arrays from a TensorDataset, a Subset of one, or an (x, y) pair."""
    tensors = getattr(split, "tensors", None)
    if tensors is None and isinstance(split, gdata.Subset):
        x, y = split_arrays(split.dataset)
        idx = np.asarray(split.indices)
        return x[idx], y[idx]
    if tensors is None and isinstance(split, (tuple, list)) and len(split) == 2:
        tensors = split
    if tensors is None or len(tensors) != 2:
        raise TypeError(
            f"glassnet.recipes: a data split must be (inputs, targets); got {type(split).__name__}"
        )
    return tuple(to_numpy(t._data if hasattr(t, "_data") else np.asarray(t)) for t in tensors)


def _part(bundle, which):
    """``(x, y)`` of the bundle's ``which`` part, or None when it has none."""
    x = getattr(bundle, f"x_{which}", None)
    if x is not None:
        return np.asarray(x), np.asarray(getattr(bundle, f"y_{which}"))
    split = getattr(bundle, which, None)
    return None if split is None else split_arrays(split)


def sample_shape(recipe: Recipe, x: np.ndarray) -> list:
    """The shape of one model input: flattened for ``flatten``, (steps, 1) for 1-D windows."""
    shape = list(x.shape[1:])
    if recipe.flatten:
        return [math.prod(shape)]
    if recipe.task == "forecasting" and len(shape) == 1:
        return [shape[0], 1]
    return shape


def num_outputs(task: str, y: np.ndarray, num_classes=None) -> int:
    if task == "classification":
        return int(num_classes or int(np.max(y)) + 1)
    if task == "binary":
        return 1
    return int(_column(y).shape[1])


def load_data(name: str, options: dict):
    """The dataset bundle from glassnet.datasets."""
    from glassnet import datasets

    return datasets.load(name, **(options or {}))


def prepare(
    recipe: Recipe,
    batch_size: int | None = None,
    seed: int | None = None,
    *,
    source: str | None = None,
    warn: bool = True,
) -> PreparedData:
    """Load ``recipe``'s data, split validation off the training part (stratified for
    classifiers), fit the preprocessing on the rest, and wrap each split in a DataLoader.
    The recipe is checked against the data first (schema.check_against_data); ``source``
    names the recipe in those errors, ``warn=False`` keeps its warnings quiet."""
    seed = recipe.seed if seed is None else seed
    batch_size = batch_size or recipe.batch_size
    if recipe.dataset == FILE_DATASET:
        from glassnet.recipes.owndata import prepare_file

        return prepare_file(recipe, batch_size, seed, warn=warn)
    bundle = load_data(recipe.dataset, recipe.dataset_options)
    x, y = _part(bundle, "train")
    if _part(bundle, "test") is None:
        # A data set without its own test part: hold out a fixed fifth of it.
        stratify = y if recipe.is_classifier else None
        x, _, x_test, y, _, y_test = gdata.train_val_test_split(
            x, y, val_size=0, test_size=0.2, stratify=stratify, seed=seed
        )
    else:
        x_test, y_test = _part(bundle, "test")
    x_val = y_val = None
    if recipe.val_fraction > 0:
        stratify = y if recipe.is_classifier else None
        x, x_val, _, y, y_val, _ = gdata.train_val_test_split(
            x, y, val_size=recipe.val_fraction, test_size=0, stratify=stratify, seed=seed
        )
    targets = [np.asarray(t).reshape(-1) for t in (y, y_val, y_test) if t is not None]
    schema.check_against_data(
        recipe,
        np.concatenate(targets),
        len(x),
        sample_shape(recipe, x),
        source or f"recipe {recipe.name!r}",
        warn=warn,
    )
    pre = Preprocessing(
        task=recipe.task,
        input_shape=sample_shape(recipe, x),
        scale_inputs=recipe.scale_inputs,
        scale_targets=recipe.scale_targets,
        class_names=_class_names(bundle, recipe.task),
        feature_names=_list_or_none(getattr(bundle, "feature_names", None)),
    )
    pre.fit(x, y)

    def loader(xs, ys, shuffle, augment=None):
        ds = gdata.TensorDataset(pre.inputs(xs), pre.targets(ys))
        dl = gdata.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)
        return AugmentedLoader(dl, augment) if augment else dl

    outputs = num_outputs(recipe.task, y, getattr(bundle, "num_classes", None))
    if pre.class_names is None and recipe.task == "classification":
        pre.class_names = [str(i) for i in range(outputs)]
    return PreparedData(
        train=loader(x, y, True, recipe.augment),
        val=loader(x_val, y_val, False) if x_val is not None and len(x_val) else None,
        test=loader(x_test, y_test, False),
        x_test=x_test,
        y_test=y_test,
        preprocessing=pre,
        num_outputs=outputs,
        description=str(getattr(bundle, "description", "") or ""),
        sizes={"train": len(x), "val": 0 if x_val is None else len(x_val), "test": len(x_test)},
    )


def _list_or_none(value):
    return None if value is None else [str(v) for v in value]


def _class_names(bundle, task):
    if task == "binary":
        names = getattr(bundle, "class_names", None) or getattr(bundle, "target_names", None)
        return _list_or_none(names) or ["0", "1"]
    if task != "classification":
        return None
    return _list_or_none(
        getattr(bundle, "class_names", None) or getattr(bundle, "target_names", None)
    )


class AugmentedLoader:
    """A DataLoader whose input batches pass through an augmentation first (training only).

    ``'shift'``: each image moves by -1, 0 or +1 pixels along each axis (zeros fill in), which
    keeps small digits recognisable while showing the model more variety.
    """

    AUGMENTS = ("shift",)

    def __init__(self, loader, augment: str):
        if augment not in self.AUGMENTS:
            raise ValueError(f"unknown augment {augment!r}; known: {', '.join(self.AUGMENTS)}")
        self.loader = loader
        self.augment = augment

    def __len__(self):
        return len(self.loader)

    @property
    def generator(self):
        # The Trainer's checkpoints save and restore the shuffling generator through this.
        return self.loader.generator

    def __iter__(self):
        from glassnet.random import rng

        gen = rng("cpu")
        for x, y in self.loader:
            yield random_shift(x, gen), y


def random_shift(x, gen):
    """Shift each image of an (n, c, h, w) batch by a random -1/0/+1 pixels in h and w."""
    from glassnet.tensor import Tensor

    a = to_numpy(x._data)
    if a.ndim != 4:
        raise ShapeError(f"augment 'shift' needs image batches (n, c, h, w), got {a.shape}")
    n, _, h, w = a.shape
    padded = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dy, dx = gen.integers(0, 3, size=n), gen.integers(0, 3, size=n)
    rows = dy[:, None] + np.arange(h)[None]
    cols = dx[:, None] + np.arange(w)[None]
    out = padded[
        np.arange(n)[:, None, None, None],
        np.arange(a.shape[1])[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]
    return Tensor._make(np.ascontiguousarray(out, dtype=a.dtype))
