"""Autoencoders: squeeze an input through a small code and rebuild it (compress and reconstruct).

``Autoencoder`` is the MLP version for flat inputs, ``ConvAutoencoder`` the convolutional one
for images. The decoder ends in a sigmoid, so the inputs should lie in [0, 1] (the digits do) and
the reconstruction loss is the mean squared error. With ``num_classes`` the decoder also gets the
class as a one-hot vector (a conditional autoencoder: the code can leave the digit's identity out
and keep the style).

>>> import glassnet
>>> ae = Autoencoder(64, hidden=32, latent_dim=4)
>>> ae(glassnet.rand(5, 64)).shape
glassnet.Size([5, 64])
>>> ConvAutoencoder(image_size=8, latent_dim=4)(glassnet.rand(2, 1, 8, 8)).shape
glassnet.Size([2, 1, 8, 8])
"""

from __future__ import annotations

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.generative._conditioning import check_labels, one_hot
from glassnet.nn._arguments import InvalidArgumentError


class Autoencoder(nn.Module):
    """MLP autoencoder: ``in_features -> hidden -> latent_dim -> hidden -> in_features``."""

    def __init__(self, in_features=64, hidden=128, latent_dim=16, num_classes=None):
        super().__init__()
        self.num_classes = num_classes
        extra = num_classes or 0
        self.encoder = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim + extra, hidden),
            nn.ReLU(),
            nn.Linear(hidden, in_features),
            nn.Sigmoid(),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z, y=None):
        check_labels(self, y)
        if self.num_classes:
            z = glassnet.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        return self.decoder(z)

    def forward(self, x, y=None):
        return self.decode(self.encode(x), y)


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder for ``(N, C, S, S)`` images, ``S`` divisible by 4: two
    stride-2 convolutions down to ``S/4``, a linear code, two transposed convolutions back."""

    def __init__(self, in_channels=1, image_size=16, width=16, latent_dim=16, num_classes=None):
        super().__init__()
        if image_size % 4:
            raise InvalidArgumentError(
                f"ConvAutoencoder: image_size={image_size} must be divisible by 4 (two halvings)"
            )
        self.num_classes = num_classes
        self._small = (2 * width, image_size // 4, image_size // 4)
        flat = 2 * width * (image_size // 4) ** 2
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, latent_dim),
        )
        self.project = nn.Linear(latent_dim + (num_classes or 0), flat)
        self.decoder = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(width, in_channels, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z, y=None):
        check_labels(self, y)
        if self.num_classes:
            z = glassnet.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        return self.decoder(self.project(z).reshape(z.shape[0], *self._small))

    def forward(self, x, y=None):
        return self.decode(self.encode(x), y)


def autoencoder_train_step(model, optimizer, x, y=None):
    """One step: reconstruct ``x``, mean squared error against it, one optimizer step."""
    loss = F.mse_loss(model(x, y), x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.item())
