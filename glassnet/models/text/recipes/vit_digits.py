"""``vit-digits``: a small vision transformer (4x4 patches, so 4 tokens + the class token) on
scikit-learn's 8x8 digits; the report gives the test accuracy and one attention map."""

from __future__ import annotations

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import datasets
from glassnet.models.text.recipes._common import (
    batches,
    picture,
    save_weights,
    say,
    start,
    step,
    write_report,
)
from glassnet.models.vision.vit import ViT

EPOCHS = 15
TRAIN_SIZE = None  # all training digits (the quick test uses fewer)


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    epochs = EPOCHS if epochs is None else epochs
    rng, started = start(seed)
    data = datasets.load("digits", seed=seed)
    x_train, y_train = data.x_train[:TRAIN_SIZE].astype(np.float32), data.y_train[:TRAIN_SIZE]
    model = ViT(image_size=8, patch_size=4, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128)
    opt = glassnet.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    for epoch in range(epochs):
        model.train()
        losses = [
            step(
                opt,
                F.cross_entropy(model(glassnet.tensor(x_train[i])), glassnet.tensor(y_train[i])),
            )
            for i in batches(len(x_train), 64, rng)
        ]
        say(progress, f"epoch {epoch + 1}/{epochs}: train loss {np.mean(losses):.4f}")
    model.eval()
    with glassnet.no_grad():
        logits = model(glassnet.tensor(data.x_test.astype(np.float32))).numpy()
    accuracy = float((logits.argmax(1) == data.y_test).mean())
    metrics = {"accuracy": accuracy, "epochs": epochs}
    from glassnet.viz.attention_maps import collect_attention, plot_attention

    maps = collect_attention(model, glassnet.tensor(data.x_test[:1].astype(np.float32)))
    tokens = ["cls", "p0", "p1", "p2", "p3"]
    shown = picture(
        run_dir,
        "attention.png",
        lambda p: plot_attention(maps[-1][0], tokens, path=p, title="last layer"),
    )
    save_weights(run_dir, model)
    write_report(
        run_dir,
        "ViT on 8x8 digits",
        f"A vision transformer (patch 4, 2 layers, width 64) trained {epochs} epochs on "
        f"{len(x_train)} digits, tested on {len(data.x_test)}.",
        metrics,
        [("Attention of the class token and the 4 patches", shown)],
        started,
    )
    return metrics
