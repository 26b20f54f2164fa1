"""The ``digits-transfer`` program recipe: transfer learning measured end to end, from generated
printed characters to a few real handwritten digits (scikit-learn's bundled 8x8 digits).

1. Pre-train a small CNN (DigitsCNN's convolutions, then a linear classifier) on a generated
   set of printed characters (``printed_glyphs``: 51 letters and digits in 12 fonts, random
   pose and pen width, 300 images each, drawn on the digits' own 32x32-in-4x4-blocks grid) and
   save it (``pretrained.safetensors``).
2. Transfer to the real handwritten digits with only ``shots`` labelled images per class:
   load the saved weights, put a new 10-way head in place (``model.classifier[-1] =
   nn.Linear(...)``, the torchvision idiom), train only the head with the rest frozen
   (``freeze``, batch norm kept in eval mode), then fine-tune the convolutions and the head
   with two parameter groups (the pre-trained convolutions at a 10x smaller learning rate),
   the batch norms still frozen: 20 images cannot estimate their statistics.
3. Train the same architecture from scratch on the same images for as many steps, with the
   same augmentation (random one-pixel shifts).

Both are evaluated on every other image of the digits (1777 of 1797) during training; the
report prints both test accuracies and ``transfer.png`` draws both curves in one plot. Nothing
is asserted here: the numbers are what the run measured (docs/models.md has the seed sweep).

The source holds printed digits as well as letters: this is synthetic-to-real transfer, the
common case of pre-training where data are cheap to make. The head is new and learns the
digit classes from the few handwritten images only. Pre-training on the letters alone (or on
handwritten digits 0-4 for a 5-9 target) helped less and not on every seed.
"""

from __future__ import annotations

import os

import numpy as np

import glassnet
from glassnet import nn
from glassnet._optional import require
from glassnet.models.cnn import DigitsCNN
from glassnet.models.vision.printed_glyphs import CHARACTERS, printed_characters
from glassnet.nn.utils import freeze, unfreeze
from glassnet.report.files import write_text

SHOTS = 2  # labelled handwritten images per digit class
PER_CLASS = 300  # generated images per printed character
# pre-training: passes over the generated set; the few-shot phases take one full-batch step
# (all 20 labelled images) per epoch, so scratch gets head + full epochs, as many steps
DEFAULT_EPOCHS = {"pretrain": 12, "head": 100, "full": 100}
EVAL_EVERY = 10  # few-shot epochs between two points of the test curves


def _digits(seed, shots):
    """(few-shot train, test) as (x, y) arrays: ``shots`` images per class, the rest test."""
    datasets = require("sklearn.datasets", "data")
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    few = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), shots, replace=False) for c in range(10)]
    )
    rest = np.setdiff1d(np.arange(len(y)), few)
    return (x[few], y[few]), (x[rest], y[rest])


def _model(seed, num_classes):
    """DigitsCNN's convolutional features (width 16) with a linear classifier on them: few
    images cannot fit the 512x128 hidden layer of DigitsCNN's own classifier."""
    glassnet.manual_seed(seed)
    model = DigitsCNN(num_classes=num_classes, width=16)
    model.classifier = nn.Sequential(
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(16 * 2 * 16, num_classes)
    )
    return model


def _accuracy(model, x, y):
    model.eval()
    with glassnet.no_grad():
        predicted = model(glassnet.tensor(x)).argmax(1).numpy()
    return float((predicted == y).mean())


def _shift(x, rng):
    """Each image moved by up to one pixel each way (zeros come in): handwriting is not centred
    to the pixel, and neither model should have to learn that from 20 images."""
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dy, dx = rng.integers(0, 3, (2, len(x)))
    return np.stack([padded[i, :, dy[i] : dy[i] + 8, dx[i] : dx[i] + 8] for i in range(len(x))])


def _step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(glassnet.tensor(x)), glassnet.tensor(y))
    loss.backward()
    optimizer.step()


def _pretrain(model, x, y, epochs, rng, batch_size=64):
    opt = glassnet.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            _step(model, opt, _shift(x[idx], rng), y[idx])


def _few_shot(model, optimizer, train, test, epochs, rng):
    """Full-batch steps on the few labelled images; the test accuracy every EVAL_EVERY."""
    x, y = train
    curve = []
    for epoch in range(1, epochs + 1):
        model.train()
        _step(model, optimizer, _shift(x, rng), y)
        if epoch % EVAL_EVERY == 0 or epoch == epochs:
            curve.append((epoch, _accuracy(model, *test)))
    return curve


