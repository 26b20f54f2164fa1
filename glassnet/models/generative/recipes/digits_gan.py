"""``glassnet train digits-gan``: DCGAN on the digits upsampled to 16x16, and its conditional
version (asked for a digit, it draws that digit).

Images are scaled to [-1, 1] (the generator ends in tanh); each step is ``gan_train_step``: one
discriminator update, one generator update, Adam with beta1 = 0.5 for both (the DCGAN
setting: less momentum keeps the game from oscillating). Writes samples.png,
conditional_samples.png, losses.png (both players, both models), the weights and report.md
with the digits quality figures (the 16x16 samples averaged back to 8x8 for the classifier).
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative import gan
from glassnet.models.generative.quality import digits_scorer
from glassnet.models.generative.recipes import _common as C

SETTINGS = {"epochs": 25, "batch_size": 64, "lr": 2e-4, "nz": 32, "width": 32,
            "real_label": 0.9, "samples": 500, "conditional": True}  # fmt: skip


def train_gan(x, y, *, num_classes, epochs, seed, log, settings=SETTINGS):
    """Train a (conditional) DCGAN on images ``x`` in [-1, 1]; returns G, D and the losses of
    both players per step."""
    s = settings
    glassnet.manual_seed(seed)
    G = gan.DCGANGenerator(s["nz"], s["width"], 1, x.shape[-1], num_classes)
    D = gan.DCGANDiscriminator(s["width"], 1, x.shape[-1], num_classes)
    G.apply(gan.dcgan_init)
    D.apply(gan.dcgan_init)
    opt_g = glassnet.optim.Adam(G.parameters(), lr=s["lr"], betas=(0.5, 0.999))
    opt_d = glassnet.optim.Adam(D.parameters(), lr=s["lr"], betas=(0.5, 0.999))
    rng, losses_d, losses_g = np.random.default_rng(seed), [], []
    for epoch in range(epochs):
        G.train(), D.train()
        for idx in C.batches(len(x), s["batch_size"], rng):
            yb = glassnet.tensor(y[idx]) if num_classes else None
            z = glassnet.randn(len(idx), s["nz"])
            ld, lg = gan.gan_train_step(
                G, D, opt_g, opt_d, glassnet.tensor(x[idx]), z, yb, real_label=s["real_label"]
            )
            losses_d.append(ld)
            losses_g.append(lg)
        if epoch % 5 == 4 or epoch == epochs - 1:
            log(
                f"{'c' if num_classes else ''}GAN epoch {epoch + 1}/{epochs} "
                f"D {np.mean(losses_d[-20:]):.3f} G {np.mean(losses_g[-20:]):.3f}"
            )
    return G.eval(), D.eval(), losses_d, losses_g


@glassnet.no_grad()
def generate(G, n, y=None, seed=0):
    """``n`` samples in [0, 1] from a trained generator (eval mode: BatchNorm's running stats)."""
    z = glassnet.randn(n, G.nz, generator=glassnet.Generator(seed))
    return (G(z, None if y is None else glassnet.tensor(y)).numpy() + 1) / 2


def _smooth(v, k=20):
    v = np.asarray(v)
    return np.convolve(v, np.ones(k) / k, mode="valid") if len(v) > k else v


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_image_grid, save_loss_curves

    s, log = SETTINGS, C.start(run_dir, "digits-gan", progress)
    epochs = epochs or s["epochs"]
    xtr, ytr, _, _ = C.digits(16)
    xtr = xtr * 2 - 1
    G, D, ld, lg = train_gan(xtr, ytr, num_classes=None, epochs=epochs, seed=seed, log=log)
    scorer = digits_scorer(seed)
    n = s["samples"]
    samples = generate(G, n, seed=seed + 1)
    metrics = {**scorer.score(samples)}
    curves = {"D (GAN)": _smooth(ld), "G (GAN)": _smooth(lg)}
    log.picture(
        "samples.png", lambda p: save_image_grid(samples[:100], p, title="DCGAN samples (16x16)")
    )
    models = {"generator": G, "discriminator": D}
    if s["conditional"]:
        cG, cD, cld, clg = train_gan(xtr, ytr, num_classes=10, epochs=epochs, seed=seed, log=log)
        asked = np.arange(n) % 10
        csamples = generate(cG, n, asked, seed=seed + 1)
        metrics.update(C.prefixed("cgan_", scorer.score(csamples, asked)))
        curves.update({"D (conditional)": _smooth(cld), "G (conditional)": _smooth(clg)})
        order = np.argsort(asked[:100], kind="stable")
        log.picture(
            "conditional_samples.png",
            lambda p: save_image_grid(
                csamples[:100][order], p, title="conditional DCGAN: row k asked for digit k"
            ),
        )
        models.update({"cond_generator": cG, "cond_discriminator": cD})
    metrics["classifier_accuracy"] = scorer.test_accuracy
    log.picture(
        "losses.png",
        lambda p: save_loss_curves(
            curves, p, title="both players' losses (moving average of 20 steps)"
        ),
    )
    explain = dict(C.DIGIT_EXPLAIN)
    explain.update({"cgan_" + k: "conditional GAN: " + v for k, v in C.DIGIT_EXPLAIN.items()})
    return log.finish(
        models,
        title="digits-gan",
        description="DCGAN (BatchNorm, LeakyReLU, one-sided label smoothing) on the digits "
        "upsampled to 16x16, and its class-conditional version.",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=explain,
    )
