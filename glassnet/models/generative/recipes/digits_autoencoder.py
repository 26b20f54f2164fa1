"""``glassnet train digits-autoencoder``: an MLP and a convolutional autoencoder on the digits.

Both learn to rebuild 8x8 digits through a 16-number code (mean squared error). An
autoencoder has no sampling rule of its own; its "samples" here decode codes drawn from a
Gaussian fitted to the training digits' codes, which shows how little of the code space is
covered by real digits. Writes reconstructions.png, samples.png, curves.png, the weights and
report.md with the test reconstruction errors and the digits quality figures of the samples.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.generative.autoencoder import (
    Autoencoder,
    ConvAutoencoder,
    autoencoder_train_step,
)
from glassnet.models.generative.quality import digits_scorer
from glassnet.models.generative.recipes import _common as C

SETTINGS = {"epochs": 60, "batch_size": 64, "lr": 2e-3, "latent_dim": 16, "hidden": 128,
            "width": 16, "samples": 500}  # fmt: skip


def _train(model, x, epochs, seed, log, name):
    opt = glassnet.optim.Adam(model.parameters(), lr=SETTINGS["lr"])
    rng, curve = np.random.default_rng(seed), []
    for epoch in range(epochs):
        model.train()
        losses = [
            autoencoder_train_step(model, opt, glassnet.tensor(x[idx]))
            for idx in C.batches(len(x), SETTINGS["batch_size"], rng)
        ]
        curve.append(float(np.mean(losses)))
        if epoch % 20 == 19 or epoch == epochs - 1:
            log(f"{name} epoch {epoch + 1}/{epochs} mse {curve[-1]:.5f}")
    return model.eval(), curve


@glassnet.no_grad()
def _mse(model, x):
    return float(((model(glassnet.tensor(x)).numpy() - x) ** 2).mean())


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    from glassnet.viz.samples import save_image_grid, save_loss_curves

    s, log = SETTINGS, C.start(run_dir, "digits-autoencoder", progress)
    epochs = epochs or s["epochs"]
    xtr, _, xte, _ = C.digits(8)
    glassnet.manual_seed(seed)
    mlp, mlp_curve = _train(
        Autoencoder(64, s["hidden"], s["latent_dim"]), xtr.reshape(-1, 64), epochs, seed, log, "mlp"
    )
    conv, conv_curve = _train(
        ConvAutoencoder(1, 8, s["width"], s["latent_dim"]), xtr, epochs, seed, log, "conv"
    )
    with glassnet.no_grad():
        codes = conv.encode(glassnet.tensor(xtr)).numpy().astype(np.float64)
        mu, cov = codes.mean(0), np.cov(codes, rowvar=False)
        z = np.random.default_rng(seed + 1).multivariate_normal(mu, cov, size=s["samples"])
        samples = conv.decode(glassnet.tensor(z.astype(np.float32))).numpy()
        recon = conv(glassnet.tensor(xte[:10])).numpy()
        recon_mlp = mlp(glassnet.tensor(xte[:10].reshape(10, 64))).numpy()
    scorer = digits_scorer(seed)
    metrics = {
        "mlp_test_mse": _mse(mlp, xte.reshape(-1, 64)),
        "conv_test_mse": _mse(conv, xte),
        # the error of always answering the mean training digit: what "learned nothing" costs
        "mean_image_mse": float(((xte - xtr.mean(0)) ** 2).mean()),
        "conv_recon_accuracy": float(
            (
                scorer.predict_proba(conv(glassnet.tensor(xte)).detach().numpy()).argmax(1)
                == scorer.y_test
            ).mean()
        ),  # fmt: skip
        **scorer.score(samples),
        "classifier_accuracy": scorer.test_accuracy,
    }
    both = np.concatenate([xte[:10], recon_mlp.reshape(10, 1, 8, 8), recon])
    log.picture(
        "reconstructions.png",
        lambda p: save_image_grid(
            both, p, title="test digits; MLP reconstructions; conv reconstructions"
        ),
    )
    log.picture(
        "samples.png",
        lambda p: save_image_grid(
            samples[:100], p, title="conv AE: codes drawn from a Gaussian fitted to real codes"
        ),
    )
    log.picture(
        "curves.png",
        lambda p: save_loss_curves(
            {"MLP AE mse": mlp_curve, "conv AE mse": conv_curve}, p, xlabel="epoch"
        ),
    )
    explain = dict(C.DIGIT_EXPLAIN)
    explain.update(
        {
            "mlp_test_mse": "MLP autoencoder: mean squared error per pixel on the test digits",
            "conv_test_mse": "convolutional autoencoder: the same",
            "mean_image_mse": "the same error for always answering the mean digit (the baseline)",
            "conv_recon_accuracy": "the classifier's accuracy on the conv reconstructions",
        }
    )
    return log.finish(
        {"mlp_autoencoder": mlp, "conv_autoencoder": conv},
        title="digits-autoencoder",
        description="MLP and convolutional autoencoders (16-number codes) on the 8x8 digits; "
        "sample figures are for decoded Gaussian codes.",
        settings={**s, "epochs": epochs, "seed": seed},
        metrics=metrics,
        explain=explain,
    )
