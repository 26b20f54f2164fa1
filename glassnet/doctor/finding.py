"""Finding (one problem the doctor saw) and Report (all of them), with the vocabulary of codes.

Every finding has a stable ``code`` from ``VOCABULARY``, what was seen (with the numbers, the
layer path and the step), why it matters and the remedy, with the glassnet code for it.

>>> f = Finding("dead_relu", seen="78% of the units of model.1 never fire", layer="1", step=40,
...             remedy="nn.init.zeros_(model[0].bias)")
>>> f.title
'dying ReLUs'
>>> r = Report([f])
>>> r.codes
['dead_relu']
>>> print(r.markdown().splitlines()[0])
# Training doctor: 1 finding
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# code -> (title, why it matters). The remedy depends on what was seen, so each check writes it.
VOCABULARY = {
    "nan": (
        "NaN or infinity",
        "Once one value is NaN or infinite, every gradient that touches it is too, and the "
        "weights are lost after the next step.",
    ),
    "exploding_gradients": (
        "exploding gradients",
        "Gradients that grow through the layers (or through time) make steps far too large: "
        "the loss jumps around or overflows.",
    ),
    "vanishing_gradients": (
        "vanishing gradients",
        "The first layers receive gradients thousands of times smaller than the last ones, so "
        "they barely learn; depth then only adds cost.",
    ),
    "dead_relu": (
        "dying ReLUs",
        "A ReLU unit whose input is negative for every sample outputs 0 and gets gradient 0: "
        "it never learns again, and the layer loses capacity.",
    ),
    "saturated_activation": (
        "saturated sigmoid/tanh",
        "A sigmoid or tanh pushed to its flat ends has a derivative near 0, so the gradient "
        "through it vanishes.",
    ),
    "lr_too_high": (
        "learning rate too high",
        "Steps overshoot the minimum: the loss rises, oscillates or overflows instead of "
        "going down.",
    ),
    "lr_too_low": (
        "learning rate too low",
        "Each step changes the weights by a tiny fraction, so the loss barely moves; training "
        "would take orders of magnitude more steps.",
    ),
    "overfitting": (
        "overfitting",
        "The training loss keeps falling while the validation loss rises: the model memorises "
        "the training samples instead of learning what generalises.",
    ),
    "underfitting": (
        "underfitting",
        "The training loss stays near what predicting the average would give: the model is "
        "too small (or too constrained) for the task.",
    ),
    "logits_expected": (
        "probabilities fed to a loss that wants logits",
        "This loss applies its own (log-)softmax or sigmoid; a second one squashes the outputs "
        "into a narrow range, the gradients shrink and training stalls.",
    ),
    "target_mismatch": (
        "targets that do not fit the loss",
        "The targets have a shape or range this loss does not expect, so it computes something "
        "other than what was meant (often through silent broadcasting).",
    ),
    "class_imbalance": (
        "class imbalance",
        "With one class far more frequent, predicting it always gives a low loss and a high "
        "accuracy; the rare class is never learnt.",
    ),
    "unscaled_inputs": (
        "unscaled inputs",
        "Features with large or very different ranges make the loss surface badly conditioned: "
        "one learning rate cannot suit them all.",
    ),
    "data_leakage": (
        "data leakage",
        "Validation data that the training side has seen (shared samples, or a scaler fitted "
        "on it) makes the validation score optimistic.",
    ),
}


@dataclass
class Finding:
    """One problem: ``code`` (see VOCABULARY), ``seen`` (what was measured), ``remedy`` (what to
    change, with glassnet code), and where: ``layer`` (a path in the model such as '3' or
    'features.0'), ``step`` (optimizer steps from 0), ``epoch``; ``numbers`` holds the measured
    values for programs."""

    code: str
    seen: str
    remedy: str = ""
    layer: str | None = None
    step: int | None = None
    epoch: int | None = None
    numbers: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.code not in VOCABULARY:
            raise ValueError(
                f"Finding: unknown code {self.code!r}; the vocabulary is {sorted(VOCABULARY)}"
            )

    @property
    def title(self) -> str:
        return VOCABULARY[self.code][0]

    @property
    def why(self) -> str:
        return VOCABULARY[self.code][1]

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "seen": self.seen,
            "why": self.why,
            "remedy": self.remedy,
            "layer": self.layer,
            "step": self.step,
            "epoch": self.epoch,
            "numbers": {k: _plain(v) for k, v in self.numbers.items()},
        }

    def __str__(self) -> str:
        where = f" [layer {self.layer}]" if self.layer is not None else ""
        when = f" (step {self.step})" if self.step is not None else ""
        return f"{self.code}{where}{when}: {self.seen}\n  why: {self.why}\n  remedy: {self.remedy}"


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


@dataclass
class Report:
    """The doctor's findings for one run (``findings``), with ``steps`` watched."""

    findings: list = field(default_factory=list)
    steps: int = 0
    losses: list = field(default_factory=list, repr=False)  # every step's training loss
    epochs: list = field(default_factory=list, repr=False)  # {'epoch', 'loss', 'val_loss'}
    model: object = field(default=None, repr=False, compare=False)  # check(): the trained copy

    @property
    def codes(self) -> list:
        return [f.code for f in self.findings]

    def __bool__(self):
        return bool(self.findings)

    def __len__(self):
        return len(self.findings)

    def __iter__(self):
        return iter(self.findings)

    def to_dict(self) -> dict:
        return {
            "steps": self.steps,
            "findings": [f.to_dict() for f in self.findings],
            "epochs": [{k: _plain(v) for k, v in e.items()} for e in self.epochs],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def markdown(self) -> str:
        n = len(self.findings)
        lines = [f"# Training doctor: {n} finding{'s' if n != 1 else ''}", ""]
        if not n:
            lines.append(f"Nothing wrong seen in {self.steps} steps.")
        for f in self.findings:
            where = f" (layer `{f.layer}`)" if f.layer is not None else ""
            lines += [
                f"## `{f.code}`: {f.title}{where}",
                "",
                f"- seen: {f.seen}" + (f" (step {f.step})" if f.step is not None else ""),
                f"- why it matters: {f.why}",
                f"- remedy: {f.remedy}",
                "",
            ]
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        if not self.findings:
            return f"doctor: nothing wrong seen in {self.steps} steps"
        return "\n".join(f"doctor: {f}" for f in self.findings)
