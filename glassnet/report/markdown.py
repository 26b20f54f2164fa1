"""report.md: a run explained in words, numbers and pictures (readable on GitHub or in any
Markdown viewer, and as plain text).

>>> text = render_report({"name": "xor-mlp", "description": "XOR.", "dataset": "xor",
...     "model": "mlp", "task": "classification", "epochs": 2, "lr": 0.01, "batch_size": 8,
...     "optimizer": "adam", "loss": "cross_entropy", "expected": ""},
...     {"loss": 0.1, "accuracy": 0.95}, pictures=["curves.png"])
>>> print(text.splitlines()[0])
# Run report: xor-mlp
>>> "| accuracy | 0.9500 |" in text and "![curves](curves.png)" in text
True
"""

from __future__ import annotations


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4f}" if value == value else "nan"
    return str(value)


def render_report(
    config: dict,
    metrics: dict,
    *,
    pictures=(),
    sizes=None,
    data_text="",
    model_text="",
    wall_time=None,
    history=None,
    notes=(),
) -> str:
    """The Markdown text of a run's report.

    ``config``: the recipe as a dict; ``metrics``: the test metrics; ``pictures``: image file
    names (relative to the report); ``sizes``: samples per split; ``model_text``: the model
    summary table; ``history``: name -> per-epoch values, whose last values are listed.
    """
    name = config.get("name", "run")
    lines = [f"# Run report: {name}", "", config.get("description", ""), ""]
    lines += ["## What was trained", ""]
    lines += [
        f"- Data set: `{config.get('dataset')}`" + (f" ({_fmt_sizes(sizes)})" if sizes else ""),
        f"- Task: {config.get('task')}",
        f"- Model: `{config.get('model')}` {config.get('model_options') or ''}".rstrip(),
        f"- Loss: `{config.get('loss')}`; optimizer: `{config.get('optimizer')}`, "
        f"learning rate {config.get('lr')}"
        + (f", {config.get('scheduler')} schedule" if config.get("scheduler") else ""),
        f"- Batch size {config.get('batch_size')}, {config.get('epochs')} epochs, "
        f"seed {config.get('seed')}",
    ]
    if config.get("scale_inputs") or config.get("scale_targets"):
        what = [
            w
            for w, on in (
                ("inputs", config.get("scale_inputs")),
                ("targets", config.get("scale_targets")),
            )
            if on
        ]
        lines.append(
            f"- Standardised {' and '.join(what)} (StandardScaler fitted on the "
            f"training split only)"
        )
    if config.get("augment"):
        lines.append(f"- Augmentation: {config['augment']}")
    if wall_time is not None:
        lines.append(f"- Training took {wall_time:.1f} s")
    if data_text:
        lines += ["", "### The data", "", data_text.strip()]
    lines += ["", "## Test results", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.items()]
    if config.get("expected"):
        lines += ["", f"Expected for this recipe: {config['expected']}."]
    if history:
        last = {k: v[-1] for k, v in history.items() if v}
        lines += ["", "Last epoch: " + ", ".join(f"{k} {_fmt(v)}" for k, v in last.items())]
    if pictures:
        lines += ["", "## Pictures", ""]
        lines += [f"![{p.rsplit('.', 1)[0]}]({p})" for p in pictures]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    if model_text:
        lines += ["", "## Model", "", "```", model_text.rstrip(), "```"]
    lines += [
        "",
        "## Files",
        "",
        "- `config.json`: the recipe and the preprocessing (what predict/evaluate rebuild)",
        "- `model.safetensors`: the trained weights (`glassnet.load`)",
        "- `checkpoint/`: the full training checkpoint (model, optimizer, history, random state)",
        "- `history.csv`: loss and metrics per epoch",
        "- `metrics.json`: the test metrics",
        "",
    ]
    return "\n".join(lines)


def _fmt_sizes(sizes):
    return ", ".join(f"{v} {k}" for k, v in sizes.items() if v)
