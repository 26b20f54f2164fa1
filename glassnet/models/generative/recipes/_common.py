"""What the generative recipes share: the data, the run folder's report and weights, progress."""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet
from glassnet.report.files import write_text


def digits(size=8):
    """scikit-learn's digits as ``(x_train, y_train, x_test, y_test)``, images ``(N, 1, size,
    size)`` in [0, 1]: 8x8 as bundled, or each pixel repeated into 2x2 for ``size=16``."""
    from glassnet import datasets

    b = datasets.load("digits", seed=0)
    xs = [b.x_train, b.x_test]
    if size == 16:
        xs = [np.kron(x, np.ones((1, 1, 2, 2), np.float32)) for x in xs]
    return xs[0], b.y_train, xs[1], b.y_test


def batches(n, batch_size, rng):
    """Index arrays of one shuffled epoch (the last, smaller batch dropped: BatchNorm and the
    GAN's balance want full batches)."""
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


class Run:
    """One recipe run: its folder, a progress printer (call it with a line), the wall clock,
    and the pictures and notes the report will list.

    >>> import tempfile
    >>> run = Run(tempfile.mkdtemp(), "demo", progress=False)
    >>> run.picture("missing.png", lambda path: (_ for _ in ()).throw(ImportError("no matplotlib")))
    >>> run.pictures, run.notes
    ([], ['missing.png was not drawn: no matplotlib'])
    """

    def __init__(self, run_dir, name, progress):
        self.run_dir, self.name, self.progress, self.start = run_dir, name, progress, time.time()
        self.pictures, self.notes = [], []

    def __call__(self, text):
        if self.progress:
            print(f"[{self.name} {time.time() - self.start:6.1f}s] {text}", flush=True)

    @property
    def seconds(self):
        return time.time() - self.start

    def picture(self, name, draw):
        """Draw one PNG into the run folder, noting (not failing) when matplotlib is missing."""
        try:
            draw(os.path.join(self.run_dir, name))
            self.pictures.append(name)
        except ImportError as exc:
            self.notes.append(f"{name} was not drawn: {exc}")

    def finish(self, models: dict, *, title, description, settings, metrics, explain) -> dict:
        """Save each model's state_dict as ``<name>.safetensors``, write report.md, return the
        metrics."""
        for name, model in models.items():
            glassnet.save(model.state_dict(), os.path.join(self.run_dir, f"{name}.safetensors"))
        write_report(self.run_dir, title=title, description=description, settings=settings,
                     metrics=metrics, explain=explain, pictures=self.pictures, notes=self.notes,
                     seconds=self.seconds)  # fmt: skip
        return metrics


def start(run_dir, name, progress) -> Run:
    """Make the run folder (when called directly, not through ``glassnet train``) and start
    the clock."""
    os.makedirs(run_dir, exist_ok=True)
    return Run(run_dir, name, progress)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def write_report(
    run_dir, *, title, description, settings, metrics, explain, pictures, notes, seconds
):
    """report.md: what was trained, the quality figures with what they mean, the pictures."""
    lines = [f"# Run report: {title}", "", description, "", "## What was trained", ""]
    lines += [f"- {k}: {_fmt(v)}" for k, v in settings.items()]
    lines += ["", f"Wall time: {seconds:.0f} s.", "", "## Quality (measured)", ""]
    lines += ["| figure | value | meaning |", "|---|---|---|"]
    for k, v in metrics.items():
        lines.append(f"| `{k}` | {_fmt(v)} | {explain.get(k, '')} |")
    lines += ["", "## Pictures", ""]
    lines += [f"![{p}]({p})" for p in pictures]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    write_text(os.path.join(run_dir, "report.md"), "\n".join(lines) + "\n")


DIGIT_EXPLAIN = {
    "confident": "fraction of samples the digits classifier labels with probability >= 0.9",
    "class_entropy": "entropy (bits) of the predicted-class histogram; all ten equally: 3.32",
    "classes_seen": "how many of the ten digits appear among the samples",
    "frechet": "Frechet distance to the real test digits in the classifier's features (lower "
    "is better)",
    "frechet_real": "the same distance for as many real training digits: the floor",
    "class_accuracy": "conditional model: fraction classified as the asked-for digit",
    "classifier_accuracy": "the scoring classifier's accuracy on the real test digits",
}


def prefixed(prefix, figures):
    """``{prefix_key: value}`` for the numeric figures."""
    return {f"{prefix}{k}": v for k, v in figures.items() if isinstance(v, (int, float))}
