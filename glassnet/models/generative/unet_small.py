"""A small U-Net that predicts the noise in an image at diffusion step ``t``.

The network sees the noisy image and *which step* it is at: ``t`` becomes a sinusoidal vector
(the transformer's position encoding, one frequency per pair of channels), then an MLP, and each
residual block adds a learned projection of it to its feature maps. The U shape: two stride-2
convolutions down (16x16 -> 8x8 -> 4x4), a middle block, nearest-neighbour upsampling back, with
the encoder's feature maps concatenated at each resolution (the skip connections keep the fine
detail the bottleneck drops). GroupNorm, not BatchNorm: the statistics of a batch of images at
mixed noise levels would be meaningless. With ``num_classes`` a class embedding is added to the
time embedding (class-conditional generation).

>>> import glassnet
>>> net = UNetSmall(base=8, time_dim=16)
>>> net(glassnet.randn(2, 1, 16, 16), glassnet.tensor([3, 999])).shape
glassnet.Size([2, 1, 16, 16])
>>> timestep_embedding(glassnet.tensor([0, 1]), 4).shape
glassnet.Size([2, 4])
"""

from __future__ import annotations

import math

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.models.generative._conditioning import check_labels


def timestep_embedding(t, dim, max_period=10000.0):
    """``(N,)`` steps -> ``(N, dim)``: ``[sin(t w_i), cos(t w_i)]`` with ``w_i =
    max_period^(-i / (dim/2))``, ``i = 0 .. dim/2 - 1`` (dim even)."""
    half = dim // 2
    freqs = glassnet.arange(half, dtype="float64", device=t.device)
    freqs = (freqs * (-math.log(max_period) / half)).exp()
    args = t.to("float64")[:, None] * freqs[None, :]
    return glassnet.cat([args.sin(), args.cos()], dim=1)


def _groups(channels):
    return min(8, channels)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the time embedding added in between, a residual connection
    (a 1x1 conv when the channel count changes)."""

    def __init__(self, cin, cout, time_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(time_dim, cout)
        self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNetSmall(nn.Module):
    """Noise predictor ``eps(x_t, t[, y])`` for ``(N, C, S, S)`` images, ``S`` divisible by 4."""

    def __init__(self, in_channels=1, base=32, time_dim=128, num_classes=None):
        super().__init__()
        self.num_classes, self.base = num_classes, base
        b, td = base, time_dim
        self.time_mlp = nn.Sequential(nn.Linear(b, td), nn.SiLU(), nn.Linear(td, td))
        self.class_emb = nn.Embedding(num_classes, td) if num_classes else None
        self.inc = nn.Conv2d(in_channels, b, 3, padding=1)
        self.down1 = ResBlock(b, b, td)
        self.pool1 = nn.Conv2d(b, b, 3, stride=2, padding=1)
        self.down2 = ResBlock(b, 2 * b, td)
        self.pool2 = nn.Conv2d(2 * b, 2 * b, 3, stride=2, padding=1)
        self.mid = ResBlock(2 * b, 2 * b, td)
        self.upconv2 = nn.Conv2d(2 * b, 2 * b, 3, padding=1)
        self.up2 = ResBlock(4 * b, 2 * b, td)
        self.upconv1 = nn.Conv2d(2 * b, 2 * b, 3, padding=1)
        self.up1 = ResBlock(3 * b, b, td)
        self.out_norm = nn.GroupNorm(_groups(b), b)
        self.out = nn.Conv2d(b, in_channels, 3, padding=1)

    def forward(self, x, t, y=None):
        check_labels(self, y)
        temb = self.time_mlp(timestep_embedding(t, self.base).to(x.dtype))
        if self.class_emb is not None:
            temb = temb + self.class_emb(y)
        h0 = self.inc(x)
        h1 = self.down1(h0, temb)  # S
        h2 = self.down2(self.pool1(h1), temb)  # S/2
        h = self.mid(self.pool2(h2), temb)  # S/4
        h = self.upconv2(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up2(glassnet.cat([h, h2], dim=1), temb)
        h = self.upconv1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up1(glassnet.cat([h, h1], dim=1), temb)
        return self.out(F.silu(self.out_norm(h)))


class MLPDenoiser(nn.Module):
    """Noise predictor for points ``(N, D)`` (the 2-D moons): the time embedding concatenated to
    the input, three SiLU layers."""

    def __init__(self, in_features=2, hidden=128, time_dim=32, num_classes=None):
        super().__init__()
        self.num_classes, self.time_dim = num_classes, time_dim
        self.class_emb = nn.Embedding(num_classes, time_dim) if num_classes else None
        self.main = nn.Sequential(
            nn.Linear(in_features + time_dim, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, in_features),
        )

    def forward(self, x, t, y=None):
        check_labels(self, y)
        temb = timestep_embedding(t, self.time_dim).to(x.dtype)
        if self.class_emb is not None:
            temb = temb + self.class_emb(y)
        return self.main(glassnet.cat([x, temb], dim=1))
