"""Autoencoders, VAE and GAN players (glassnet.models.generative) against PyTorch twins written
here with the same state_dict keys: forward and every gradient in float64, then each model
overfits a small batch. Tolerances: float64 parity of a few layers, ~1e-10 relative (helpers)."""

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import glassnet
from glassnet.models.generative import gan as ggan
from glassnet.models.generative.autoencoder import (
    Autoencoder,
    ConvAutoencoder,
    autoencoder_train_step,
)
from glassnet.models.generative.vae import VAE, evaluate_elbo, vae_train_step
from tests.helpers import check_layer


def _one_hot(y, k):
    return TF.one_hot(y, k).to(torch.float64)


class TorchAE(tnn.Module):
    def __init__(self, d, h, z, k=None):
        super().__init__()
        self.k = k
        self.encoder = tnn.Sequential(tnn.Linear(d, h), tnn.ReLU(), tnn.Linear(h, z))
        self.decoder = tnn.Sequential(
            tnn.Linear(z + (k or 0), h), tnn.ReLU(), tnn.Linear(h, d), tnn.Sigmoid()
        )

    def forward(self, x, y=None):
        z = self.encoder(x)
        if self.k:
            z = torch.cat([z, _one_hot(y, self.k)], 1)
        return self.decoder(z)


class TorchConvAE(tnn.Module):
    def __init__(self, c, s, w, z, k=None):
        super().__init__()
        self.k, self.small = k, (2 * w, s // 4, s // 4)
        flat = 2 * w * (s // 4) ** 2
        self.encoder = tnn.Sequential(
            tnn.Conv2d(c, w, 3, 2, 1),
            tnn.ReLU(),
            tnn.Conv2d(w, 2 * w, 3, 2, 1),
            tnn.ReLU(),
            tnn.Flatten(),
            tnn.Linear(flat, z),
        )
        self.project = tnn.Linear(z + (k or 0), flat)
        self.decoder = tnn.Sequential(
            tnn.ReLU(),
            tnn.ConvTranspose2d(2 * w, w, 4, 2, 1),
            tnn.ReLU(),
            tnn.ConvTranspose2d(w, c, 4, 2, 1),
            tnn.Sigmoid(),
        )

    def forward(self, x, y=None):
        z = self.encoder(x)
        if self.k:
            z = torch.cat([z, _one_hot(y, self.k)], 1)
        return self.decoder(self.project(z).reshape(z.shape[0], *self.small))


class TorchVAE(tnn.Module):
    def __init__(self, d, h, z, k=None):
        super().__init__()
        self.k = k
        self.encoder = tnn.Sequential(tnn.Linear(d + (k or 0), h), tnn.ReLU())
        self.fc_mu, self.fc_logvar = tnn.Linear(h, z), tnn.Linear(h, z)
        self.decoder = tnn.Sequential(tnn.Linear(z + (k or 0), h), tnn.ReLU(), tnn.Linear(h, d))

    def lab(self, v, y):
        return torch.cat([v, _one_hot(y, self.k)], 1) if self.k else v

    def forward(self, x, eps, y=None):
        h = self.encoder(self.lab(x, y))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.decoder(self.lab(z, y))
        n = x.shape[0]
        recon = TF.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
        kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp()) / n
        return logits, recon, kl


class TorchG(tnn.Module):
    """DCGAN generator for 16x16 written out layer by layer (two upsampling stages)."""

    def __init__(self, nz, w, k=None):
        super().__init__()
        self.k = k
        self.main = tnn.Sequential(
            tnn.ConvTranspose2d(nz + (k or 0), 2 * w, 4, 1, 0, bias=False),
            tnn.BatchNorm2d(2 * w),
            tnn.ReLU(),
            tnn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),
            tnn.BatchNorm2d(w),
            tnn.ReLU(),
            tnn.ConvTranspose2d(w, 1, 4, 2, 1, bias=False),
            tnn.Tanh(),
        )

    def forward(self, z, y=None):
        if self.k:
            z = torch.cat([z, _one_hot(y, self.k)], 1)
        return self.main(z[:, :, None, None])


class TorchD(tnn.Module):
    def __init__(self, w, k=None):
        super().__init__()
        self.k = k
        self.main = tnn.Sequential(
            tnn.Conv2d(1 + (k or 0), w, 4, 2, 1, bias=False),
            tnn.LeakyReLU(0.2),
            tnn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),
            tnn.BatchNorm2d(2 * w),
            tnn.LeakyReLU(0.2),
            tnn.Conv2d(2 * w, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x, y=None):
        if self.k:
            planes = _one_hot(y, self.k)[:, :, None, None].expand(-1, -1, *x.shape[2:])
            x = torch.cat([x, planes], 1)
        return self.main(x).reshape(-1)


def _labels(n, k, seed=0):
    return np.random.default_rng(seed).integers(0, k, size=n).astype(np.int64)


