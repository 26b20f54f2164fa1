"""Generative adversarial networks (Goodfellow et al., 2014): a generator against a discriminator.

The generator ``G`` turns noise ``z`` into a sample; the discriminator ``D`` gives a logit for
"this is real". They take turns: ``D`` learns to tell real from generated, then ``G`` learns to
make ``D`` call its samples real. ``gan_train_step`` is that whole game, one turn each.

``DCGANGenerator`` and ``DCGANDiscriminator`` follow Radford et al. (2016) for small images:

- transposed convolutions upsample in ``G``, strided convolutions downsample in ``D`` (no pooling);
- BatchNorm after each hidden layer of ``G`` and of ``D`` (not ``D``'s first one): it keeps the
  activations' scale steady while the two players move;
- ReLU in ``G``, tanh at its output (images in [-1, 1]); LeakyReLU(0.2) in ``D``, so ``D`` passes
  a gradient for negative inputs too and ``G`` is never left without a signal;
- weights initialised from N(0, 0.02) (``dcgan_init``).

``MLPGenerator`` and ``MLPDiscriminator`` are the same game for 2-D points (the moons).
With ``num_classes``, ``G`` gets the class one-hot next to ``z`` and ``D`` gets it as extra
input planes (a conditional GAN: ask for a digit).

>>> import glassnet
>>> G, D = DCGANGenerator(nz=8, width=8, image_size=16), DCGANDiscriminator(width=8, image_size=16)
>>> fake = G(glassnet.randn(4, 8))
>>> fake.shape, D(fake).shape
(glassnet.Size([4, 1, 16, 16]), glassnet.Size([4]))
"""

from __future__ import annotations

import math

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.generative._conditioning import check_labels, label_planes, one_hot
from glassnet.nn._arguments import InvalidArgumentError


def _stages(image_size):
    stages = math.log2(image_size / 4) if image_size >= 8 else 0.5
    if stages != int(stages):
        raise InvalidArgumentError(
            f"DCGAN: image_size={image_size} must be 4 times a power of two (8, 16, 32, 64)"
        )
    return int(stages)


class DCGANGenerator(nn.Module):
    """``z (N, nz)`` -> image ``(N, channels, image_size, image_size)`` in [-1, 1]."""

    def __init__(self, nz=32, width=32, channels=1, image_size=16, num_classes=None):
        super().__init__()
        self.nz, self.num_classes = nz, num_classes
        n = _stages(image_size)
        c = width * 2 ** (n - 1)
        # 1x1 -> 4x4: a transposed convolution with a 4x4 kernel is a dense layer to a 4x4 map.
        layers = [
            nn.ConvTranspose2d(nz + (num_classes or 0), c, 4, 1, 0, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
        ]
        for _ in range(n - 1):
            layers += [
                nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c // 2),
                nn.ReLU(),
            ]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z, y=None):
        check_labels(self, y)
        if self.num_classes:
            z = glassnet.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        return self.main(z.reshape(z.shape[0], z.shape[1], 1, 1))


class DCGANDiscriminator(nn.Module):
    """Image ``(N, channels, image_size, image_size)`` -> ``(N,)`` logits of "real"."""

    def __init__(self, width=32, channels=1, image_size=16, num_classes=None):
        super().__init__()
        self.num_classes = num_classes
        n = _stages(image_size)
        # No BatchNorm on the first layer: it would normalise away the input images' statistics.
        layers = [
            nn.Conv2d(channels + (num_classes or 0), width, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2),
        ]
        c = width
        for _ in range(n - 1):
            layers += [
                nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False),
                nn.BatchNorm2d(2 * c),
                nn.LeakyReLU(0.2),
            ]
            c *= 2
        layers += [nn.Conv2d(c, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, x, y=None):
        check_labels(self, y)
        if self.num_classes:
            planes = label_planes(y, self.num_classes, x.shape[2], x.shape[3], x.dtype)
            x = glassnet.cat([x, planes], dim=1)
        return self.main(x).reshape(x.shape[0])


class MLPGenerator(nn.Module):
    """``z (N, nz)`` -> points ``(N, out_features)``: a small MLP for 2-D data."""

    def __init__(self, nz=8, hidden=64, out_features=2, num_classes=None):
        super().__init__()
        self.nz, self.num_classes = nz, num_classes
        self.main = nn.Sequential(
            nn.Linear(nz + (num_classes or 0), hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, out_features),
        )

    def forward(self, z, y=None):
        check_labels(self, y)
        if self.num_classes:
            z = glassnet.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        return self.main(z)


class MLPDiscriminator(nn.Module):
    """Points ``(N, in_features)`` -> ``(N,)`` logits of "real"."""

    def __init__(self, in_features=2, hidden=64, num_classes=None):
        super().__init__()
        self.num_classes = num_classes
        self.main = nn.Sequential(
            nn.Linear(in_features + (num_classes or 0), hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x, y=None):
        check_labels(self, y)
        if self.num_classes:
            x = glassnet.cat([x, one_hot(y, self.num_classes, x.dtype)], dim=1)
        return self.main(x).reshape(x.shape[0])


def dcgan_init(module):
    """DCGAN's initialisation: conv weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02), bias 0.
    Use as ``model.apply(dcgan_init)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def gan_train_step(G, D, opt_g, opt_d, real, z, y=None, real_label=0.9):
    """One turn of the game: a discriminator step, then a generator step. Returns both losses.

    ``real_label=0.9`` is one-sided label smoothing (Salimans et al., 2016): ``D`` aims at 0.9,
    not 1, for real images, so it never grows over-confident and keeps giving ``G`` gradients.
    The generator uses the non-saturating loss: it maximises ``log D(G(z))`` (target 1), which
    gives strong gradients early, when ``D`` easily rejects its samples.
    """
    n = real.shape[0]
    ones = glassnet.full((n,), real_label, dtype=real.dtype)
    zeros = glassnet.zeros(n, dtype=real.dtype)

    # 1) Discriminator: real -> real_label, generated -> 0. detach(): G is not updated here.
    fake = G(z, y)
    loss_d = F.binary_cross_entropy_with_logits(
        D(real, y), ones
    ) + F.binary_cross_entropy_with_logits(D(fake.detach(), y), zeros)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()

    # 2) Generator: make the (just updated) D call the same samples real (target 1).
    loss_g = F.binary_cross_entropy_with_logits(D(fake, y), glassnet.ones(n, dtype=real.dtype))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return float(loss_d.item()), float(loss_g.item())
