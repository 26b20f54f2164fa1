"""U-Net (Ronneberger et al., 2015), small: an encoder that halves the picture and doubles the
channels at each level, a decoder that brings it back up, and skip connections that hand each
decoder level the encoder's features of the same size, so the output keeps the fine detail the
pooling threw away. One class score per pixel comes out.

::

    x ─ enc0 ───────────────────────── cat ─ dec0 ─ head ─> (N, classes, H, W)
          └ pool ─ enc1 ───────── cat ─ up0
                    └ pool ─ bottleneck ─ up1

>>> import glassnet
>>> model = UNet(in_channels=3, num_classes=4, base_channels=8, depth=2)
>>> model(glassnet.randn(2, 3, 32, 32)).shape
glassnet.Size([2, 4, 32, 32])
"""

from __future__ import annotations

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.ops.shape_join import cat


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by BatchNorm and ReLU: the unit of every level.
    The convolutions have no bias: BatchNorm's shift takes its place."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net with ``depth`` poolings; level ``i`` has ``base_channels * 2**i`` channels.
    Inputs need ``H`` and ``W`` divisible by ``2**depth``. Upsampling is a learned 2x2
    ``ConvTranspose2d`` with stride 2.

    >>> UNet(num_classes=2, base_channels=4, depth=1).head
    Conv2d(4, 2, kernel_size=(1, 1), stride=(1, 1))
    """

    def __init__(
        self, in_channels: int = 3, num_classes: int = 2, base_channels: int = 16, depth: int = 3
    ):
        super().__init__()
        self.depth = depth
        widths = [base_channels * 2**i for i in range(depth + 1)]
        self.encoders = nn.ModuleList()
        for i in range(depth):
            self.encoders.append(double_conv(in_channels if i == 0 else widths[i - 1], widths[i]))
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(widths[depth - 1] if depth else in_channels, widths[depth])
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for i in reversed(range(depth)):
            self.ups.append(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2))
            # the upsampled features and the skip, side by side: 2 * widths[i] channels in
            self.decoders.append(double_conv(2 * widths[i], widths[i]))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x):
        step = 2**self.depth
        if x.ndim != 4 or x.shape[-1] % step or x.shape[-2] % step:
            raise ShapeError(
                f"UNet: expected (N, C, H, W) with H and W divisible by 2**depth = {step}; got "
                f"{tuple(x.shape)}. Pad or resize the images, or use a smaller depth."
            )
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = decoder(cat([up(x), skip], dim=1))
        return self.head(x)

    def extra_repr(self) -> str:
        return f"depth={self.depth}"
