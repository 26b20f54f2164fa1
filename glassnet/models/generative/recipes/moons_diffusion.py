"""``glassnet train moons-diffusion``: DDPM with an MLP denoiser learns the 2-D moons, and a
class-conditional one draws the asked-for moon.

Writes points.png (real against generated), chain.png (the ancestral chain from noise to the
moons), conditional.png, curves.png, the weights and report.md with the moons quality figures.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative.diffusion import DDPM, diffusion_train_step
from glassnet.models.generative.moons_quality import score_moons
from glassnet.models.generative.recipes import _common as C
from glassnet.models.generative.recipes._moons import NOISE, moons
from glassnet.models.generative.recipes.moons_gan import MOONS_EXPLAIN
from glassnet.models.generative.unet_small import MLPDenoiser

SETTINGS = {"epochs": 40, "steps_per_epoch": 100, "batch_size": 256, "lr": 2e-3,
            "hidden": 128, "timesteps": 100, "schedule": "linear", "ddim_steps": 20,
            "samples": 800}  # fmt: skip


def _train(data, labels, num_classes, epochs, seed, log):
    s = SETTINGS
    glassnet.manual_seed(seed)
    ddpm = DDPM(MLPDenoiser(2, s["hidden"], num_classes=num_classes), s["timesteps"], s["schedule"])
    opt = glassnet.optim.Adam(ddpm.model.parameters(), lr=s["lr"])
    rng, curve = np.random.default_rng(seed), []
    for epoch in range(epochs):
        losses = []
        for _ in range(s["steps_per_epoch"]):
            idx = rng.integers(0, len(data), s["batch_size"])
            y = glassnet.tensor(labels[idx]) if num_classes else None
            losses.append(diffusion_train_step(ddpm, opt, glassnet.tensor(data[idx]), y))
        curve.append(float(np.mean(losses)))
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(
                f"{'conditional ' if num_classes else ''}epoch {epoch + 1}/{epochs} "
                f"loss {curve[-1]:.4f}"
            )
    ddpm.model.eval()
    return ddpm, curve


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_loss_curves, save_point_panels, save_points

    s, log = SETTINGS, C.start(run_dir, "moons-diffusion", progress)
    epochs = epochs or s["epochs"]
    xtr, ytr, xte, _, mean, std = moons(seed)
    data = ((xtr - mean) / std).astype(np.float32)
    ddpm, curve = _train(data, ytr, None, epochs, seed, log)
    cddpm, ccurve = _train(data, ytr, 2, epochs, seed, log)
    n, gen = s["samples"], glassnet.Generator(seed + 1)
    # the ancestral chain, keeping a few intermediate states for the picture
    x, chain = glassnet.randn(n, 2, generator=gen), []
    keep = {s["timesteps"] - 1, s["timesteps"] // 2, s["timesteps"] // 4, s["timesteps"] // 10}
    for t in reversed(range(s["timesteps"])):
        if t in keep:
            chain.append((f"t = {t + 1}", x.numpy() * std + mean))
        x = ddpm.p_sample_step(x, t, noise=glassnet.randn(n, 2, generator=gen) if t else None)
    points = x.numpy() * std + mean
    chain.append(("t = 0 (samples)", points))
    ddim = ddpm.ddim_sample((n, 2), steps=s["ddim_steps"], generator=gen).numpy() * std + mean
    asked = np.arange(n) % 2
    cpoints = cddpm.sample((n, 2), glassnet.tensor(asked), generator=gen).numpy() * std + mean
    metrics = {
        **score_moons(points, xte, xtr, NOISE),
        **C.prefixed("ddim_", score_moons(ddim, xte, xtr, NOISE)),
        **C.prefixed("conditional_", score_moons(cpoints, xte, xtr, NOISE, asked)),
    }
    metrics = {k: v for k, v in metrics.items() if not k.endswith("_frechet_real")}
    log.picture("points.png", lambda p: save_points(xte, points, p))
    log.picture(
        "chain.png",
        lambda p: save_point_panels(chain, p, title="ancestral sampling: noise to moons"),
    )
    log.picture(
        "conditional.png",
        lambda p: save_point_panels(
            [("asked for moon 0", cpoints[asked == 0]), ("asked for moon 1", cpoints[asked == 1])],
            p,
        ),
    )
    log.picture(
        "curves.png",
        lambda p: save_loss_curves(
            {"epsilon MSE": curve, "conditional epsilon MSE": ccurve}, p, xlabel="epoch"
        ),
    )
    explain = dict(MOONS_EXPLAIN)
    explain.update(
        {"ddim_" + k: f"DDIM ({s['ddim_steps']} steps): " + v for k, v in MOONS_EXPLAIN.items()}
    )
    explain.update({"conditional_" + k: "conditional: " + v for k, v in MOONS_EXPLAIN.items()})
    return log.finish(
        {"denoiser": ddpm.model, "cond_denoiser": cddpm.model},
        title="moons-diffusion",
        description=f"DDPM with an MLP denoiser on the 2-D moons (noise {NOISE}); scored on "
        "ancestral samples, DDIM samples and a class-conditional model's samples.",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=explain,
    )
