"""``glassnet train digits-diffusion``: DDPM with a small U-Net on the 8x8 digits.

The U-Net (``UNetSmall``, 8x8 -> 4x4 -> 2x2 and back) learns the epsilon-prediction loss under
a linear schedule; samples are drawn from the weights' moving average with DDIM (eta = 0,
fewer steps) for the scored batch, and with the full ancestral chain for one grid. Writes
samples.png (DDIM), ancestral_samples.png, denoising.png (the chain, noise to digit), curves.png,
the weights and report.md with the digits quality figures.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative.diffusion import DDPM, diffusion_train_step
from glassnet.models.generative.quality import digits_scorer
from glassnet.models.generative.recipes import _common as C
from glassnet.models.generative.recipes._ema import EMA
from glassnet.models.generative.unet_small import UNetSmall

SETTINGS = {"epochs": 80, "batch_size": 64, "lr": 2e-3, "base": 32, "time_dim": 128,
            "timesteps": 400, "schedule": "linear", "ddim_steps": 50, "ema": 0.995,
            "samples": 500, "ancestral_samples": 100}  # fmt: skip


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_image_grid, save_loss_curves

    s, log = SETTINGS, C.start(run_dir, "digits-diffusion", progress)
    epochs = epochs or s["epochs"]
    xtr, _, _, _ = C.digits(8)
    xtr = xtr * 2 - 1  # the noise is N(0, 1): data in [-1, 1]
    glassnet.manual_seed(seed)
    net = UNetSmall(1, s["base"], s["time_dim"])
    ddpm = DDPM(net, s["timesteps"], s["schedule"])
    opt = glassnet.optim.Adam(net.parameters(), lr=s["lr"])
    ema, rng, curve = EMA(net, s["ema"]), np.random.default_rng(seed), []
    for epoch in range(epochs):
        net.train()
        losses = []
        for idx in C.batches(len(xtr), s["batch_size"], rng):
            losses.append(diffusion_train_step(ddpm, opt, glassnet.tensor(xtr[idx])))
            ema.update(net)
        curve.append(float(np.mean(losses)))
        if epoch % 5 == 4 or epoch == epochs - 1:
            log(f"epoch {epoch + 1}/{epochs} loss {curve[-1]:.4f}")
    sampler = DDPM(
        ema.copy_to(UNetSmall(1, s["base"], s["time_dim"])).eval(), s["timesteps"], s["schedule"]
    )
    gen = glassnet.Generator(seed + 1)
    chunks, chain = [], []
    for i in range(0, s["samples"], 250):
        m = min(250, s["samples"] - i)
        chunks.append(sampler.ddim_sample((m, 1, 8, 8), steps=s["ddim_steps"], generator=gen))
    samples = np.clip((np.concatenate([c.numpy() for c in chunks]) + 1) / 2, 0, 1)
    log(f"{len(samples)} DDIM samples drawn")
    anc = sampler.sample((s["ancestral_samples"], 1, 8, 8), generator=gen).numpy()
    anc = np.clip((anc + 1) / 2, 0, 1)
    log(f"{len(anc)} ancestral samples drawn")
    x = glassnet.randn(10, 1, 8, 8, generator=gen)
    ks = [k for k in (1, 2, 3, 5, 8, 12, 20, 30, 50) if k <= s["timesteps"]]
    for k in ks:
        chain.append(sampler.ddim_sample(x_T=x, steps=k).numpy())
    scorer = digits_scorer(seed)
    q, qa = scorer.score(samples), scorer.score(anc)
    metrics = {**q, **C.prefixed("ancestral_", qa), "final_loss": curve[-1],
               "classifier_accuracy": scorer.test_accuracy}  # fmt: skip
    log.picture(
        "samples.png",
        lambda p: save_image_grid(
            samples[:100], p, title=f"DDIM samples ({s['ddim_steps']} steps, eta=0)"
        ),
    )
    log.picture(
        "ancestral_samples.png",
        lambda p: save_image_grid(
            anc[:100], p, title=f"ancestral samples ({s['timesteps']} steps)"
        ),
    )
    grid = np.clip((np.stack([x.numpy()] + chain, 1).reshape(-1, 1, 8, 8) + 1) / 2, 0, 1)
    steps_text = ", ".join(map(str, ks))
    log.picture(
        "denoising.png",
        lambda p: save_image_grid(
            grid, p, nrow=len(ks) + 1, title=f"row: one noise, then DDIM with {steps_text} steps"
        ),
    )
    log.picture("curves.png", lambda p: save_loss_curves({"epsilon MSE": curve}, p, xlabel="epoch"))
    explain = dict(C.DIGIT_EXPLAIN)
    explain.update(
        {
            "ancestral_" + k: v + " (ancestral sampler, fewer samples)"
            for k, v in C.DIGIT_EXPLAIN.items()
        }
    )
    explain["final_loss"] = "last epoch's mean epsilon-prediction MSE"
    return log.finish(
        {"unet": net, "unet_ema": sampler.model},
        title="digits-diffusion",
        description="DDPM (epsilon prediction) with a small U-Net on scikit-learn's 8x8 digits.",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=explain,
    )