def _uniform(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=shape)


@pytest.mark.parametrize("k", [None, 3])
def test_mlp_autoencoder_matches_torch(k):
    x = _uniform((5, 12))
    inputs = [x] if k is None else [x, _labels(5, k)]
    check_layer(Autoencoder(12, 7, 3, num_classes=k), TorchAE(12, 7, 3, k), None, inputs=inputs)


@pytest.mark.parametrize("k", [None, 4])
def test_conv_autoencoder_matches_torch(k):
    x = _uniform((3, 1, 8, 8))
    inputs = [x] if k is None else [x, _labels(3, k)]
    check_layer(
        ConvAutoencoder(1, 8, 4, 5, num_classes=k), TorchConvAE(1, 8, 4, 5, k), None, inputs=inputs
    )


@pytest.mark.parametrize("k", [None, 3])
def test_vae_loss_terms_and_gradients_match_torch(k):
    x, eps = _uniform((6, 10)), np.random.default_rng(1).normal(size=(6, 4))
    inputs = [x, eps] if k is None else [x, eps, _labels(6, k)]

    def forward(layer, x, eps, y=None):
        if isinstance(layer, tnn.Module):
            return layer(x, eps, y)
        terms = layer.loss(x, y, eps)
        # the logits too, so the comparison covers the decoder output and the two ELBO terms
        return layer(x, y, eps)[0], terms["recon"], terms["kl"]

    g = VAE(10, 8, 4, num_classes=k)
    check_layer(g, TorchVAE(10, 8, 4, k), None, inputs=inputs, forward=forward, input_grad=False)
    # elbo = -(recon + kl) and loss = recon + beta * kl, computed by hand from the parts.
    g.beta = 4.0
    xs = [glassnet.tensor(a) for a in inputs]
    terms = g.loss(xs[0], xs[2] if k else None, xs[1])
    r, kl = terms["recon"].item(), terms["kl"].item()
    assert terms["elbo"].item() == pytest.approx(-(r + kl), rel=1e-12)
    assert terms["loss"].item() == pytest.approx(r + 4.0 * kl, rel=1e-12)


def test_vae_kl_matches_torch_distributions():
    # An independent oracle for the closed-form KL: torch.distributions' Normal KL.
    rng = np.random.default_rng(3)
    mu, logvar = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(4, 3, dtype=torch.float64), 1.0)
    expected = torch.distributions.kl_divergence(q, p).sum().item() / 4
    g = VAE(5, 6, 3).to("float64")
    # encode through zero weights so mu and logvar are exactly the biases we set
    for lin, b in ((g.fc_mu, mu), (g.fc_logvar, logvar)):
        glassnet.nn.init.zeros_(lin.weight)
    xs = glassnet.tensor(_uniform((4, 5)))
    h = g.encoder(xs)
    mu_g = h @ g.fc_mu.weight.T + glassnet.tensor(mu)
    lv_g = h @ g.fc_logvar.weight.T + glassnet.tensor(logvar)
    kl = -0.5 * (1 + lv_g - mu_g * mu_g - lv_g.exp()).sum().item() / 4
    assert kl == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("k", [None, 3])
def test_dcgan_generator_matches_torch(k):
    z = np.random.default_rng(0).normal(size=(4, 6))
    inputs = [z] if k is None else [z, _labels(4, k)]
    check_layer(
        ggan.DCGANGenerator(6, 4, image_size=16, num_classes=k),
        TorchG(6, 4, k),
        None,
        inputs=inputs,
    )


@pytest.mark.parametrize("k", [None, 3])
def test_dcgan_discriminator_matches_torch(k):
    x = np.random.default_rng(0).uniform(-1, 1, size=(4, 1, 16, 16))
    inputs = [x] if k is None else [x, _labels(4, k)]
    check_layer(
        ggan.DCGANDiscriminator(4, image_size=16, num_classes=k), TorchD(4, k), None, inputs=inputs
    )


