"""Variational autoencoder (Kingma and Welling, 2014): a probabilistic latent space.

The encoder gives, for each input, a Gaussian ``q(z|x) = N(mu, exp(logvar))`` instead of one
code. Training maximises the evidence lower bound (ELBO), in nats per example::

    ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))

The expectation is estimated with one sample drawn by the *reparameterisation trick*,
``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``: the randomness sits in ``eps``, so the
gradient flows through ``mu`` and ``logvar``. The KL term between two Gaussians has a closed form,
``-1/2 sum(1 + logvar - mu^2 - exp(logvar))``. The decoder gives Bernoulli logits per pixel, so
``log p(x|z)`` is minus the binary cross-entropy, summed over pixels (grey values in [0, 1] are
treated as pixel probabilities, as in the usual MNIST VAE). ``beta`` weights the KL term in the
training loss (beta-VAE: ``beta > 1`` trades reconstruction for a smoother latent space); the
reported ELBO always uses beta = 1. With ``num_classes`` the encoder and decoder both get the
class (a conditional VAE: sample a chosen digit).

>>> import glassnet
>>> _ = glassnet.manual_seed(0)
>>> vae = VAE(64, hidden=32, latent_dim=2)
>>> terms = vae.loss(glassnet.rand(8, 64))
>>> sorted(terms)
['elbo', 'kl', 'loss', 'recon']
>>> vae.sample(3).shape
glassnet.Size([3, 64])
"""

from __future__ import annotations

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.generative._conditioning import check_labels, one_hot


class VAE(nn.Module):
    """MLP VAE for flat inputs in [0, 1]: ``in_features -> hidden -> (mu, logvar)``, and
    ``latent_dim -> hidden -> in_features`` logits."""

    def __init__(self, in_features=64, hidden=256, latent_dim=8, num_classes=None, beta=1.0):
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.beta = float(beta)
        extra = num_classes or 0
        self.encoder = nn.Sequential(nn.Linear(in_features + extra, hidden), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim + extra, hidden), nn.ReLU(), nn.Linear(hidden, in_features)
        )

    def extra_repr(self):
        return f"latent_dim={self.latent_dim}, beta={self.beta}, num_classes={self.num_classes}"

    def _with_label(self, v, y):
        check_labels(self, y)
        if not self.num_classes:
            return v
        return glassnet.cat([v, one_hot(y, self.num_classes, v.dtype)], dim=1)

    def encode(self, x, y=None):
        """The Gaussian ``q(z|x)``: its mean and log-variance, each ``(N, latent_dim)``."""
        h = self.encoder(self._with_label(x, y))
        return self.fc_mu(h), self.fc_logvar(h)

    @staticmethod
    def reparameterize(mu, logvar, eps=None):
        """``z = mu + sigma * eps``: a sample of ``q(z|x)`` that gradients can flow through."""
        if eps is None:
            eps = glassnet.randn(*mu.shape, dtype=mu.dtype, device=mu.device)
        return mu + (0.5 * logvar).exp() * eps

    def decode(self, z, y=None):
        """Bernoulli logits of ``p(x|z)`` (``sigmoid`` gives the pixel values)."""
        return self.decoder(self._with_label(z, y))

    def forward(self, x, y=None, eps=None):
        """``(logits, mu, logvar)`` for one reparameterised sample per input."""
        mu, logvar = self.encode(x, y)
        return self.decode(self.reparameterize(mu, logvar, eps), y), mu, logvar

    def loss(self, x, y=None, eps=None):
        """The terms of the (beta-)ELBO, each a mean over the batch in nats per example:
        ``recon = -log p(x|z)``, ``kl``, ``elbo = -(recon + kl)`` and the training ``loss =
        recon + beta * kl``."""
        logits, mu, logvar = self(x, y, eps)
        n = x.shape[0]
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum() / n
        return {"loss": recon + self.beta * kl, "recon": recon, "kl": kl, "elbo": -(recon + kl)}

    def sample(self, n, y=None, z=None):
        """``n`` new inputs decoded from ``z ~ N(0, I)`` (pixel values in [0, 1])."""
        if z is None:
            w = self.fc_mu.weight
            z = glassnet.randn(n, self.latent_dim, dtype=w.dtype, device=w.device)
        with glassnet.no_grad():
            return self.decode(z, y).sigmoid()


def vae_train_step(model, optimizer, x, y=None):
    """One step on the negative (beta-)ELBO; returns the batch's terms as floats."""
    terms = model.loss(x, y)
    optimizer.zero_grad()
    terms["loss"].backward()
    optimizer.step()
    return {k: float(v.item()) for k, v in terms.items()}


@glassnet.no_grad()
def evaluate_elbo(model, x, y=None, batch_size=256, seed=0):
    """The mean ELBO (nats per example) of ``x`` under ``model``, one ``eps`` sample each,
    seeded so two evaluations of the same model agree."""
    model.eval()
    gen = glassnet.Generator(seed)
    total = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        yb = None if y is None else y[i : i + batch_size]
        eps = glassnet.randn(xb.shape[0], model.latent_dim, dtype=xb.dtype, generator=gen)
        total += float(model.loss(xb, yb, eps)["elbo"].item()) * xb.shape[0]
    return total / x.shape[0]
