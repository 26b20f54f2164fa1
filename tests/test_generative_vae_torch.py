"""The digits VAE trained in glassnet and the same VAE trained in PyTorch, with the same
settings (architecture, Adam, learning rate, epochs, batch size, the same shuffling of the
data) but each framework's own initialisation and noise: the test-set ELBOs agree within a few
percent. Slow (two trainings); run with ``pytest -m slow -s`` to see the figures."""

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

from glassnet.models.generative.recipes import _common as C
from glassnet.models.generative.recipes.digits_vae import SETTINGS, train_vae
from glassnet.models.generative.vae import evaluate_elbo


class TorchVAE(tnn.Module):
    def __init__(self, d, h, z):
        super().__init__()
        self.encoder = tnn.Sequential(tnn.Linear(d, h), tnn.ReLU())
        self.fc_mu, self.fc_logvar = tnn.Linear(h, z), tnn.Linear(h, z)
        self.decoder = tnn.Sequential(tnn.Linear(z, h), tnn.ReLU(), tnn.Linear(h, d))

    def terms(self, x, eps):
        h = self.encoder(x)
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        logits = self.decoder(mu + torch.exp(0.5 * logvar) * eps)
        n = x.shape[0]
        recon = TF.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
        kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp()) / n
        return recon, kl


def train_torch_vae(x, epochs, seed, s=SETTINGS):
    torch.manual_seed(seed)
    model = TorchVAE(64, s["hidden"], s["latent_dim"])
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    rng = np.random.default_rng(seed)  # the same batches in the same order as glassnet's
    for _ in range(epochs):
        for idx in C.batches(len(x), s["batch_size"], rng):
            xb = torch.tensor(x[idx])
            recon, kl = model.terms(xb, torch.randn(len(idx), s["latent_dim"]))
            opt.zero_grad()
            (recon + kl).backward()
            opt.step()
    return model


@torch.no_grad()
def torch_elbo(model, x, seed=0):
    torch.manual_seed(seed)
    recon, kl = model.terms(torch.tensor(x), torch.randn(len(x), SETTINGS["latent_dim"]))
    return -(recon + kl).item()


@pytest.mark.slow
def test_vae_test_elbo_matches_pytorch_trained_the_same_way():
    import glassnet

    xtr, ytr, xte, _ = C.digits(8)
    ftr, fte = xtr.reshape(-1, 64), xte.reshape(-1, 64)
    epochs = SETTINGS["epochs"]
    ours, theirs = [], []
    for seed in (0, 1):
        vae, _ = train_vae(ftr, ytr, num_classes=None, epochs=epochs, seed=seed)
        ours.append(evaluate_elbo(vae, glassnet.tensor(fte), seed=seed))
        theirs.append(torch_elbo(train_torch_vae(ftr, epochs, seed), fte, seed))
    print(f"test ELBO (nats), seeds 0 and 1: glassnet {ours}, PyTorch {theirs}")
    # Two seeds per framework: the frameworks differ only in their random initialisation and
    # noise, so their mean ELBOs should agree as closely as two seeds of one framework do; the
    # issue asks for "within a few percent": 3%.
    g, t = np.mean(ours), np.mean(theirs)
    assert abs(g - t) < 0.03 * abs(t), (ours, theirs)