def test_gan_train_step_matches_torch_alternating_updates():
    """One full turn (D step then G step, label smoothing 0.9) with SGD in both frameworks:
    both losses and every weight afterwards agree in float64."""
    g_G, g_D = ggan.DCGANGenerator(6, 4, image_size=16), ggan.DCGANDiscriminator(4, image_size=16)
    t_G, t_D = TorchG(6, 4).double(), TorchD(4).double()
    g_G.to("float64"), g_D.to("float64")
    for t, g in ((t_G, g_G), (t_D, g_D)):
        g.load_state_dict({k: glassnet.tensor(v.numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(0)
    real, z = rng.uniform(-1, 1, size=(4, 1, 16, 16)), rng.normal(size=(4, 6))
    opt = glassnet.optim.SGD
    losses = ggan.gan_train_step(
        g_G,
        g_D,
        opt(g_G.parameters(), lr=0.1),
        opt(g_D.parameters(), lr=0.1),
        glassnet.tensor(real),
        glassnet.tensor(z),
    )
    to_G, to_D = (
        torch.optim.SGD(t_G.parameters(), lr=0.1),
        torch.optim.SGD(t_D.parameters(), lr=0.1),
    )
    tr, tz = torch.tensor(real), torch.tensor(z)
    fake = t_G(tz)
    bce = TF.binary_cross_entropy_with_logits
    loss_d = bce(t_D(tr), torch.full((4,), 0.9, dtype=torch.float64)) + bce(
        t_D(fake.detach()), torch.zeros(4, dtype=torch.float64)
    )
    to_D.zero_grad(), loss_d.backward(), to_D.step()
    loss_g = bce(t_D(fake), torch.ones(4, dtype=torch.float64))
    to_G.zero_grad(), loss_g.backward(), to_G.step()
    assert losses == pytest.approx((loss_d.item(), loss_g.item()), rel=1e-10)
    for t, g in ((t_G, g_G), (t_D, g_D)):
        gs = g.state_dict()
        for key, v in t.state_dict().items():
            np.testing.assert_allclose(gs[key].numpy(), v.numpy(), rtol=1e-9, atol=1e-12)


def test_mlp_gan_players_match_torch():
    tg = tnn.Sequential(
        tnn.Linear(5, 8), tnn.LeakyReLU(0.2), tnn.Linear(8, 8), tnn.LeakyReLU(0.2), tnn.Linear(8, 2)
    )
    twin = tnn.Module()
    twin.main = tg
    twin.forward = lambda z: tg(z)
    check_layer(ggan.MLPGenerator(5, 8, 2), twin, [(6, 5)])


def test_labels_are_required_exactly_for_conditional_models():
    with pytest.raises(ValueError, match="num_classes=3"):
        VAE(4, 4, 2, num_classes=3).loss(glassnet.rand(2, 4))
    with pytest.raises(ValueError, match="takes no labels"):
        Autoencoder(4, 4, 2)(glassnet.rand(2, 4), glassnet.tensor([0, 1]))


def _digits(n=32):
    from glassnet import datasets

    b = datasets.load("digits")
    return b.x_train[:n], b.y_train[:n]


def test_autoencoders_overfit_a_small_batch():
    glassnet.manual_seed(0)
    x, _ = _digits()
    for model, xb in (
        (Autoencoder(64, 64, 16), glassnet.tensor(x.reshape(len(x), 64))),
        (ConvAutoencoder(1, 8, 8, 16), glassnet.tensor(x)),
    ):
        opt = glassnet.optim.Adam(model.parameters(), lr=3e-3)
        first = autoencoder_train_step(model, opt, xb)
        for _ in range(300):
            last = autoencoder_train_step(model, opt, xb)
        # the digits' pixel variance is ~0.17; an overfit batch is rebuilt far below that
        assert last < 0.1 * first and last < 0.01, (first, last)


def test_vae_overfits_a_small_batch_and_its_elbo_rises():
    glassnet.manual_seed(0)
    x, y = _digits()
    xb = glassnet.tensor(x.reshape(len(x), 64))
    vae = VAE(64, 64, 4, num_classes=10)
    opt = glassnet.optim.Adam(vae.parameters(), lr=3e-3)
    yb = glassnet.tensor(y)
    before = evaluate_elbo(vae, xb, yb)
    vae.train()
    for _ in range(300):
        vae_train_step(vae, opt, xb, yb)
    after = evaluate_elbo(vae, xb, yb)
    # An untrained decoder gives each of 64 pixels ~log 2 nats of error (~44 nats); the lowest
    # possible error of grey-valued pixels (their own entropy) is ~17 nats for these digits.
    assert before < -40 and after > -30, (before, after)


def test_gan_players_learn_a_small_batch():
    """Overfitting a GAN means D separates the batch's real images from G's samples while G
    keeps improving against it: after training, D scores the real batch far above fresh fakes
    when G is frozen (one extra D-only phase), i.e. both players learned something real."""
    glassnet.manual_seed(0)
    x, _ = _digits(16)
    real = glassnet.tensor(x.reshape(16, 1, 8, 8) * 2 - 1)
    G, D = ggan.DCGANGenerator(8, 8, image_size=8), ggan.DCGANDiscriminator(8, image_size=8)
    G.apply(ggan.dcgan_init), D.apply(ggan.dcgan_init)
    opt_g = glassnet.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = glassnet.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(150):
        ld, lg = ggan.gan_train_step(G, D, opt_g, opt_d, real, glassnet.randn(16, 8))
    assert np.isfinite(ld) and np.isfinite(lg)
    # G has moved off noise: its samples' pixel mean approaches the real images' (-0.38), not 0
    with glassnet.no_grad():
        G.eval()
        fake = G(glassnet.randn(64, 8)).numpy()
    assert abs(fake.mean() - real.numpy().mean()) < 0.2, (fake.mean(), real.numpy().mean())
