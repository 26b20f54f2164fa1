"""Recipe: everything needed to train one model on one data set, as plain data.

A recipe names the data set, the model, the loss, the optimizer and the training schedule. It is
plain data (strings, numbers, small dicts), so it can be written into a run's ``config.json``
and read back to rebuild the same model later, or written by hand in a TOML/JSON config file.

>>> r = Recipe(name="tiny", description="a demo", dataset="xor", model="mlp")
>>> r.resolved_loss()
'cross_entropy'
>>> Recipe.from_dict(r.to_dict()) == r
True
>>> r.replace(epochs=3, lr=0.1).epochs
3
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from glassnet.recipes.schema import check_recipe, unknown_field

_DEFAULT_LOSS = {
    "classification": "cross_entropy",
    "binary": "bce_with_logits",
    "regression": "mse",
    "forecasting": "mse",
}


@dataclass
class Recipe:
    """A named training set-up: data, model, loss, optimizer and schedule.

    ``task`` is one of ``classification`` (integer labels, cross-entropy over class logits),
    ``binary`` (one logit, BCEWithLogits), ``regression`` and ``forecasting`` (real targets,
    MSE). ``scale_inputs``/``scale_targets`` fit a StandardScaler on the training split only.
    ``augment='shift'`` moves each training image by up to one pixel (image recipes).
    ``early_stopping=N`` stops when the validation loss has not improved for N epochs and
    keeps the best weights (it needs ``val_fraction > 0``).
    """

    name: str
    description: str
    dataset: str
    model: str
    task: str = "classification"
    dataset_options: dict = field(default_factory=dict)
    model_options: dict = field(default_factory=dict)
    loss: str | None = None
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 10
    metrics: tuple = ("accuracy",)
    scheduler: str | None = None
    scale_inputs: bool = False
    scale_targets: bool = False
    flatten: bool = False
    augment: str | None = None
    val_fraction: float = 0.1
    grad_clip: float | None = None
    early_stopping: int | None = None
    seed: int = 0
    expected: str = ""

    def __post_init__(self):
        # Every field passes the schema, however the recipe was made (a file, a config.json,
        # command-line options, Python); warnings are given where the value enters instead.
        checked = check_recipe(
            {f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
            f"recipe {self.name!r}",
            warn=False,
        )
        for key, value in checked.items():
            setattr(self, key, value)

    def resolved_loss(self) -> str:
        """The loss name: the one given, or the task's usual loss."""
        return self.loss or _DEFAULT_LOSS[self.task]

    @property
    def is_classifier(self) -> bool:
        """True for tasks whose outputs are classes (a confusion matrix makes sense)."""
        return self.task in ("classification", "binary")

    def replace(self, **changes) -> Recipe:
        """A copy with some fields changed; ``None`` values are ignored (unset CLI options)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The recipe as JSON-ready plain data."""
        out = dataclasses.asdict(self)
        out["metrics"] = list(self.metrics)
        return out

    @classmethod
    def from_dict(cls, data: dict, source: str = "recipe") -> Recipe:
        """Rebuild a recipe from ``to_dict`` output; ``source`` names where it came from in
        errors (unknown keys are an error, as is every value the schema refuses)."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise unknown_field(key, known, source)
        return cls(**check_recipe(dict(data), source, warn=False))
