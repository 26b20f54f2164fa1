"""EfficientNet-B0 (Tan and Le 2019) as torchvision builds it: MBConv blocks (1x1 expansion,
depthwise kxk conv, squeeze-and-excitation, linear 1x1 projection) with SiLU activations and
stochastic depth on the residual branch, its drop rate growing linearly with depth.
State_dict keys are torchvision's.

>>> import glassnet
>>> efficientnet_b0(num_classes=3).eval()(glassnet.randn(1, 3, 32, 32)).shape
glassnet.Size([1, 3])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from glassnet import nn
from glassnet.models.vision.head import ClassifierHead
from glassnet.models.vision.layers import (
    Conv2dNormActivation,
    SqueezeExcitation,
    StochasticDepth,
)
from glassnet.models.vision.mobilenet import make_divisible
from glassnet.models.vision.weights import load_weights

__all__ = ["EfficientNet", "MBConv", "MBConvConfig", "efficientnet_b0"]


@dataclass
class MBConvConfig:
    """One stage: expansion ratio, kernel size, stride of its first block, channels in and
    out, and number of blocks (channels and depth scaled by the width/depth multipliers)."""

    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int

    @staticmethod
    def scaled(expand_ratio, kernel, stride, cin, cout, layers, width_mult=1.0, depth_mult=1.0):
        return MBConvConfig(
            expand_ratio,
            kernel,
            stride,
            make_divisible(cin * width_mult, 8),
            make_divisible(cout * width_mult, 8),
            int(math.ceil(layers * depth_mult)),
        )


class MBConv(nn.Module):
    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError(f"MBConv: illegal stride value {cnf.stride}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = make_divisible(cnf.input_channels * cnf.expand_ratio, 8)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    expanded,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=nn.SiLU,
                )
            )
        layers += [
            Conv2dNormActivation(
                expanded,
                expanded,
                kernel_size=cnf.kernel,
                stride=cnf.stride,
                groups=expanded,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            ),
            SqueezeExcitation(
                expanded, max(1, cnf.input_channels // 4), activation=lambda: nn.SiLU(inplace=True)
            ),
            Conv2dNormActivation(
                expanded,
                cnf.out_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=None,
            ),
        ]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(ClassifierHead, nn.Module):
    def __init__(
        self,
        inverted_residual_setting,
        dropout,
        stochastic_depth_prob=0.2,
        num_classes=1000,
        norm_layer=None,
        last_channel=None,
    ):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        first = inverted_residual_setting[0].input_channels
        layers = [
            Conv2dNormActivation(
                3, first, kernel_size=3, stride=2, norm_layer=norm_layer, activation_layer=nn.SiLU
            )
        ]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for i in range(cnf.num_layers):
                # later blocks of a stage keep the channels and the resolution
                block_cnf = (
                    cnf if i == 0 else replace(cnf, input_channels=cnf.out_channels, stride=1)
                )
                sd_prob = stochastic_depth_prob * block_id / total_blocks
                stage.append(MBConv(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(
            Conv2dNormActivation(
                last_in, last_out, kernel_size=1, norm_layer=norm_layer, activation_layer=nn.SiLU
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            # torchvision drops in place; here the pooled, flattened features are a view of a
            # tensor autograd needs, so the dropout makes a new tensor (the same arithmetic)
            nn.Dropout(p=dropout),
            nn.Linear(last_out, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def efficientnet_b0(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B0 (5.3M parameters). ``dropout`` (0.2) and ``stochastic_depth_prob``
    (0.2) may be given, like torchvision's."""
    setting = [
        MBConvConfig.scaled(*row)
        for row in [
            (1, 3, 1, 32, 16, 1),
            (6, 3, 2, 16, 24, 2),
            (6, 5, 2, 24, 40, 2),
            (6, 3, 2, 40, 80, 3),
            (6, 5, 1, 80, 112, 3),
            (6, 5, 2, 112, 192, 4),
            (6, 3, 1, 192, 320, 1),
        ]
    ]
    dropout = kwargs.pop("dropout", 0.2)
    return load_weights(EfficientNet(setting, dropout, **kwargs), weights, "efficientnet_b0")
