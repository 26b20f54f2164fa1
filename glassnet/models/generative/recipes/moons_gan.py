"""``glassnet train moons-gan``: a GAN of two small MLPs learns the 2-D moons.

Writes points.png (real against generated), steps.png (the generator's points as training
goes), losses.png (both players), the weights and report.md with the moons quality figures.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative import gan
from glassnet.models.generative.moons_quality import score_moons
from glassnet.models.generative.recipes import _common as C
from glassnet.models.generative.recipes._moons import NOISE, moons

SETTINGS = {"epochs": 40, "steps_per_epoch": 50, "batch_size": 128, "lr": 1e-3, "nz": 8,
            "hidden": 128, "real_label": 0.9, "samples": 800}  # fmt: skip


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_loss_curves, save_point_panels, save_points

    s, log = SETTINGS, C.start(run_dir, "moons-gan", progress)
    epochs = epochs or s["epochs"]
    xtr, _, xte, _, mean, std = moons(seed)
    data = (xtr - mean) / std
    glassnet.manual_seed(seed)
    G, D = gan.MLPGenerator(s["nz"], s["hidden"], 2), gan.MLPDiscriminator(2, s["hidden"])
    opt_g = glassnet.optim.Adam(G.parameters(), lr=s["lr"], betas=(0.5, 0.999))
    opt_d = glassnet.optim.Adam(D.parameters(), lr=s["lr"], betas=(0.5, 0.999))
    rng, ld, lg, snapshots = np.random.default_rng(seed), [], [], []
    z_fixed = glassnet.randn(s["samples"], s["nz"], generator=glassnet.Generator(seed + 1))

    def generate():
        with glassnet.no_grad():
            return G(z_fixed).numpy() * std + mean

    for epoch in range(epochs):
        for _ in range(s["steps_per_epoch"]):
            real = glassnet.tensor(data[rng.integers(0, len(data), s["batch_size"])])
            d, g = gan.gan_train_step(
                G,
                D,
                opt_g,
                opt_d,
                real,
                glassnet.randn(s["batch_size"], s["nz"]),
                real_label=s["real_label"],
            )
            ld.append(d)
            lg.append(g)
        if epoch in (0, epochs // 4, epochs // 2):
            snapshots.append((f"epoch {epoch + 1}", generate()))
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(f"epoch {epoch + 1}/{epochs} D {np.mean(ld[-50:]):.3f} G {np.mean(lg[-50:]):.3f}")
    points = generate()
    snapshots.append((f"epoch {epochs}", points))
    metrics = score_moons(points, xte, xtr, NOISE)
    log.picture("points.png", lambda p: save_points(xte, points, p))
    log.picture(
        "steps.png",
        lambda p: save_point_panels(snapshots, p, title="the generator's points while it learns"),
    )
    k = 25
    log.picture(
        "losses.png",
        lambda p: save_loss_curves(
            {
                "discriminator": np.convolve(ld, np.ones(k) / k, "valid"),
                "generator": np.convolve(lg, np.ones(k) / k, "valid"),
            },
            p,
            title="both players' losses (moving average of 25 steps)",
        ),
    )
    return log.finish(
        {"generator": G, "discriminator": D},
        title="moons-gan",
        description="An MLP generator against an MLP discriminator on the 2-D moons "
        f"(noise {NOISE}).",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=MOONS_EXPLAIN,
    )


MOONS_EXPLAIN = {
    "on_moons": f"fraction of points within 3 x noise ({3 * NOISE:.1f}) of a moon (real: ~0.99)",
    "moon_entropy": "entropy (bits) of the split between the two moons (both covered: 1)",
    "frechet": "Frechet distance to the real test points (Gaussians fitted to each)",
    "frechet_real": "the same for as many real training points: the floor",
    "moon_accuracy": "conditional model: fraction of points nearest the asked-for moon",
}
