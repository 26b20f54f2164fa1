"""``glassnet train digits-vae``: a VAE and a class-conditional VAE on the 8x8 digits.

Writes samples.png (the VAE's samples), conditional_samples.png (one row per asked-for digit),
reconstructions.png (test digits, top, and their reconstructions), interpolation.png (decoded
points on straight lines between the codes of test digits), curves.png, the weights and
report.md with the test ELBO (nats) and the digits quality figures.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative.quality import digits_scorer
from glassnet.models.generative.recipes import _common as C
from glassnet.models.generative.vae import VAE, evaluate_elbo, vae_train_step

SETTINGS = {"epochs": 60, "batch_size": 64, "lr": 1e-3, "hidden": 256, "latent_dim": 8,
            "beta": 1.0, "samples": 500}  # fmt: skip


def train_vae(x, y, *, num_classes, epochs, seed, log=None, settings=SETTINGS):
    """Train a (conditional) VAE on flat digits ``x``; returns it and the per-epoch losses."""
    glassnet.manual_seed(seed)
    model = VAE(64, settings["hidden"], settings["latent_dim"], num_classes, settings["beta"])
    opt = glassnet.optim.Adam(model.parameters(), lr=settings["lr"])
    rng, curve = np.random.default_rng(seed), []
    for epoch in range(epochs):
        model.train()
        total = []
        for idx in C.batches(len(x), settings["batch_size"], rng):
            yb = glassnet.tensor(y[idx]) if num_classes else None
            total.append(vae_train_step(model, opt, glassnet.tensor(x[idx]), yb)["loss"])
        curve.append(float(np.mean(total)))
        if log and (epoch % 10 == 9 or epoch == epochs - 1):
            log(f"epoch {epoch + 1}/{epochs} loss {curve[-1]:.2f}")
    return model.eval(), curve


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_image_grid, save_loss_curves

    s, log = SETTINGS, C.start(run_dir, "digits-vae", progress)
    epochs = epochs or s["epochs"]
    xtr, ytr, xte, yte = C.digits(8)
    ftr, fte = xtr.reshape(-1, 64), xte.reshape(-1, 64)
    vae, curve = train_vae(ftr, ytr, num_classes=None, epochs=epochs, seed=seed, log=log)
    cvae, ccurve = train_vae(ftr, ytr, num_classes=10, epochs=epochs, seed=seed, log=log)
    scorer = digits_scorer(seed)
    n = s["samples"]
    glassnet.manual_seed(seed + 1)
    samples = vae.sample(n).numpy()
    asked = np.arange(n) % 10
    csamples = cvae.sample(n, glassnet.tensor(asked)).numpy()
    q = scorer.score(samples)
    cq = scorer.score(csamples, asked)
    metrics = {
        "test_elbo": evaluate_elbo(vae, glassnet.tensor(fte), seed=seed),
        "train_elbo": evaluate_elbo(vae, glassnet.tensor(ftr), seed=seed),
        "cvae_test_elbo": evaluate_elbo(
            cvae, glassnet.tensor(fte), glassnet.tensor(yte), seed=seed
        ),
        **q,
        **C.prefixed("cvae_", cq),
        "classifier_accuracy": scorer.test_accuracy,
    }
    with glassnet.no_grad():
        mu, _ = vae.encode(glassnet.tensor(fte[:10]))
        recon = vae.decode(mu).sigmoid().numpy()
        a, b = mu.numpy()[:5], mu.numpy()[5:10]
        w = np.linspace(0, 1, 10)[None, :, None]
        line = (a[:, None] * (1 - w) + b[:, None] * w).reshape(50, -1)
        interp = vae.decode(glassnet.tensor(line.astype(np.float32))).sigmoid().numpy()
    log.picture("samples.png", lambda p: save_image_grid(samples[:100], p, title="VAE samples"))
    order = np.argsort(asked[:100], kind="stable")
    log.picture(
        "conditional_samples.png",
        lambda p: save_image_grid(
            csamples[:100][order], p, title="conditional VAE: row k asked for digit k"
        ),
    )
    log.picture(
        "reconstructions.png",
        lambda p: save_image_grid(
            np.concatenate([fte[:10], recon]), p, title="test digits (top), reconstructions"
        ),
    )
    log.picture(
        "interpolation.png",
        lambda p: save_image_grid(
            interp, p, title="latent interpolation between pairs of test digits"
        ),
    )
    log.picture(
        "curves.png",
        lambda p: save_loss_curves(
            {"VAE -ELBO": curve, "conditional VAE -ELBO": ccurve}, p, xlabel="epoch"
        ),
    )
    explain = dict(C.DIGIT_EXPLAIN)
    explain.update(
        {
            "test_elbo": "evidence lower bound on log p(x), nats per test digit (higher is better)",
            "train_elbo": "the same on the training digits",
            "cvae_test_elbo": "conditional VAE's ELBO of log p(x | y), nats per test digit",
        }
    )
    explain.update({"cvae_" + k: v for k, v in C.DIGIT_EXPLAIN.items()})
    return log.finish(
        {"vae": vae, "cvae": cvae},
        title="digits-vae",
        description="A VAE (and a class-conditional VAE) on scikit-learn's 8x8 digits; "
        "Bernoulli decoder on grey values, so the ELBO is in nats of that likelihood.",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=explain,
    )
