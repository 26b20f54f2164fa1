"""The training loop the generated-shapes recipes share (``shapes-unet``, ``shapes-detector``):
fresh generated pictures every epoch, Adam with a cosine schedule, a validation figure after each
epoch, then pictures, weights and report.md in the run folder.

Each recipe keeps what is its own: the model, the loss of a batch, the metrics and the report.

>>> settings_from("demo", {"epochs": 3, "lr": 0.1}, None, {"lr": 0.01})
{'epochs': 3, 'lr': 0.01}
"""

from __future__ import annotations

import os
import time

import numpy as np


def settings_from(name, defaults, epochs, options) -> dict:
    """The recipe's defaults overridden by ``options`` (unknown names are an error)."""
    unknown = set(options) - set(defaults)
    if unknown:
        raise TypeError(f"{name}: unknown options {sorted(unknown)}; known: {list(defaults)}")
    return {**defaults, **options, "epochs": epochs or defaults["epochs"]}


def train_on_fresh_data(
    model, settings, seed, *, epoch_data, batch_loss, validate, val_key, val_label, progress
):
    """Train ``model`` for ``settings['epochs']`` epochs and return its ``History``.

    ``epoch_data(epoch)`` makes that epoch's pictures (a tuple of per-sample sequences);
    ``batch_loss(indices, *data)`` is the loss of one batch; ``validate()`` gives the figure
    recorded as ``val_key`` (printed as ``val_label``) after each epoch.
    """
    from glassnet import optim
    from glassnet.train import History

    opt = optim.Adam(model.parameters(), lr=settings["lr"])
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=settings["epochs"])
    history, bs = History(), settings["batch_size"]
    for epoch in range(settings["epochs"]):
        data = epoch_data(epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(data[0]))
        model.train()
        losses = []
        for i in range(0, len(order), bs):
            loss = batch_loss(order[i : i + bs], *data)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
        value = validate()
        history.append(epoch, {"loss": float(np.mean(losses)), val_key: value})
        if progress:
            print(
                f"epoch {epoch + 1}/{settings['epochs']}: loss {np.mean(losses):.4f}, "
                f"{val_label} {value:.3f}",
                flush=True,
            )
    return history


def save_run(run_dir, model, history, started, *, draw, report) -> None:
    """Pictures (``draw(run_dir)`` returns the names it wrote; the curves are added), the
    weights as ``model.safetensors`` and ``report(history, wall_seconds, pictures)`` as
    report.md. A missing matplotlib costs the pictures, not the run."""
    import glassnet
    from glassnet.report.files import write_text

    os.makedirs(run_dir, exist_ok=True)
    pictures = []
    try:
        names = draw(run_dir)
        history.plot(os.path.join(run_dir, "curves.png"))
        pictures = [*names, "curves.png"]
    except ImportError as exc:  # matplotlib missing: the numbers still count
        print(f"pictures not drawn: {exc}")
    glassnet.save(model.state_dict(), os.path.join(run_dir, "model.safetensors"))
    text = report(history.history, time.time() - started, pictures)
    write_text(os.path.join(run_dir, "report.md"), text)
