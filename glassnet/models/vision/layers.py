"""Building blocks the vision zoo shares, named and laid out as in torchvision.ops so state
dicts match: ``Conv2dNormActivation`` (conv, batch norm, activation), ``SqueezeExcitation``
(channels re-weighted by a gate computed from their global average) and ``StochasticDepth``
(a residual branch dropped at random while training).

>>> import glassnet
>>> block = Conv2dNormActivation(3, 8, kernel_size=3, stride=2)
>>> [name for name, _ in block.named_children()]
['0', '1', '2']
>>> block(glassnet.randn(1, 3, 8, 8)).shape
glassnet.Size([1, 8, 4, 4])
"""

from __future__ import annotations

from glassnet import nn
from glassnet.nn.functional.dropout import ApplyMask, keep_mask
from glassnet.nn.squeeze_excitation import can_squeeze_excite, squeeze_excite_layer

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, then a norm layer (default BatchNorm2d), then an activation (default ReLU).

    ``padding`` defaults to "same" for odd kernels; the conv has a bias only without a norm
    layer (the norm's shift would cancel it). ``None`` for ``norm_layer``/``activation_layer``
    leaves that step out, which keeps the child indices (0, 1, 2) of those that remain.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=None,
        groups=1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace=True,
        bias=None,
    ):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
            )
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(
                activation_layer(inplace=inplace) if inplace is not None else activation_layer()
            )
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): average each channel over the image, pass the
    averages through a small bottleneck (two 1x1 convs), and scale each channel by the gate.

    >>> import glassnet
    >>> SqueezeExcitation(8, 2)(glassnet.randn(2, 8, 4, 4)).shape
    glassnet.Size([2, 8, 4, 4])
    """

    def __init__(
        self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid
    ):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input):
        if can_squeeze_excite(self, input):  # nothing recorded: the fused array path
            return squeeze_excite_layer(self, input)
        scale = self.fc2(self.activation(self.fc1(self.avgpool(input))))
        return self.scale_activation(scale) * input


def stochastic_depth(input, p, mode, training=True):
    """Zero the whole input of each example ("row") or of the batch ("batch") with probability
    ``p`` while training, scaling survivors by 1/(1-p) so the expected value is unchanged.

    >>> import glassnet
    >>> x = glassnet.ones(4, 3)
    >>> bool((stochastic_depth(x, 0.5, "row", training=False) == x).all())
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"stochastic_depth: drop probability has to be between 0 and 1, got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"stochastic_depth: mode has to be either 'batch' or 'row', got {mode!r}")
    if not training or p == 0.0:
        return input
    # A dropout whose mask is one number per example (or one for the batch), broadcast over
    # the rest: the same keep_mask every dropout draws from (so compile replays fresh draws).
    size = (input.shape[0],) + (1,) * (input.ndim - 1) if mode == "row" else (1,) * input.ndim
    return ApplyMask.apply(input, keep_mask(size, p, input._data))


class StochasticDepth(nn.Module):
    """``stochastic_depth`` as a layer (Huang et al. 2016): drops a residual branch at random
    while training, so a deep network trains like a shallower ensemble."""

    def __init__(self, p, mode):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode}"