def _plot(path, transfer, scratch, head_epochs):
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(
        *zip(*transfer), label="transferred (pre-trained on printed characters)", color="tab:blue"
    )
    ax.plot(*zip(*scratch), label="from scratch", color="tab:orange")
    ax.axvline(head_epochs + 0.5, color="grey", linestyle=":", label="head only | fine-tune")
    ax.set_xlabel("step on the few labelled handwritten digits (all of them per step)")
    ax.set_ylabel("test accuracy (the other digits)")
    ax.set_ylim(0.0, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def run(run_dir, *, epochs=None, seed=0, progress=True, shots=SHOTS) -> dict:
    """Run the whole experiment into ``run_dir`` and return its test metrics. ``epochs``, when
    given, is the number of epochs of each phase (pre-training, head, fine-tuning)."""
    glassnet.manual_seed(seed)
    rng = np.random.default_rng(seed)
    phases = dict(DEFAULT_EPOCHS) if epochs is None else dict.fromkeys(DEFAULT_EPOCHS, epochs)
    few, test = _digits(seed, shots)
    say = print if progress else (lambda *a, **k: None)

    # 1. pre-train on generated printed characters and save
    source_x, source_y = printed_characters(PER_CLASS, seed=seed)
    held_x, held_y = printed_characters(10, seed=seed + 10_000)  # fresh draws, same classes
    base = _model(seed, len(CHARACTERS))
    _pretrain(base, source_x, source_y, phases["pretrain"], rng)
    pretrained = os.path.join(run_dir, "pretrained.safetensors")
    glassnet.save(base.state_dict(), pretrained)
    pretrain_accuracy = _accuracy(base, held_x, held_y)
    say(
        f"pre-trained on {len(source_y)} printed characters: "
        f"held-out accuracy {pretrain_accuracy:.3f}"
    )

    # 2. transfer: load, new head, head only, then convolutions and head
    model = _model(seed + 1, len(CHARACTERS))
    model.load_state_dict(glassnet.load(pretrained))
    model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, 10)  # new task, new head
    head_name = f"classifier.{len(model.classifier) - 1}"
    freeze(model, except_=head_name)
    head = model.get_submodule(head_name)
    opt = glassnet.optim.Adam(head.parameters(), lr=1e-2)
    head_curve = _few_shot(model, opt, few, test, phases["head"], rng)
    # fine-tune: the convolutions and the head learn, the batch norms stay frozen in eval mode
    unfreeze(model)
    convs = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    freeze(model, except_=[*convs, head_name])
    head_params = list(head.parameters())
    ids = {id(p) for p in head_params}
    groups = [
        {
            "params": [p for p in model.parameters() if p.requires_grad and id(p) not in ids],
            "lr": 1e-4,
        },
        {"params": head_params, "lr": 1e-3},
    ]
    opt = glassnet.optim.Adam(groups)
    full_curve = _few_shot(model, opt, few, test, phases["full"], rng)
    transfer_curve = head_curve + [(phases["head"] + e, a) for e, a in full_curve]
    say(f"transferred: head only {head_curve[-1][1]:.3f}, fine-tuned {full_curve[-1][1]:.3f}")

    # 3. the same model from scratch on the same few images, as many steps
    scratch = _model(seed + 2, 10)
    opt = glassnet.optim.Adam(scratch.parameters(), lr=3e-3)
    scratch_curve = _few_shot(scratch, opt, few, test, phases["head"] + phases["full"], rng)
    say(f"from scratch: {scratch_curve[-1][1]:.3f}")

    glassnet.save(model.state_dict(), os.path.join(run_dir, "model.safetensors"))
    _plot(os.path.join(run_dir, "transfer.png"), transfer_curve, scratch_curve, phases["head"])
    metrics = {
        "pretrain_accuracy": pretrain_accuracy,
        "head_only_accuracy": head_curve[-1][1],
        "transfer_accuracy": transfer_curve[-1][1],
        "scratch_accuracy": scratch_curve[-1][1],
        "pretrain_examples": int(len(source_y)),
        "labelled_examples": int(len(few[1])),
        "test_examples": int(len(test[1])),
    }
    write_text(os.path.join(run_dir, "report.md"), _report(metrics, phases, shots))
    return metrics


def binomial_std(accuracy: float, n: int) -> float:
    """Standard deviation of an accuracy measured on ``n`` independent test images."""
    return float(np.sqrt(accuracy * (1.0 - accuracy) / n))


def _report(m, phases, shots):
    gain = m["transfer_accuracy"] - m["scratch_accuracy"]
    head, full = phases["head"], phases["full"]
    n = m["test_examples"]
    noise = binomial_std(m["scratch_accuracy"], n)
    rows = [
        (f"transferred: new head only ({head} steps, the rest frozen)", m["head_only_accuracy"]),
        (f"transferred: then convolutions and head ({full} more steps)", m["transfer_accuracy"]),
        (f"same model from scratch ({head + full} steps)", m["scratch_accuracy"]),
    ]
    table = "\n".join(f"| {name} | {value:.3f} |" for name, value in rows)
    return f"""# digits-transfer: transfer learning against training from scratch

A small CNN (DigitsCNN's convolutions, a linear classifier) was pre-trained on
{m["pretrain_examples"]} generated images of printed letters and digits ({len(CHARACTERS)}
classes, {phases["pretrain"]} epochs; accuracy {m["pretrain_accuracy"]:.3f} on fresh
generated images) and saved as `pretrained.safetensors`. On scikit-learn's handwritten digits
only {shots} labelled images per class ({m["labelled_examples"]} in all) were used for
training; the other {n} images are the test set.

| model | test accuracy (handwritten digits) |
|---|---|
{table}

Transfer minus scratch: {gain:+.3f}. Measurement noise of one accuracy on {n} test images
(binomial standard deviation): {noise:.3f}.

![test accuracy during training, both models](transfer.png)

Frozen layers had `requires_grad=False` and their batch norms stayed in eval mode (the
running statistics of pre-training), also while fine-tuning: 20 images cannot estimate them.
The fine-tuning step used two parameter groups, the pre-trained convolutions at a 10x smaller
learning rate than the new head. Both models saw the same images with random (independently drawn)
one-pixel shifts, one full-batch step per epoch.
"""
